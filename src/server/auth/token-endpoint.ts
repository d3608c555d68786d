/**
 * `/token`: the token service of the Docker token flow, on the registry's own
 * listener (https://distribution.github.io/distribution/spec/auth/token/ and
 * /oauth/).
 *
 * - `GET /token?service=…&scope=…[&scope=…][&offline_token=true]` with Basic
 *   credentials (a user's password or a robot's secret), or none (anonymous):
 *   `{"token","access_token","expires_in","issued_at"}`, plus
 *   `refresh_token` when `offline_token=true` and credentials were sent
 *   (`docker login` keeps it).
 * - `POST /token`, form-encoded, the OAuth2 form containerd uses:
 *   `grant_type=password` (`username`, `password`) or
 *   `grant_type=refresh_token` (`refresh_token`), with `service`, `scope`
 *   (space-separated), `client_id`, `access_type=offline` (a refresh token
 *   too). Errors are OAuth2's JSON (`{"error":"invalid_grant",…}`).
 *
 * The token grants the intersection of the scopes asked for and what the
 * principal may do now (scopes.ts, permissions.ts); asking for more is not an
 * error, it is simply not granted. Wrong credentials are 401 (GET) or 400
 * `invalid_grant` (POST); too many failed logins 429 with Retry-After,
 * decided before any password is checked. A `service` other than ours is
 * refused (a token for another registry is not ours to issue). Tokens are
 * never logged; every token issued to a signed-in caller is a `login` in the
 * audit log (audit/notes.ts), every refused credential a failed one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryPlugin } from '../app.js';
import type { AccessControl, Authentication } from '../services.js';
import type { AccountsAccess } from './accounts.js';
import { logAuthFailure } from './failure-log.js';
import { principalName, type Principal } from './principal.js';
import { grantScopes, parseScopes } from './scopes.js';
import { noteAudit, noteLogin } from '../audit/notes.js';

export const TOKEN_PATH = '/token';
const MAX_FORM_BYTES = 16 * 1024;

export function tokenPlugin(access: AccessControl & Pick<AccountsAccess, 'tokens' | 'principalOf'>): RegistryPlugin {
  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_request, body, done) => {
        done(null, new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')));
      });
      scope.get(TOKEN_PATH, (request, reply) => getToken(access, request, reply));
      scope.post(TOKEN_PATH, { bodyLimit: MAX_FORM_BYTES }, (request, reply) => postToken(access, request, reply));
    });
  };
}

type Access = AccessControl & Pick<AccountsAccess, 'tokens' | 'principalOf'>;

async function getToken(access: Access, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  reply.header('cache-control', 'no-store');
  const query = new URLSearchParams((request.raw.url ?? '').split('?')[1] ?? '');
  const service = query.get('service');
  if (service !== null && service !== access.tokens.service) return reply.code(400).send({ errors: [{ code: 'DENIED', message: `this token service issues tokens for "${access.tokens.service}", not "${service.slice(0, 100)}"`, detail: null }] });
  // Only Basic credentials (or none) are traded here; a Bearer token is not a way to get another.
  const basic = /^Basic\s/i.test(request.headers.authorization ?? '');
  const authn = basic ? await access.authenticate(request) : ({ ok: true, principal: { kind: 'anonymous' } } as const);
  if (!authn.ok) return refuseGet(access, request, reply, authn);
  const scopes = parseScopes(query.getAll('scope'));
  const refresh = basic && query.get('offline_token') === 'true';
  return reply.code(200).send(await tokenBody(access, request, authn.principal, scopes, refresh, 'get'));
}

async function postToken(access: Access, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  reply.header('cache-control', 'no-store');
  const form = request.body instanceof URLSearchParams ? request.body : undefined;
  if (!form) return oauthError(reply, 400, 'invalid_request', 'send an application/x-www-form-urlencoded body');
  const service = form.get('service');
  if (service !== null && service !== access.tokens.service) return oauthError(reply, 400, 'invalid_request', `this token service issues tokens for "${access.tokens.service}"`);
  const scopes = parseScopes(form.getAll('scope'));
  const offline = form.get('access_type') === 'offline';
  const grant = form.get('grant_type');
  if (grant === 'password') {
    const user = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const authn = await access.authenticate({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, ip: request.ip });
    if (!authn.ok) {
      logAuthFailure(request, { ok: false, challenge: '', reason: authn.reason, ...(authn.user !== undefined ? { user: authn.user } : {}), ...(authn.retryAfterSeconds !== undefined ? { retryAfterSeconds: authn.retryAfterSeconds } : {}) }, 'pull');
      if (authn.reason === 'rate-limited') {
        reply.header('retry-after', String(authn.retryAfterSeconds ?? 60));
        return oauthError(reply, 429, 'slow_down', 'too many failed logins: retry later');
      }
      return oauthError(reply, 400, 'invalid_grant', 'incorrect username or password');
    }
    if (authn.principal.kind === 'anonymous') return oauthError(reply, 400, 'invalid_grant', 'incorrect username or password');
    return reply.code(200).send(await tokenBody(access, request, authn.principal, scopes, offline, 'post'));
  }
  if (grant === 'refresh_token') {
    const verified = await access.tokens.verifyRefresh(form.get('refresh_token') ?? '');
    const principal = typeof verified === 'string' ? undefined : await access.principalOf(verified.subject, verified.issuedAt);
    if (!principal) {
      noteAudit(request, { action: 'login', ...(typeof verified !== 'string' ? { principal: verified.subject } : {}), detail: { via: 'token', grant: 'refresh_token', reason: 'invalid' } });
      return oauthError(reply, 400, 'invalid_grant', 'the refresh token is invalid, expired or revoked');
    }
    return reply.code(200).send(await tokenBody(access, request, principal, scopes, false, 'post', form.get('refresh_token') ?? undefined));
  }
  return oauthError(reply, 400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
}

async function tokenBody(
  access: Access,
  request: FastifyRequest,
  principal: Principal,
  scopes: ReturnType<typeof parseScopes>,
  refresh: boolean,
  form: 'get' | 'post',
  keepRefresh?: string,
): Promise<Record<string, unknown>> {
  const granted = await grantScopes(principal, scopes, (p, a, r) => access.can(p, a, r));
  // A signed-in caller's token is a login for the audit log: one per token.
  const grant = form === 'get' ? 'basic' : keepRefresh !== undefined ? 'refresh_token' : 'password';
  noteLogin(request, principal, { via: 'token', grant, scopes: granted.map((g) => `${g.type}:${g.name}:${g.actions.join(',')}`) });
  const subject = principal.kind === 'anonymous' ? '' : principalName(principal);
  const issued = await access.tokens.issueAccess(subject, granted);
  const refreshToken = refresh && principal.kind !== 'anonymous' ? (await access.tokens.issueRefresh(subject)).token : keepRefresh;
  return {
    ...(form === 'get' ? { token: issued.token } : {}),
    access_token: issued.token,
    expires_in: issued.expiresIn,
    issued_at: issued.issuedAt,
    ...(form === 'post' ? { token_type: 'Bearer', scope: granted.map((g) => `${g.type}:${g.name}:${g.actions.join(',')}`).join(' ') } : {}),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
  };
}

function refuseGet(access: Access, request: FastifyRequest, reply: FastifyReply, authn: Extract<Authentication, { ok: false }>): FastifyReply {
  logAuthFailure(request, { ok: false, challenge: '', reason: authn.reason, ...(authn.user !== undefined ? { user: authn.user } : {}), ...(authn.retryAfterSeconds !== undefined ? { retryAfterSeconds: authn.retryAfterSeconds } : {}) }, 'pull');
  if (authn.reason === 'rate-limited') {
    reply.header('retry-after', String(authn.retryAfterSeconds ?? 60));
    return reply.code(429).send({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many failed logins: retry later', detail: null }] });
  }
  reply.header('www-authenticate', access.challenge());
  return reply.code(401).send({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password', detail: null }] });
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).send({ error, error_description: description });
}
