/**
 * `/api/v1/users`: accounts. Listing, creating (`{"name","password","admin"}`)
 * and deleting need a registry administrator; reading and changing the
 * password (`PUT /users/NAME/password`, `{"password"}`) an administrator or
 * the user themselves. Passwords are hashed with argon2id on the password
 * threads and never returned or logged; an OpenID Connect account has none
 * (409: it signs in at its provider, Docker clients use its CLI secret). The last administrator cannot be
 * deleted nor demoted (the registry would have no one to manage it); an
 * administrator may demote themselves while another remains. `PATCH
 * /users/NAME` (`{"admin": true|false}`) is setUserAdmin, which the UI's
 * forms call too. htpasswd users are the file's, not changed here.
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
    const body = bodyOf(ctx.request);
    if (typeof body.admin !== 'boolean') {
      requireAdmin(ctx);
      throw new ApiError('INVALID', '"admin" must be true or false');
    }
    return ctx.reply.code(200).send(userView(await setUserAdmin(ctx, paramOf(ctx, 'user'), body.admin)));
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
  // An OpenID Connect account signs in at its provider: a password here would outlive the provider disabling it.
  if (await ctx.access.store.getOidcLinkOf(name)) {
    throw new ApiError('CONFLICT', `${name} signs in through OpenID Connect and has no password here; for Docker clients it makes a CLI secret on its account page (/ui/account)`);
  }
  await ctx.access.store.setPassword(name, await ctx.access.hashPassword(password), nowIso(ctx));
  ctx.request.log.info({ event: 'user.password', user: name }, `password of ${name} changed`);
  noteAudit(ctx.request, { action: 'user.password', detail: { user: name } });
}

/** Deletes an account (registry administrators only; never the last administrator); the audit note `user.deleted`. */
export async function deleteUser(ctx: ActingContext, name: string): Promise<void> {
  requireAdmin(ctx);
  refused(name, await ctx.access.store.removeUnlessLastAdmin(name, 'delete'));
  ctx.request.log.info({ event: 'user.deleted', user: name }, `user ${name} deleted`);
  noteAudit(ctx.request, { action: 'user.deleted', detail: { user: name } });
}

/**
 * Makes `name` a registry administrator (`admin` true) or no longer one
 * (registry administrators only). Never the last administrator: a registry
 * with none cannot be managed, so that is refused (409) whoever asks; an
 * administrator may remove their own role while another remains (their
 * sessions and tokens lose it at their next request: principals are read
 * from the store per request). The audit note `user.changed` with the user
 * and the new flag; the record's principal says who.
 */
export async function setUserAdmin(ctx: ActingContext, name: string, admin: boolean): Promise<UserRecord> {
  requireAdmin(ctx);
  const user = await ctx.access.store.getUser(name);
  if (!user) throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
  if (admin) await ctx.access.store.setAdmin(name, true);
  else refused(name, await ctx.access.store.removeUnlessLastAdmin(name, 'demote'));
  ctx.request.log.info({ event: 'user.changed', user: name, admin }, `${name} is ${admin ? 'now' : 'no longer'} a registry administrator`);
  noteAudit(ctx.request, { action: 'user.changed', detail: { user: name, admin } });
  return { ...user, admin };
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

/** The store's refusal as the API's: no such user (404), or the last administrator (409, and what to do instead). */
function refused(name: string, outcome: 'done' | 'last' | 'missing'): void {
  if (outcome === 'missing') throw new ApiError('NOT_FOUND', `user ${name.slice(0, 100)} does not exist`);
  if (outcome === 'last') throw new ApiError('CONFLICT', `${name.slice(0, 100)} is the last administrator: make another user a registry administrator first`);
}
