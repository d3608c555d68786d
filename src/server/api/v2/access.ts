/**
 * Who may do what through `/v2/`: authentication first (before the path or
 * method is validated: a client without credentials gets 401 with the
 * challenge, never 400), then one question per request,
 * `can(principal, action, repository)`, and the answer clients expect:
 *
 * | caller                                     | answer |
 * |--------------------------------------------|--------|
 * | credentials sent and wrong                 | 401 UNAUTHORIZED + challenge (`error="invalid_token"` for a bad token) |
 * | too many failed logins                     | 429 TOOMANYREQUESTS + Retry-After |
 * | anonymous, and not allowed                 | 401 UNAUTHORIZED + challenge naming the scope |
 * | allowed, but the token does not carry it   | 401 + challenge with `error="insufficient_scope"` (the client fetches a token for it) |
 * | signed in, may not even pull (cannot see)  | exactly what the endpoint answers for something that does not exist |
 * | signed in, may pull but not this           | 403 DENIED |
 *
 * "Cannot see" answers are produced by the endpoints' own not-found errors,
 * so they are byte-identical to those for a repository that does not exist:
 * nothing here tells a repository you may not see from one that is not there.
 * A token is an upper bound: every request is also checked against the
 * current permissions, so a revoked robot or a removed member loses access
 * at their next request, not when their token expires.
 *
 * Actions per endpoint (distribution's): GET/HEAD pull; manifest PUT push;
 * manifest/blob DELETE delete; every upload request push; Notary writes push
 * (forgetting a GUN, DELETE, and rotating a server-held key, POST
 * snapshot.key/timestamp.key: delete, as notary-server asks `*`);
 * `/v2/` and the catalog need a signed-in caller, and the catalog lists only
 * repositories the caller may pull.
 */
import { logAuthFailure } from '../../auth/failure-log.js';
import { isSignedIn } from '../../auth/permissions.js';
import { ANONYMOUS, principalName, type Action, type Principal } from '../../auth/principal.js';
import { grantsInclude, type AccessEntry } from '../../auth/scopes.js';
import { ServeError } from '../../errors.js';
import { factsOf } from '../../request-facts.js';
import type { AccessControl } from '../../services.js';
import type { V2Context } from './context.js';
import type { V2Route } from './route.js';

/** The caller as the endpoints see it. */
export interface Caller {
  readonly principal: Principal;
  /** The token's grants, with Bearer authentication. */
  readonly grants?: readonly AccessEntry[];
}

export type ValidRoute = Exclude<V2Route, { kind: 'invalid' | 'unknown' }>;

/** Who the caller is; throws the 401/429 for wrong credentials. Anonymous when no authentication is configured. */
export async function authenticate(ctx: V2Context, auth: AccessControl | undefined): Promise<Caller> {
  if (!auth) return { principal: ANONYMOUS };
  const result = await auth.authenticate(ctx.request);
  if (result.ok) {
    if (result.principal.kind !== 'anonymous') factsOf(ctx.request.raw).principal = principalName(result.principal);
    return { principal: result.principal, ...(result.grants ? { grants: result.grants } : {}) };
  }
  logAuthFailure(ctx.request, { ok: false, challenge: '', reason: result.reason, ...(result.user !== undefined ? { user: result.user } : {}), ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}) }, 'pull');
  if (result.reason === 'rate-limited') {
    // Decided before any password check: the caller waits, the server spends nothing.
    ctx.reply.header('Retry-After', String(result.retryAfterSeconds ?? 60));
    throw new ServeError('TOOMANYREQUESTS', 'too many failed logins: retry later', { detail: { retryAfter: result.retryAfterSeconds ?? 60 } });
  }
  ctx.reply.header('WWW-Authenticate', auth.challenge(undefined, result.token ? 'invalid_token' : undefined));
  throw new ServeError('UNAUTHORIZED', 'authentication required', { detail: null });
}

/** Before a malformed request is answered: an anonymous caller of a registry with authentication gets the challenge instead. */
export function requireSignedInForErrors(ctx: V2Context, auth: AccessControl | undefined, caller: Caller): void {
  if (auth && !isSignedIn(caller.principal)) {
    ctx.reply.header('WWW-Authenticate', auth.challenge());
    throw new ServeError('UNAUTHORIZED', 'authentication required', { detail: null });
  }
}

/** The repository a route acts on and the action it needs; undefined for `/v2/` and the catalog. */
const SERVER_KEY = /^(snapshot|timestamp)\.key$/;

function tufAction(method: string, rest: string): Action {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  if (method === 'DELETE' || (method === 'POST' && SERVER_KEY.test(rest))) return 'delete';
  return 'push';
}

export function actionOf(route: ValidRoute, method: string): { repository: string; action: Action } | undefined {
  switch (route.kind) {
    case 'base':
    case 'catalog':
      return undefined;
    case 'upload-start':
    case 'upload':
      return { repository: route.name, action: 'push' };
    case 'tuf':
      // Forgetting a GUN's trust data, and rotating the snapshot or timestamp key the server holds for it, are deletes
      // (notary-server asks `*` for both): with push alone, a publisher could wipe the GUN and replay its older signed
      // metadata, rolling a signed tag back past the version check, or swap the server's keys under every client.
      return { repository: repositoryOfGun(route.name), action: tufAction(method, route.rest) };
    default:
      return { repository: route.name, action: method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push' };
  }
}

/**
 * Lets the request through, or throws the refusal (table above). `notFound`
 * is the endpoint's error for something that does not exist; 'answer-here'
 * says that answer is not an error of ours (referrers: an empty index; Notary:
 * its own error body), and 'invisible' tells the caller to give it.
 */
export async function admit(
  ctx: V2Context,
  auth: AccessControl | undefined,
  caller: Caller,
  route: ValidRoute,
  notFound: () => ServeError | 'answer-here',
): Promise<'allowed' | 'invisible'> {
  if (!auth) return 'allowed';
  const { principal, grants } = caller;
  const needed = actionOf(route, ctx.method);
  if (!needed) {
    const scope = route.kind === 'catalog' ? 'registry:catalog:*' : undefined;
    if (!isSignedIn(principal)) throw challenge(ctx, auth, scope);
    if (route.kind === 'catalog' && grants && !grantsInclude(grants, 'registry', 'catalog', '*')) throw challenge(ctx, auth, scope, 'insufficient_scope');
    return 'allowed';
  }
  const { repository, action } = needed;
  const scope = `repository:${repository}:${action === 'push' ? 'pull,push' : action}`;
  if (await auth.can(principal, action, repository)) {
    if (grants && !grantsInclude(grants, 'repository', repository, action)) throw challenge(ctx, auth, scope, 'insufficient_scope');
    return 'allowed';
  }
  if (!isSignedIn(principal)) throw challenge(ctx, auth, scope);
  const visible = action !== 'pull' && (await auth.can(principal, 'pull', repository));
  logAuthFailure(ctx.request, { ok: false, challenge: '', reason: 'denied', user: principalName(principal) }, action === 'admin' ? 'push' : action, repository);
  if (visible) throw new ServeError('DENIED', 'requested access to the resource is denied', { detail: { repository } });
  const answer = notFound();
  if (answer === 'answer-here') return 'invisible';
  throw answer;
}

/** Whether the caller may also do `action` on another repository (a mount's source, a Notary key): permissions and token both. */
export async function mayAlso(ctx: V2Context, auth: AccessControl | undefined, caller: Caller, action: Action, repository: string): Promise<boolean> {
  if (!auth) return true;
  if (!(await auth.can(caller.principal, action, repository))) return false;
  return !caller.grants || grantsInclude(caller.grants, 'repository', repository, action);
}

/** The catalog's filter: which repositories the caller may pull. */
export async function catalogFilter(auth: AccessControl | undefined, caller: Caller): Promise<((repository: string) => boolean) | undefined> {
  if (!auth) return undefined;
  const projects = await auth.readableProjects(caller.principal);
  if (projects === 'all') return undefined;
  return (repository) => {
    const slash = repository.indexOf('/');
    return projects.has(slash < 0 ? repository : repository.slice(0, slash));
  };
}

/** A Notary GUN names its registry first (`host:port/team/app`); the repository is the rest. */
export function repositoryOfGun(gun: string): string {
  const slash = gun.indexOf('/');
  if (slash < 0) return gun;
  const first = gun.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? gun.slice(slash + 1) : gun;
}

function challenge(ctx: V2Context, auth: AccessControl, scope: string | undefined, error?: 'insufficient_scope'): ServeError {
  ctx.reply.header('WWW-Authenticate', auth.challenge(scope, error));
  return new ServeError('UNAUTHORIZED', 'authentication required', { detail: scope === undefined ? null : { scope } });
}
