#!/bin/sh
# The image's entry point: one image, the process kind chosen by the command (Dockerfile, compose.yaml, deploy/k8s).
#   web      migrations + first admin + demo data (deploy/prestart.ts), then the Next.js standalone server (PORT)
#   worker   a job worker (migrates at start)
#   serve    the lean inference server (INFERENCE_PORT; SERVE_WORKERS processes)
#   migrate  migrations only (an init container / one-off job)
#   cli …    the operator CLI, e.g. `cli status`, `cli train --dataset eurusd-h1 --wait`
# Anything else is run as given (e.g. `sh`).
set -e
cd "$(dirname "$0")/.."  # /app in the image

# The Next.js server reads DATABASE_URL itself (instrumentation.ts); a secret mounted as a file is handed on to it
# the way `npm start` hands the database to its children.
if [ -z "${DATABASE_URL:-}" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then
  DATABASE_URL="$(cat "$DATABASE_URL_FILE")"
  export DATABASE_URL
fi

cmd="${1:-web}"
[ $# -gt 0 ] && shift
case "$cmd" in
  web)
    node --import tsx deploy/prestart.ts
    SIGNALOPS_PROC=web exec node server.js
    ;;
  worker) exec node --import tsx server/bin/worker.ts "$@" ;;
  serve) exec node --import tsx server/bin/serve.ts "$@" ;;
  migrate) exec node --import tsx deploy/prestart.ts --migrate-only ;;
  cli) exec node --import tsx server/bin/cli.ts "$@" ;;
  *) exec "$cmd" "$@" ;;
esac
