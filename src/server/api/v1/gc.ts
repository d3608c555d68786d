/**
 * The admin API for garbage collection, under `/api/v1/gc`:
 *
 *   POST /api/v1/gc[?dryRun=true]   runs a collection (or joins the one running) and answers its report
 *   GET  /api/v1/gc                 whether one runs, and the last report
 *
 * The report is `GcReport` (gc/collector.ts) as JSON: counts, bytes, duration, and the lists of what went
 * (or would go). `portcullis registry gc --url` is the client. Errors are `{"errors":[{code,message}]}`,
 * as on `/v2`.
 *
 * Who may call it: with an authenticator, a signed-in caller the authenticator grants `delete` access
 * with no repository (the registry-wide delete right); without one, anyone who can reach the port, who
 * can already delete every manifest through `/v2`. The accounts work replaces this with its admin role;
 * the handler takes the decision as a function so only the wiring changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logAuthFailure } from '../../auth/failure-log.js';
import { ServeError, httpStatusOf } from '../../errors.js';
import type { GcService } from '../../gc/index.js';
import type { Authenticator } from '../../services.js';

export const GC_API_PATH = '/api/v1/gc';

export interface GcApiOptions {
  readonly gc: GcService;
  readonly auth?: Authenticator;
}

export function gcApiPlugin(options: GcApiOptions): (app: FastifyInstance) => Promise<void> {
  const { gc, auth } = options;

  async function allowed(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (!auth) return true;
    const result = await auth.authorize(request, 'delete');
    if (result.ok && result.user !== undefined) return true;
    if (result.ok) {
      send(reply, 401, 'UNAUTHORIZED', 'garbage collection needs a signed-in administrator');
      return false;
    }
    logAuthFailure(request, result, 'delete');
    if (result.reason === 'rate-limited') {
      reply.header('retry-after', String(result.retryAfterSeconds ?? 60));
      send(reply, 429, 'TOOMANYREQUESTS', 'too many failed logins: retry later');
    } else if (result.denied) {
      send(reply, 403, 'DENIED', 'garbage collection needs an administrator');
    } else {
      reply.header('www-authenticate', result.challenge);
      send(reply, 401, 'UNAUTHORIZED', 'authentication required');
    }
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
      try {
        const report = await gc.run({ dryRun: flag === 'true' });
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
