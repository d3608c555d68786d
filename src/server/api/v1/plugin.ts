/**
 * The admin API, `/api/v1/`: users, projects, members, robots, webhooks and
 * the audit log, for `portcullis registry …` and other tools. One file per resource
 * (users.ts, projects.ts, members.ts, robots.ts, webhooks.ts, audit.ts); this file mounts them in a
 * context of their own (JSON bodies of at most 64 KiB, JSON errors) and
 * authenticates every request first: no credentials is 401 with the token
 * challenge, wrong ones 401, too many failures 429.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryPlugin } from '../../app.js';
import { logAuthFailure } from '../../auth/failure-log.js';
import { principalName } from '../../auth/principal.js';
import { ADMIN_API_SCOPE, ADMIN_API_SCOPE_NAME, grantsInclude } from '../../auth/scopes.js';
import { factsOf } from '../../request-facts.js';
import { registerAudit } from './audit.js';
import { ApiError, type ApiContext, type ApiDeps } from './context.js';
import { registerMembers } from './members.js';
import { registerProjectSettings } from './project-settings.js';
import { registerProjects } from './projects.js';
import { registerRobots } from './robots.js';
import { registerUsers } from './users.js';
import { registerWebhooks } from './webhooks.js';

export const API_PREFIX = '/api/v1';

export type Handler = (ctx: ApiContext) => Promise<FastifyReply>;
export type Route = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, handler: Handler) => void;

export function apiPlugin(deps: ApiDeps): RegistryPlugin {
  return async (app: FastifyInstance) => {
    await app.register(
      async (api) => {
        api.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
          if (error instanceof ApiError) return sendError(reply, error.status, error.code, error.message);
          const status = error.statusCode;
          if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, status, status === 415 || status === 400 ? 'INVALID' : 'UNSUPPORTED', error.message);
          request.log.error({ event: 'error', err: error }, 'admin API request failed');
          return sendError(reply, 500, 'INTERNAL', 'internal error');
        });
        api.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no such endpoint: ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`));
        const route: Route = (method, path, handler) => {
          api.route({ method, url: path, bodyLimit: 64 * 1024, handler: async (request, reply) => handler(await contextOf(deps, request, reply)) });
        };
        registerUsers(route);
        registerProjects(route);
        registerProjectSettings(route);
        registerMembers(route);
        registerRobots(route);
        if (deps.webhooks) registerWebhooks(route, deps.webhooks);
        registerAudit(route);
      },
      { prefix: API_PREFIX },
    );
  };
}

async function contextOf(deps: ApiDeps, request: FastifyRequest, reply: FastifyReply): Promise<ApiContext> {
  reply.header('cache-control', 'no-store');
  factsOf(request.raw).route = 'api';
  const authn = await deps.access.authenticate(request);
  if (!authn.ok) {
    logAuthFailure(request, { ok: false, challenge: '', reason: authn.reason, ...(authn.user !== undefined ? { user: authn.user } : {}), ...(authn.retryAfterSeconds !== undefined ? { retryAfterSeconds: authn.retryAfterSeconds } : {}) }, 'pull');
    if (authn.reason === 'rate-limited') {
      reply.header('retry-after', String(authn.retryAfterSeconds ?? 60));
      throw new ApiError('TOOMANYREQUESTS', 'too many failed logins: retry later');
    }
    reply.header('www-authenticate', deps.access.challenge(undefined, authn.token ? 'invalid_token' : undefined));
    throw new ApiError('UNAUTHORIZED', 'authentication required');
  }
  if (authn.principal.kind === 'anonymous') {
    reply.header('www-authenticate', deps.access.challenge());
    throw new ApiError('UNAUTHORIZED', 'authentication required');
  }
  factsOf(request.raw).principal = principalName(authn.principal);
  if (authn.grants && !grantsInclude(authn.grants, 'registry', ADMIN_API_SCOPE_NAME, '*')) {
    reply.header('www-authenticate', deps.access.challenge(ADMIN_API_SCOPE, 'insufficient_scope'));
    throw new ApiError('UNAUTHORIZED', `this token was not issued for the admin API: ask /token for scope ${ADMIN_API_SCOPE}, or send Basic credentials`);
  }
  return { ...deps, principal: authn.principal, request, reply };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ errors: [{ code, message }] });
}
