/**
 * What a scan worker (`--role worker`) answers on its listener: only what an
 * operator asks of it — `/healthz`, `/readyz` and, when it has no metrics
 * listener of its own, `/metrics`. Every other request (the distribution API
 * `/v2`, the admin API `/api/v1`, `/token`, the UI) is refused with 503 and a
 * JSON body in the distribution API's error shape (clients print its
 * message), so a load balancer that wrongly includes a worker sends no client
 * traffic into it unnoticed. 503 rather than 421: proxies retry 503 on another
 * upstream (nginx `proxy_next_upstream http_503`, Envoy `retry_on: 5xx`) and
 * count it against the backend; 421 is meant for a connection reused for the
 * wrong authority, which this is not. No `Retry-After`: a worker never serves
 * clients, waiting would not help.
 *
 * An allowlist in an `onRequest` hook at the root, not a list of routes left
 * out: a route added later is refused on workers until it is named here
 * (fail closed). Nothing a worker does calls its own `/v2`: the only loopback
 * caller, the signature check (signature-check.ts, `selfAddress`), runs for
 * the pull policy and the UI, which a worker never serves; scans, webhooks and
 * the `--db-from` pull (which goes to the reference the operator gave) do not
 * use it.
 */
import type { FastifyInstance } from 'fastify';
import { HEALTH_PATH, READY_PATH } from './health.js';
import { METRICS_PATH } from './metrics.js';

export const WORKER_REFUSAL = 'this process is a scan worker (--role worker): send clients to an api process';

export interface WorkerGateOptions {
  /** `/metrics` is served on this listener (no `--metrics-addr`). */
  readonly metrics: boolean;
}

export function workerGatePlugin(options: WorkerGateOptions): (app: FastifyInstance) => Promise<void> {
  const open = new Set<string>([HEALTH_PATH, READY_PATH, ...(options.metrics ? [METRICS_PATH] : [])]);
  const body = Buffer.from(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: WORKER_REFUSAL }] }));
  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if ((request.method === 'GET' || request.method === 'HEAD') && open.has(path)) return;
      return reply
        .code(503)
        .header('Content-Type', 'application/json; charset=utf-8')
        .header('Content-Length', body.length)
        .header('Cache-Control', 'no-store')
        .send(request.method === 'HEAD' ? undefined : body);
    });
  };
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
