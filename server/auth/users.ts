import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbLike } from '../db/client';
import { users, sessions, ROLES, type Role } from '../../drizzle/schema';
import { hashPassword, verifyPassword, randomPassword } from './passwords';
import { changes, recordAudit } from './audit';
import { DomainError, badRequest, dbErrorOf, notFound } from '../errors';

export const ZUsername = z
  .string()
  .trim()
  .min(2, 'must be at least 2 characters')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-zA-Z0-9._@-]+$/, 'may contain letters, digits and . _ @ - only');
export const ZPassword = z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters');
export const ZRole = z.enum(ROLES);

export const ZCreateUserRequest = z.object({
  username: ZUsername,
  password: ZPassword,
  role: ZRole,
  displayName: z.string().trim().max(100).optional(),
});

export interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  createdAt: Date;
  createdBy: string;
  disabledAt: Date | null;
  lastLoginAt: Date | null;
}

const publicColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  role: users.role,
  createdAt: users.createdAt,
  createdBy: users.createdBy,
  disabledAt: users.disabledAt,
  lastLoginAt: users.lastLoginAt,
};

export async function listUsers(db: Db): Promise<PublicUser[]> {
  return db.select(publicColumns).from(users).orderBy(asc(users.createdAt));
}

export async function findUserByName(db: Db, username: string) {
  const [u] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`);
  return u ?? null;
}

export async function createUser(db: Db, input: z.infer<typeof ZCreateUserRequest>, actor: string): Promise<PublicUser> {
  const data = ZCreateUserRequest.parse(input);
  if (await findUserByName(db, data.username)) {
    throw new DomainError('CONFLICT', `A user named '${data.username}' already exists.`, { field: 'username' });
  }
  const passwordHash = await hashPassword(data.password);
  return db
    .transaction(async (tx) => {
      const [u] = await tx
        .insert(users)
        .values({ username: data.username, displayName: data.displayName ?? null, role: data.role, passwordHash, createdBy: actor })
        .returning(publicColumns);
      await recordAudit(tx, { actor, action: 'user.create', target: u.username, details: { role: u.role, to: { role: u.role, displayName: u.displayName } } });
      return u;
    })
    .catch((e: unknown) => {
      // Two creates of one name at once: the second loses the unique index's race (never its SQL text to the caller).
      if (dbErrorOf(e)?.code === '23505') throw new DomainError('CONFLICT', `A user named '${data.username}' already exists.`, { field: 'username' });
      throw e;
    });
}

/**
 * The ids of the active admins, their rows locked (in id order, so concurrent callers cannot deadlock): two
 * concurrent demotions cannot both see "another admin is left".
 */
async function lockActiveAdmins(db: DbLike): Promise<string[]> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for('update');
  return rows.map((r) => r.id);
}

/** Is `actor` (the audit actor string of the caller, see actorOf: `user:<name>`) the user `username` themselves? */
function isSelf(actor: string, username: string): boolean {
  return actor.toLowerCase() === `user:${username}`.toLowerCase();
}

/**
 * Changes a user's role, enabled state or password.
 *
 * Two rules keep the system administrable: nobody disables or demotes themselves (an admin who does so by mistake
 * locks themselves out; another admin, or the CLI, must do it), and the last active admin is never disabled or
 * demoted (by anyone, the CLI included: make another admin first).
 */
export async function updateUser(
  db: Db,
  input: { id: string; role?: Role; disabled?: boolean; password?: string },
  actor: string,
): Promise<PublicUser> {
  const [cur] = await db.select().from(users).where(eq(users.id, input.id));
  if (!cur) throw notFound(`No user with id ${input.id}.`);
  const role = input.role === undefined ? undefined : ZRole.parse(input.role);
  const demoting = role !== undefined && role !== cur.role && ROLES.indexOf(role) < ROLES.indexOf(cur.role);
  const disabling = input.disabled === true && !cur.disabledAt;
  if (isSelf(actor, cur.username) && (disabling || demoting)) {
    throw new DomainError(
      'CONFLICT',
      disabling
        ? `You cannot disable your own account ('${cur.username}'); another admin must do it.`
        : `You cannot lower your own role (${cur.role} → ${role}); another admin must do it.`,
      { reason: 'self', field: disabling ? 'disabled' : 'role' },
    );
  }
  const patch: Partial<typeof users.$inferInsert> = {};
  if (role) patch.role = role;
  if (input.disabled !== undefined) patch.disabledAt = input.disabled ? (cur.disabledAt ?? new Date()) : null;
  if (input.password !== undefined) {
    const pw = ZPassword.safeParse(input.password);
    if (!pw.success) throw badRequest(`password ${pw.error.issues[0].message}`, { field: 'password' });
    patch.passwordHash = await hashPassword(input.password);
  }
  const losesAdmin = cur.role === 'admin' && ((role !== undefined && role !== 'admin') || input.disabled === true);
  return db.transaction(async (tx) => {
    if (losesAdmin) {
      const admins = await lockActiveAdmins(tx);
      if (admins.length <= 1 && admins.includes(input.id)) {
        throw new DomainError('CONFLICT', `'${cur.username}' is the last active admin; make another admin first.`, { reason: 'last-admin' });
      }
    }
    const [u] = await tx.update(users).set(patch).where(eq(users.id, input.id)).returning(publicColumns);
    // Disabling a user or changing their password ends their sessions.
    if (input.disabled || input.password !== undefined) await tx.delete(sessions).where(eq(sessions.userId, input.id));
    await recordAudit(tx, {
      actor,
      action: 'user.update',
      target: u.username,
      // From → to of what changed (a role change keeps the old role); a password change is noted, never its value.
      details: {
        role: input.role,
        disabled: input.disabled,
        passwordChanged: input.password !== undefined,
        ...(changes({ role: cur.role, disabled: cur.disabledAt !== null }, { role: u.role, disabled: u.disabledAt !== null }) ?? { from: {}, to: {} }),
      },
    });
    return u;
  });
}

/** The user named `username` (case-insensitive), or a NOT_FOUND that says where to look. */
export async function requireUserByName(db: Db, username: string): Promise<PublicUser> {
  const [u] = await db
    .select(publicColumns)
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`);
  if (!u) throw notFound(`No user named '${username}' (see \`user list\`).`);
  return u;
}

/** Sets a new random password (returned once; only its hash is kept) and ends the user's sessions. */
export async function resetPassword(db: Db, id: string, actor: string): Promise<{ user: PublicUser; password: string }> {
  const password = randomPassword();
  const user = await updateUser(db, { id, password }, actor);
  return { user, password };
}

/** Checks a username/password pair. The same message for an unknown user and a wrong password. */
export async function verifyLogin(db: Db, username: string, password: string) {
  const u = await findUserByName(db, username);
  // Hash anyway for an unknown user, so timing does not tell which usernames exist.
  const ok = u ? await verifyPassword(password, u.passwordHash) : (await verifyPassword(password, DUMMY_HASH), false);
  if (!u || !ok) throw new DomainError('UNAUTHORIZED', 'Wrong username or password.');
  if (u.disabledAt) throw new DomainError('UNAUTHORIZED', `User '${u.username}' is disabled; ask an admin.`);
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, u.id));
  return u;
}
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * First start: when there is no user at all, create `admin` with ADMIN_PASSWORD, or a random password that the
 * caller prints once. Safe to call from several processes at once (the unique index decides).
 */
export async function ensureFirstAdmin(db: Db, envPassword?: string): Promise<{ created: boolean; username: string; password?: string; generated: boolean }> {
  const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  if (n > 0) return { created: false, username: 'admin', generated: false };
  const password = envPassword ?? randomPassword();
  const passwordHash = await hashPassword(password);
  const inserted = await db
    .insert(users)
    .values({ username: 'admin', role: 'admin', passwordHash, createdBy: 'system', displayName: 'Administrator' })
    .onConflictDoNothing()
    .returning({ id: users.id });
  if (!inserted.length) return { created: false, username: 'admin', generated: false };
  await recordAudit(db, { actor: 'system', action: 'user.create', target: 'admin', details: { role: 'admin', to: { role: 'admin' }, firstStart: true } });
  return { created: true, username: 'admin', password: envPassword ? undefined : password, generated: !envPassword };
}
