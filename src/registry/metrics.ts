/**
 * Prometheus metrics of `portcullis serve` at `/metrics`, in the text
 * exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 * Written by hand rather than with `prom-client`: we need counters with a few
 * labels and gauges read at scrape time, which is a page of code, while
 * prom-client brings a global default registry (a module-level singleton, which
 * the project avoids), default process collectors and histogram machinery we
 * do not use. The format rules that matter are all here: one `# HELP` and one
 * `# TYPE` per family before its samples, label values escaped (`\`, `"`,
 * newline), HELP text escaped (`\`, newline), a final newline.
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
import { parseV2Path, type V2Route } from './api/v2/route.js';
import { logAuthFailure } from './auth/failure-log.js';
import type { MetadataStore, ScanState } from './metadata/store.js';
import type { Authenticator } from './services.js';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const METRICS_PATH = '/metrics';

export type RouteKind = V2Route['kind'] | 'ui' | 'ui-static' | 'metrics' | 'other';

export interface GaugeValues {
  readonly repositories?: number;
  readonly manifests?: number;
  readonly queueLength?: number;
}

/** Read at every scrape; values left out are not exposed. */
export type MetricsSource = () => GaugeValues | Promise<GaugeValues>;

type Labels = Readonly<Record<string, string>>;

/** `\`, `"` and newline escaped, as label values must be. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sample(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`;
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly string[]): string {
  return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...samples].join('\n');
}

/** A monotonic counter keyed by a fixed list of label names. */
class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) return;
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: Object.fromEntries(this.labelNames.map((n) => [n, labels[n] ?? ''])), value: by });
  }

  get(labels: Labels): number {
    return this.#values.get(this.labelNames.map((n) => labels[n] ?? '').join('\u0000'))?.value ?? 0;
  }

  render(): string {
    const entries = [...this.#values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return family(this.name, 'counter', this.help, entries.map(([, e]) => sample(this.name, e.labels, e.value)));
  }
}

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
  /** Start time for `process_start_time_seconds` (default: now). */
  readonly startedAt?: Date;
}

export class Metrics {
  readonly #source: MetricsSource | undefined;
  readonly #startedAt: Date;
  readonly requests = new Counter('portcullis_http_requests_total', 'HTTP requests answered, by method, route kind and status code.', ['method', 'route', 'status']);
  readonly bytesReceived = new Counter('portcullis_http_received_bytes_total', 'Bytes received on HTTP connections (headers included), by route kind.', ['route']);
  readonly bytesServed = new Counter('portcullis_http_served_bytes_total', 'Bytes sent on HTTP connections (headers included), by route kind.', ['route']);
  readonly scans = new Counter('portcullis_scans_total', 'Image scans finished, by outcome (done or failed).', ['outcome']);
  readonly sourceErrors = new Counter('portcullis_metrics_source_errors_total', 'Scrapes whose gauge values could not be read.', []);

  constructor(options: MetricsOptions = {}) {
    this.#source = options.source;
    this.#startedAt = options.startedAt ?? new Date();
    // Present from the start, so that rate() sees the first scan of each outcome.
    this.scans.inc({ outcome: 'done' }, 0);
    this.scans.inc({ outcome: 'failed' }, 0);
    this.sourceErrors.inc({}, 0);
  }

  countRequest(method: string, route: RouteKind, status: number): void {
    const m = method.toUpperCase();
    this.requests.inc({ method: METHODS.has(m) ? m : 'OTHER', route, status: String(status) });
  }

  countBytes(route: RouteKind, received: number, served: number): void {
    this.bytesReceived.inc({ route }, received);
    this.bytesServed.inc({ route }, served);
  }

  /** For the scan service's `onScanned`: counts finished scans, ignores the other states. */
  countScan(state: ScanState): void {
    if (state === 'done' || state === 'failed') this.scans.inc({ outcome: state });
  }

  async #gauges(): Promise<string[]> {
    if (!this.#source) return [];
    let values: GaugeValues;
    try {
      values = await this.#source();
    } catch {
      this.sourceErrors.inc({});
      return [];
    }
    const gauges: Array<[string, string, number | undefined]> = [
      ['portcullis_repositories', 'Repositories in the registry.', values.repositories],
      ['portcullis_manifests', 'Manifests stored, over all repositories.', values.manifests],
      ['portcullis_scan_queue_length', 'Images waiting for or in a scan.', values.queueLength],
    ];
    return gauges.filter(([, , v]) => v !== undefined).map(([name, help, v]) => family(name, 'gauge', help, [sample(name, {}, v!)]));
  }

  /** The whole exposition, ending with a newline. */
  async exposition(): Promise<string> {
    const gauges = await this.#gauges();
    const families = [
      this.requests.render(),
      this.bytesReceived.render(),
      this.bytesServed.render(),
      this.scans.render(),
      this.sourceErrors.render(),
      ...gauges,
      family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.', [
        sample('process_start_time_seconds', {}, Math.floor(this.#startedAt.getTime() / 1000)),
      ]),
    ];
    return `${families.join('\n')}\n`;
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
