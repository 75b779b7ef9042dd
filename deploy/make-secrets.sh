#!/bin/sh
# Writes the secrets compose.yaml mounts (deploy/secrets/*, git-ignored): random PostgreSQL, admin and session
# secrets, and the DATABASE_URL that goes with the PostgreSQL password. Existing files are kept.
# The directory is 0700 (only you, on the host); the files are 0644 because compose bind-mounts file secrets with
# their host permissions and the image runs as the unprivileged user `node` (uid 1000), which must read them.
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
umask 022
rand() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('base64url'))"; }
[ -f "$dir/postgres_password" ] || rand 24 > "$dir/postgres_password"
[ -f "$dir/database_url" ] || printf 'postgres://signalops:%s@postgres:5432/signalops' "$(cat "$dir/postgres_password")" > "$dir/database_url"
[ -f "$dir/admin_password" ] || rand 18 > "$dir/admin_password"
[ -f "$dir/session_secret" ] || rand 48 > "$dir/session_secret"
echo "secrets in $dir: $(ls "$dir" | tr '\n' ' ')"
