/**
 * `--metrics-addr HOST:PORT`: `/metrics` on a listener of its own, so the
 * scrape can stay on loopback or an internal network while the registry
 * faces clients (the main listener then does not serve `/metrics`). Nothing
 * else is served here, and nothing here needs credentials: who can reach the
 * address is the access control. A bare `node:http` server — one route does
 * not need Fastify — with the same header and request deadlines as the API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPOSITION_CONTENT_TYPE, METRICS_PATH, type Metrics } from './metrics.js';

export interface MetricsListener {
  /** e.g. `http://127.0.0.1:9090` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    metrics.exposition().then(
      (text) => {
        const body = Buffer.from(text);
        response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'content-length': body.length, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n'),
    );
  });
  server.setTimeout(60_000, (socket) => socket.destroy());
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
