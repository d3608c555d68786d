/**
 * Prometheus metrics of `portcullis serve` at `/metrics`, in the text
 * exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 * Built on prom-client with a `Registry` of our own per `Metrics` object
 * (never prom-client's global registry: no module-level singleton, and two
 * registries in one process, as tests build, never mix), so the format rules
 * (HELP and TYPE once per family before its samples, escaping, the final
 * newline) are prom-client's. prom-client's default metrics (`process_*`: CPU,
 * memory, open files, start time; `nodejs_*`: event loop lag, heap, GC) are
 * collected on that registry too.
 *
 * What is counted, and by whom:
 * - HTTP requests by method, route kind and status, and bytes received and
 *   served by route kind: `metricsPlugin` hooks every request of the app.
 *   Route kinds come from the /v2 path grammar (`manifest`, `blob`, `upload`…)
 *   plus `ui`, `ui-static`, `metrics` and `other`: never the raw path, so a
 *   client cannot grow the label set. Bytes are those on the connection
 *   (headers included), measured as the socket's counters moving between two
 *   responses, so chunked uploads and streamed blobs count exactly; where
 *   there is no real socket (`inject`), the Content-Length headers stand in.
 * - scans by outcome: the scan service calls `countScan` (its `onScanned`).
 * - gauges (repositories, manifests, scan queue length): read at scrape time
 *   from the `source` callback; a failing source drops the gauges from that
 *   scrape and counts the failure instead of failing the scrape.
 *
 * Who may read them: the figures (repository counts, traffic, refusals) are
 * the operator's, so with an authenticator `/metrics` needs a signed-in user
 * (anonymous pull does not extend to it); or `--metrics-addr` serves them on
 * a listener of their own (metrics-listener.ts, loopback by default) and the
 * main one does not serve them at all.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { parseV2Path, type V2Route } from './api/v2/route.js';
import { logAuthFailure } from './auth/failure-log.js';
import type { MetadataStore, ScanState } from './metadata/store.js';
import type { Authenticator } from './services.js';

/** The text exposition format 0.0.4, as prom-client writes it. */
export const EXPOSITION_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;
export const METRICS_PATH = '/metrics';

export type RouteKind = V2Route['kind'] | 'ui' | 'ui-static' | 'metrics' | 'other';

export interface GaugeValues {
  readonly repositories?: number;
  readonly manifests?: number;
  readonly queueLength?: number;
}

/** Read at every scrape; values left out are not exposed. */
export type MetricsSource = () => GaugeValues | Promise<GaugeValues>;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What kind of route a request URL names, from a fixed set (never the path itself). */
export function routeKind(url: string): RouteKind {
  const path = url.split('?', 1)[0] ?? '';
  if (path === METRICS_PATH) return 'metrics';
  if (path.startsWith('/ui/static/')) return 'ui-static';
  if (path === '/ui' || path.startsWith('/ui/')) return 'ui';
  if (path === '/v2' || path.startsWith('/v2/')) return parseV2Path(path).kind;
  return 'other';
}

export interface MetricsOptions {
  readonly source?: MetricsSource;
  /** Collect prom-client's default process and Node.js metrics on this registry (default true). */
  readonly defaultMetrics?: boolean;
}

const GAUGES: ReadonlyArray<readonly [key: keyof GaugeValues, name: string, help: string]> = [
  ['repositories', 'portcullis_repositories', 'Repositories in the registry.'],
  ['manifests', 'portcullis_manifests', 'Manifests stored, over all repositories.'],
  ['queueLength', 'portcullis_scan_queue_length', 'Images waiting for or in a scan.'],
];

export class Metrics {
  /** This server's own registry (never prom-client's global one). */
  readonly registry = new Registry();
  readonly #source: MetricsSource | undefined;
  readonly requests = new Counter({
    name: 'portcullis_http_requests_total',
    help: 'HTTP requests answered, by method, route kind and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'portcullis_http_received_bytes_total',
    help: 'Bytes received on HTTP connections (headers included), by route kind.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly bytesServed = new Counter({
    name: 'portcullis_http_served_bytes_total',
    help: 'Bytes sent on HTTP connections (headers included), by route kind.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly scans = new Counter({ name: 'portcullis_scans_total', help: 'Image scans finished, by outcome (done or failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly sourceErrors = new Counter({ name: 'portcullis_metrics_source_errors_total', help: 'Scrapes whose gauge values could not be read.', registers: [this.registry] });

  constructor(options: MetricsOptions = {}) {
    this.#source = options.source;
    // Present from the start, so that rate() sees the first scan of each outcome.
    this.scans.inc({ outcome: 'done' }, 0);
    this.scans.inc({ outcome: 'failed' }, 0);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  countRequest(method: string, route: RouteKind, status: number): void {
    const m = method.toUpperCase();
    this.requests.inc({ method: METHODS.has(m) ? m : 'OTHER', route, status: String(status) });
  }

  countBytes(route: RouteKind, received: number, served: number): void {
    if (received >= 0 && Number.isFinite(received)) this.bytesReceived.inc({ route }, received);
    if (served >= 0 && Number.isFinite(served)) this.bytesServed.inc({ route }, served);
  }

  /** For the scan service's `onScanned`: counts finished scans, ignores the other states. */
  countScan(state: ScanState): void {
    if (state === 'done' || state === 'failed') this.scans.inc({ outcome: state });
  }

  /**
   * The gauges of one scrape, in a registry of their own: a value the source
   * leaves out is not exposed, and a failing source drops them all (and is
   * counted) instead of failing the scrape.
   */
  async #gauges(): Promise<Registry> {
    const registry = new Registry();
    if (!this.#source) return registry;
    let values: GaugeValues;
    try {
      values = await this.#source();
    } catch {
      this.sourceErrors.inc();
      return registry;
    }
    for (const [key, name, help] of GAUGES) {
      const value = values[key];
      if (value !== undefined) new Gauge({ name, help, registers: [registry] }).set(value);
    }
    return registry;
  }

  /** The whole exposition, ending with a newline. */
  async exposition(): Promise<string> {
    const gauges = await this.#gauges();
    return Registry.merge([this.registry, gauges]).metrics();
  }
}

/** Gauges read from the metadata store, plus the scan queue's length when given. */
export function storeGauges(metadata: Pick<MetadataStore, 'repositorySummaries'>, queueLength?: () => number): MetricsSource {
  return async () => {
    const summaries = await metadata.repositorySummaries();
    return {
      repositories: summaries.length,
      manifests: summaries.reduce((n, s) => n + s.manifests, 0),
      ...(queueLength ? { queueLength: queueLength() } : {}),
    };
  };
}

function headerNumber(value: string | number | string[] | undefined): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export interface MetricsPluginOptions {
  /** When set, `/metrics` answers only signed-in users (401 with the challenge otherwise). */
  readonly auth?: Authenticator;
  /** Serve `/metrics` on this app (default true); false only counts (the figures are served elsewhere). */
  readonly serve?: boolean;
}

/**
 * Counts every request of the app and serves `/metrics`. Marked like
 * `fastify-plugin` does (`skip-override`), so that its hooks see every route
 * of the app even when it is added with `app.register`.
 */
export function metricsPlugin(metrics: Metrics, options: MetricsPluginOptions = {}): (app: FastifyInstance) => Promise<void> {
  const { auth } = options;
  // Socket counters at the end of the previous response on that connection.
  const marks = new WeakMap<Socket, { read: number; written: number }>();

  function bytesOf(request: FastifyRequest, reply: FastifyReply): { received: number; served: number } {
    const socket = request.raw.socket as Socket | undefined;
    if (socket && typeof socket.bytesRead === 'number' && typeof socket.bytesWritten === 'number') {
      const before = marks.get(socket) ?? { read: 0, written: 0 };
      const now = { read: socket.bytesRead, written: socket.bytesWritten };
      marks.set(socket, now);
      return { received: Math.max(0, now.read - before.read), served: Math.max(0, now.written - before.written) };
    }
    return {
      received: headerNumber(request.headers['content-length']),
      served: request.method === 'HEAD' ? 0 : headerNumber(reply.getHeader('content-length')),
    };
  }

  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.addHook('onResponse', async (request, reply) => {
      const route = routeKind(request.url);
      metrics.countRequest(request.method, route, reply.statusCode);
      const { received, served } = bytesOf(request, reply);
      metrics.countBytes(route, received, served);
    });
    if (options.serve === false) return;
    app.get(METRICS_PATH, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (auth) {
        const result = await auth.authorize(request, 'pull');
        if (!result.ok) {
          logAuthFailure(request, result, 'pull');
          if (result.reason === 'rate-limited') return reply.code(429).header('retry-after', String(result.retryAfterSeconds ?? 60)).type('text/plain; charset=utf-8').send('too many failed logins\n');
          return reply.code(401).header('www-authenticate', result.challenge).type('text/plain; charset=utf-8').send('authentication required\n');
        }
      }
      return reply.type(EXPOSITION_CONTENT_TYPE).send(await metrics.exposition());
    });
  };
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
