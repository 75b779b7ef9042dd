import { readiness } from '../monitoring/health';
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey, ZCreateApiKeyRequest } from '../auth/apikeys';
import { createUser, listUsers, requireUserByName, updateUser, resetPassword, type PublicUser } from '../auth/users';
import { unlockUser } from '../auth/throttle';
import { CliError, type CliCommand } from './types';
import { optList, optNumber, optString, parseOptions, requiredString } from './options';
import { config } from '../config';
import { API_SCOPES, ROLES, type Role } from '../../drizzle/schema';


const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '—');
const userLine = (u: PublicUser) =>
  `${u.username.padEnd(24)} ${u.role.padEnd(9)} ${(u.disabledAt ? 'disabled' : 'active').padEnd(9)} ${when(u.lastLoginAt).padEnd(17)} ${u.createdBy}`;

export const systemCommands: Record<string, CliCommand> = {
  status: {
    summary: 'what /api/ready says: database, migrations, workers, TensorFlow.js backend',
    usage: 'status',
    async run(ctx) {
      const r = await readiness(ctx.db);
      const lines = [
        `ready:       ${r.ready ? 'yes' : 'NO'}`,
        `version:     ${r.version}`,
        `database:    ${r.database.ok ? `ok (${r.database.latencyMs} ms)` : `DOWN ${r.database.error ?? ''}`}`,
        `migrations:  ${r.migrations.applied}/${r.migrations.expected}`,
        `workers:     ${r.workers.alive} alive` + r.workers.list.map((w) => `\n  - ${w.id} ${w.state} (${Math.round(w.ageSeconds)}s ago)${w.currentJob ? ` running ${w.currentJob}` : ''}`).join(''),
        `tensorflow:  ${r.tensorflow.backend ?? 'unavailable'} ${r.tensorflow.version ?? ''}`,
        ...r.problems.map((p) => `problem:     ${p}`),
      ];
      ctx.result(r, lines.join('\n'));
      return r.ready ? 0 : 3;
    },
  },

  'apikey create': {
    summary: 'create an API key (printed once)',
    usage: 'apikey create --name N --scopes predict,read [--expires 2027-01-01] [--rate-limit 12000]',
    options: {
      name: { type: 'string', description: 'a name that says who uses the key' },
      scopes: { type: 'string', description: `comma-separated: ${API_SCOPES.join(', ')}` },
      expires: { type: 'string', description: 'optional expiry date/time (ISO 8601)' },
      'rate-limit': { type: 'string', description: 'points per minute (one per call, one per batch item); default RATE_LIMIT_KEY_PER_MINUTE' },
    },
    async run(ctx, { values }) {
      const input = parseOptions(ZCreateApiKeyRequest, { name: optString(values, 'name'), scopes: optList(values, 'scopes') ?? [], expiresAt: optString(values, 'expires'), rateLimitPerMinute: optNumber(values, 'rate-limit') }, { expiresAt: 'expires', rateLimitPerMinute: 'rate-limit' });
      const { key, apiKey } = await createApiKey(ctx.db, input, ctx.actor);
      ctx.result(
        { key, apiKey },
        `Created API key '${apiKey.name}' (scopes: ${apiKey.scopes.join(', ')}${apiKey.expiresAt ? `, expires ${apiKey.expiresAt.toISOString()}` : ''}).\n` +
          `Copy it now — it is not shown again:\n\n  ${key}\n`,
      );
    },
  },

  'apikey list': {
    summary: 'list API keys (never the keys themselves)',
    usage: 'apikey list',
    async run(ctx) {
      const keys = await listApiKeys(ctx.db);
      ctx.result(
        { apiKeys: keys },
        keys.length
          ? keys.map((k) => `${k.id}  ${k.name.padEnd(20)} ${k.prefix}…  ${k.scopes.join(',').padEnd(22)} ${k.revokedAt ? 'revoked' : 'active'}`).join('\n')
          : 'No API keys.',
      );
    },
  },

  'apikey set-limit': {
    summary: "set an API key's rate limit (points per minute), or `default`",
    usage: 'apikey set-limit <id> --per-minute N|default',
    options: { 'per-minute': { type: 'string', description: 'points per minute (one per call, one per batch item), or `default`' } },
    async run(ctx, { values, positionals }) {
      const id = positionals[0];
      if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new CliError('give the key id (a UUID, see `apikey list`)', 2);
      const raw = requiredString(values, 'per-minute');
      const perMinute = raw === 'default' ? null : optNumber(values, 'per-minute');
      const k = await updateApiKey(ctx.db, { id, rateLimitPerMinute: perMinute ?? null }, ctx.actor);
      ctx.result({ apiKey: k }, `'${k.name}' may now spend ${k.rateLimitPerMinute ?? `the default (${config().RATE_LIMIT_KEY_PER_MINUTE})`} points per minute.`);
    },
  },

  'apikey revoke': {
    summary: 'revoke an API key by id',
    usage: 'apikey revoke <id>',
    async run(ctx, { positionals }) {
      const id = positionals[0];
      if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new CliError('give the key id (a UUID, see `apikey list`)', 2);
      const k = await revokeApiKey(ctx.db, id, ctx.actor);
      ctx.result({ apiKey: k }, `Revoked '${k.name}'.`);
    },
  },

  'user create': {
    summary: 'create a user (password from --password or SIGNALOPS_NEW_PASSWORD)',
    usage: 'user create --username U --role analyst|engineer|admin [--password P]',
    options: {
      username: { type: 'string', description: 'login name' },
      role: { type: 'string', description: 'analyst, engineer or admin' },
      password: { type: 'string', description: 'initial password (≥ 8 characters)' },
    },
    async run(ctx, { values }) {
      const password = optString(values, 'password') ?? config().SIGNALOPS_NEW_PASSWORD;
      if (!password) throw new CliError('--password (or SIGNALOPS_NEW_PASSWORD) is required', 2);
      const u = await createUser(ctx.db, { username: optString(values, 'username') ?? '', role: optString(values, 'role') as never, password }, ctx.actor);
      ctx.result({ user: u }, `Created ${u.role} '${u.username}'.`);
    },
  },

  'user list': {
    summary: 'list users: role, state, last login (never passwords)',
    usage: 'user list',
    async run(ctx) {
      const list = await listUsers(ctx.db);
      ctx.result(
        { users: list },
        list.length
          ? [`${'USERNAME'.padEnd(24)} ${'ROLE'.padEnd(9)} ${'STATE'.padEnd(9)} ${'LAST LOGIN (UTC)'.padEnd(17)} CREATED BY`, ...list.map(userLine)].join('\n')
          : 'No users.',
      );
    },
  },

  'user enable': {
    summary: 'enable a disabled user (e.g. an admin who was locked out)',
    usage: 'user enable --username U',
    options: { username: { type: 'string', description: 'login name (see `user list`)' } },
    async run(ctx, { values }) {
      const target = await requireUserByName(ctx.db, requiredString(values, 'username'));
      if (!target.disabledAt) {
        ctx.result({ user: target, changed: false }, `'${target.username}' is already active.`);
        return;
      }
      const u = await updateUser(ctx.db, { id: target.id, disabled: false }, ctx.actor);
      ctx.result({ user: u, changed: true }, `Enabled ${u.role} '${u.username}'.`);
    },
  },

  'user unlock': {
    summary: 'lift a sign-in lock (too many failed attempts) at once',
    usage: 'user unlock --username U',
    options: { username: { type: 'string', description: 'login name (locks are per name, also for names that do not exist)' } },
    async run(ctx, { values }) {
      const r = await unlockUser(ctx.db, requiredString(values, 'username'), ctx.actor);
      ctx.result(r, r.wasLocked ? `Unlocked sign-in for '${r.username}'; its failed attempts are forgotten.` : `'${r.username}' was not locked; its failed attempts are forgotten.`);
    },
  },

  'user set-role': {
    summary: 'change a user\'s role (the last active admin cannot be demoted)',
    usage: 'user set-role --username U --role analyst|engineer|admin',
    options: {
      username: { type: 'string', description: 'login name (see `user list`)' },
      role: { type: 'string', description: ROLES.join(', ') },
    },
    async run(ctx, { values }) {
      const username = requiredString(values, 'username');
      const role = requiredString(values, 'role');
      if (!(ROLES as readonly string[]).includes(role)) throw new CliError(`--role: '${role}' is not a role; use one of ${ROLES.join(', ')}`, 2);
      const target = await requireUserByName(ctx.db, username);
      const u = await updateUser(ctx.db, { id: target.id, role: role as Role }, ctx.actor);
      ctx.result(
        { user: u, changed: target.role !== u.role },
        target.role === u.role ? `'${u.username}' is already ${u.role}.` : `'${u.username}' is now ${u.role} (was ${target.role}).`,
      );
    },
  },

  'user reset-password': {
    summary: 'give a user a new random password (printed once) and end their sessions',
    usage: 'user reset-password --username U',
    options: { username: { type: 'string', description: 'login name (see `user list`)' } },
    async run(ctx, { values }) {
      const target = await requireUserByName(ctx.db, requiredString(values, 'username'));
      const { user, password } = await resetPassword(ctx.db, target.id, ctx.actor);
      ctx.result(
        { user, password },
        `New password for ${user.role} '${user.username}'${user.disabledAt ? ' (still disabled: see `user enable`)' : ''}; their sessions were ended.\n` +
          `Copy it now — it is not shown again:\n\n  ${password}\n`,
      );
    },
  },
};
