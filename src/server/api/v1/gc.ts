/**
 * The admin API for garbage collection, under `/api/v1/gc`:
 *
 *   POST /api/v1/gc[?dryRun=true]   runs a collection (or joins the one running) and answers its report
 *   GET  /api/v1/gc                 whether one runs, and the last report
 *
 * The report is `GcReport` (gc/report.ts) as JSON: counts, bytes, duration, and the lists of what went
 * (or would go). `portcullis registry gc --url` is the client. Errors are `{"errors":[{code,message}]}`,
 * as on `/v2`.
 *
 * Who may call it: with authentication, a signed-in registry administrator (an htpasswd user, who may
 * already delete everything through `/v2`; with accounts, a user with the admin flag — not a project
 * admin, not a robot: a collection acts on every project). No credentials is 401 with the challenge,
 * wrong ones 401, too many failures 429, anyone else 403. Without authentication, anyone who can reach
 * the port, who can already delete every manifest through `/v2`.
 *
 * Every POST is a `gc` event in the audit log, with the caller and the counts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logAuthFailure } from '../../auth/failure-log.js';
import { ServeError, httpStatusOf } from '../../errors.js';
import { gcCounts, type GcService } from '../../gc/index.js';
import { principalName } from '../../auth/principal.js';
import { ADMIN_API_SCOPE, ADMIN_API_SCOPE_NAME, grantsInclude } from '../../auth/scopes.js';
import type { AccessControl } from '../../services.js';
import { noteAudit } from '../../audit/notes.js';
import { factsOf } from '../../request-facts.js';

export const GC_API_PATH = '/api/v1/gc';

export interface GcApiOptions {
  readonly gc: GcService;
  readonly auth?: AccessControl;
}

export function gcApiPlugin(options: GcApiOptions): (app: FastifyInstance) => Promise<void> {
  const { gc, auth } = options;

  async function allowed(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (!auth) return true;
    const result = await auth.authenticate(request);
    if (!result.ok) {
      logAuthFailure(request, { ok: false, challenge: '', reason: result.reason, ...(result.user !== undefined ? { user: result.user } : {}), ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}) }, 'delete');
      if (result.reason === 'rate-limited') {
        reply.header('retry-after', String(result.retryAfterSeconds ?? 60));
        send(reply, 429, 'TOOMANYREQUESTS', 'too many failed logins: retry later');
        return false;
      }
      reply.header('www-authenticate', auth.challenge(undefined, result.token ? 'invalid_token' : undefined));
      send(reply, 401, 'UNAUTHORIZED', 'authentication required');
      return false;
    }
    const principal = result.principal;
    if (principal.kind === 'anonymous') {
      reply.header('www-authenticate', auth.challenge());
      send(reply, 401, 'UNAUTHORIZED', 'garbage collection needs a signed-in administrator');
      return false;
    }
    if (result.grants && !grantsInclude(result.grants, 'registry', ADMIN_API_SCOPE_NAME, '*')) {
      reply.header('www-authenticate', auth.challenge(ADMIN_API_SCOPE, 'insufficient_scope'));
      send(reply, 401, 'UNAUTHORIZED', `this token was not issued for the admin API: ask /token for scope ${ADMIN_API_SCOPE}, or send Basic credentials`);
      return false;
    }
    if (principal.kind === 'user' && principal.admin) {
      factsOf(request.raw).principal = principalName(principal);
      return true;
    }
    logAuthFailure(request, { ok: false, challenge: '', reason: 'denied', user: principalName(principal) }, 'delete');
    send(reply, 403, 'DENIED', 'garbage collection needs a registry administrator');
    return false;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get(GC_API_PATH, async (request, reply) => {
      if (!(await allowed(request, reply))) return reply;
      return reply.header('cache-control', 'no-store').send({ running: gc.running, ...(gc.lastReport ? { last: gc.lastReport } : {}) });
    });
    app.post(GC_API_PATH, async (request, reply) => {
      if (!(await allowed(request, reply))) return reply;
      const query = request.query as Record<string, unknown>;
      const flag = query.dryRun;
      if (flag !== undefined && flag !== 'true' && flag !== 'false') return send(reply, 400, 'UNSUPPORTED', 'dryRun takes true or false');
      const note = noteAudit(request, { action: 'gc', detail: { dryRun: flag === 'true' } });
      try {
        const report = await gc.run({ dryRun: flag === 'true' });
        note.detail = gcCounts(report);
        return reply.header('cache-control', 'no-store').send(report);
      } catch (error) {
        if (error instanceof ServeError && error.code === 'UNAVAILABLE') {
          reply.header('retry-after', '60');
          return send(reply, httpStatusOf(error.code), error.code, error.message);
        }
        request.log.error({ event: 'error', err: error }, 'garbage collection through the API failed');
        return send(reply, 500, 'INTERNAL', 'garbage collection failed; the log says why');
      }
    });
  };
}

function send(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ errors: [{ code, message, detail: null }] });
}
