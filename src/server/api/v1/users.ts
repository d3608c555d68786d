/**
 * `/api/v1/users`: accounts. Listing, creating (`{"name","password","admin"}`)
 * and deleting need a registry administrator; reading and changing the
 * password (`PUT /users/NAME/password`, `{"password"}`) an administrator or
 * the user themselves. Passwords are hashed with argon2id on the password
 * threads and never returned or logged. The last administrator cannot be
 * deleted nor demoted (the registry would have no one to manage it);
 * htpasswd users are the file's, not changed here.
 */
import { isRegistryAdmin } from '../../auth/permissions.js';
import { isUserName } from '../../auth/principal.js';
import type { UserRecord } from '../../metadata/identity-store.js';
import { ApiError, bodyOf, checkPassword, nowIso, pageOf, sendPage, stringField, type ActingContext } from './context.js';
import type { Route } from './plugin.js';
import { paramOf } from './projects.js';
import { noteAudit } from '../../audit/notes.js';

function userView(user: UserRecord): Record<string, unknown> {
  return { name: user.name, admin: user.admin, createdAt: user.createdAt, passwordChangedAt: user.passwordChangedAt };
}

function requireAdmin(ctx: Pick<ActingContext, 'principal'>): void {
  if (!isRegistryAdmin(ctx.principal)) throw new ApiError('DENIED', 'this needs a registry administrator');
}

function isSelf(ctx: Pick<ActingContext, 'principal'>, name: string): boolean {
  return ctx.principal.kind === 'user' && ctx.principal.name === name;
}

export function registerUsers(route: Route): void {
  route('GET', '/users', async (ctx) => {
    requireAdmin(ctx);
    const { page, n } = pageOf(ctx.request);
    return sendPage(ctx, '/api/v1/users', 'users', await ctx.access.store.listUsers(page), n, (u) => u.name, userView);
  });

  route('POST', '/users', async (ctx) => {
    const user = await createUser(ctx, bodyOf(ctx.request));
    return ctx.reply.code(201).header('location', `/api/v1/users/${user.name}`).send(userView(user));
  });

  route('GET', '/users/:user', async (ctx) => {
    const name = paramOf(ctx, 'user');
    if (!isSelf(ctx, name)) requireAdmin(ctx);
    const user = await ctx.access.store.getUser(name);
    if (!user) throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
    return ctx.reply.code(200).send(userView(user));
  });

  route('PUT', '/users/:user/password', async (ctx) => {
    await setUserPassword(ctx, paramOf(ctx, 'user'), stringField(bodyOf(ctx.request), 'password', true));
    return ctx.reply.code(204).send();
  });

  route('PATCH', '/users/:user', async (ctx) => {
    requireAdmin(ctx);
    const name = paramOf(ctx, 'user');
    const body = bodyOf(ctx.request);
    if (typeof body.admin !== 'boolean') throw new ApiError('INVALID', '"admin" must be true or false');
    const user = await ctx.access.store.getUser(name);
    if (!user) throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
    if (user.admin && !body.admin) await refuseLastAdmin(ctx, name);
    await ctx.access.store.setAdmin(name, body.admin);
    noteAudit(ctx.request, { action: 'user.changed', detail: { user: name, admin: body.admin } });
    return ctx.reply.code(200).send(userView({ ...user, admin: body.admin }));
  });

  route('DELETE', '/users/:user', async (ctx) => {
    await deleteUser(ctx, paramOf(ctx, 'user'));
    return ctx.reply.code(204).send();
  });
}

/** Sets a user's password (a registry administrator, or the user themselves); the audit note `user.password`, never the password. */
export async function setUserPassword(ctx: ActingContext, name: string, password: string): Promise<void> {
  if (!isSelf(ctx, name)) requireAdmin(ctx);
  checkPassword(password);
  if (!(await ctx.access.store.getUser(name))) throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
  await ctx.access.store.setPassword(name, await ctx.access.hashPassword(password), nowIso(ctx));
  ctx.request.log.info({ event: 'user.password', user: name }, `password of ${name} changed`);
  noteAudit(ctx.request, { action: 'user.password', detail: { user: name } });
}

/** Deletes an account (registry administrators only; never the last administrator); the audit note `user.deleted`. */
export async function deleteUser(ctx: ActingContext, name: string): Promise<void> {
  requireAdmin(ctx);
  const user = await ctx.access.store.getUser(name);
  if (!user) throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
  if (user.admin) await refuseLastAdmin(ctx, name);
  await ctx.access.store.deleteUser(name);
  ctx.request.log.info({ event: 'user.deleted', user: name }, `user ${name} deleted`);
  noteAudit(ctx.request, { action: 'user.deleted', detail: { user: name } });
}

/** A new account (`{"name","password","admin"}`; registry administrators only); the audit note `user.created`. */
export async function createUser(ctx: ActingContext, body: Readonly<Record<string, unknown>>): Promise<UserRecord> {
  requireAdmin(ctx);
  const name = stringField(body, 'name', true);
  const password = stringField(body, 'password', true);
  if (!isUserName(name)) throw new ApiError('INVALID', 'name: 1 to 64 letters, digits and . _ @ -, starting with a letter or digit');
  if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new ApiError('INVALID', '"admin" must be true or false');
  checkPassword(password);
  if (ctx.access.isHtpasswdUser(name)) throw new ApiError('CONFLICT', `user ${name} exists (in the htpasswd file)`);
  const at = nowIso(ctx);
  const user: UserRecord = { name, passwordHash: await ctx.access.hashPassword(password), admin: body.admin === true, createdAt: at, passwordChangedAt: at };
  if (!(await ctx.access.store.createUser(user))) throw new ApiError('CONFLICT', `user ${name} exists`);
  ctx.request.log.info({ event: 'user.created', user: name, admin: user.admin }, `user ${name} created`);
  noteAudit(ctx.request, { action: 'user.created', detail: { user: name, admin: user.admin } });
  return user;
}

async function refuseLastAdmin(ctx: ActingContext, name: string): Promise<void> {
  for (let last: string | undefined; ; ) {
    const batch = await ctx.access.store.listUsers({ ...(last !== undefined ? { last } : {}), limit: 1000 });
    if (batch.some((u) => u.admin && u.name !== name)) return;
    if (batch.length < 1000) throw new ApiError('CONFLICT', `${name} is the last administrator`);
    last = batch[batch.length - 1]!.name;
  }
}
