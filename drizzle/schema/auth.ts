import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uuid, index, uniqueIndex, jsonb, bigserial, integer, varchar, bigint } from 'drizzle-orm/pg-core';
import type { AuditDetails } from './shapes';

/** Roles, from least to most privileged. `viewer` procedures accept analyst and up. */
export const ROLES = ['analyst', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Scopes an API key may carry. `admin` implies every other scope. */
export const API_SCOPES = ['predict', 'read', 'data', 'train', 'promote', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    displayName: text('display_name'),
    role: text('role', { enum: ROLES }).notNull(),
    /** scrypt: `scrypt$N$r$p$salt$hash` (base64). */
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('users_username_lower_idx').on(sql`lower(${t.username})`)],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 (HMAC with the session secret) of the cookie token; the token itself is never stored. */
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** First characters of the key (e.g. `so_live_ab12cd`), shown in lists so a person can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    scopes: text('scopes').array().$type<ApiScope[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    /** Requests per minute this key may make (shared by every replica); null = the default (RATE_LIMIT_KEY_PER_MINUTE). */
    rateLimitPerMinute: integer('rate_limit_per_minute'),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.keyHash)],
);

/** Who did what: every state-changing action of a person, an API key or the CLI. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** `user:<name>`, `apikey:<name>`, `cli`, `system`. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    details: jsonb('details').$type<AuditDetails>(),
    /** `ok` (the action happened), `denied` (authorization refused it), `failed` (e.g. a wrong password). */
    outcome: text('outcome', { enum: ['ok', 'denied', 'failed'] }).notNull().default('ok'),
    /** The caller's address and user agent, when the action came over HTTP. */
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** The API key's id (key names are not unique). */
    apiKeyId: uuid('api_key_id'),
    requestId: text('request_id'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_action_idx').on(t.action, t.at), index('audit_log_actor_idx').on(t.actor, t.at)],
);

/**
 * Counters of rate-limiter-flexible's PostgreSQL store (login throttling, per-key and per-user request limits), shared
 * by every replica. Its own layout: `key` is `<limiter>:<subject>`, `expire` is epoch milliseconds.
 */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});

/** Generated secrets (when not given in the environment), shared by every process on this database. */
export const systemSecrets = pgTable('system_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
