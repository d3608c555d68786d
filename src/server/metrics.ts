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
 * - request latency (a histogram by route kind and status), and the bytes of
 *   pushed and pulled blobs and manifests (bodies only, from what the API
 *   stored and the Content-Length it served), by the same hook.
 * - scans by outcome and their durations: the scan service calls
 *   `countScan` (its `onScanned`).
 * - pulls refused by the policy, by reason kind (`countDenied`, from the
 *   live pull policy, reload.ts).
 * - configuration reloads by outcome (`countReload`).
 * - audit events that could not be stored (`countAuditDropped`, from the
 *   audit recorder: a full queue or a failing store).
 * - garbage collection runs and bytes freed (`countGcRun`), and webhook
 *   deliveries (`countWebhookDelivery`): defined here for the collector and
 *   the webhook sender to call.
 * - gauges (repositories, manifests, the scan queue by state with "waiting
 *   for an advisory database" apart, findings by severity over the latest
 *   result of every stored image, the advisory database's age): read at
 *   scrape time from the `source` callback; a failing source drops the gauges
 *   from that scrape and counts the failure instead of failing the scrape.
 *
 * Who may read them: the figures (repository counts, traffic, refusals) are
 * the operator's, so with an authenticator `/metrics` needs a signed-in user
 * (anonymous pull does not extend to it); or `--metrics-addr` serves them on
 * a listener of their own (metrics-listener.ts, loopback by default) and the
 * main one does not serve them at all.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SEVERITY_LEVELS, type SeverityLevel } from '../core/index.js';
import { parseV2Path, type V2Route } from './api/v2/route.js';
import { logAuthFailure } from './auth/failure-log.js';
import type { MetadataStore, ScanState } from './metadata/store.js';
import { factsOf } from './request-facts.js';
import type { Authenticator, DenialKind } from './services.js';

/** The text exposition format 0.0.4, as prom-client writes it. */
export const EXPOSITION_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;
export const METRICS_PATH = '/metrics';

export type RouteKind = V2Route['kind'] | 'ui' | 'ui-static' | 'metrics' | 'health' | 'other';

export interface GaugeValues {
  readonly repositories?: number;
  readonly manifests?: number;
  readonly queueLength?: number;
  /** The scan queue by state: `waitingForDatabase` apart from work that can run. */
  readonly queue?: { readonly queued: number; readonly scanning: number; readonly waitingForDatabase: number };
  /** Findings by severity over the latest result of every stored image. */
  readonly findings?: Readonly<Partial<Record<SeverityLevel, number>>>;
  /** Seconds since the advisory database in use was last imported. */
  readonly advisoryDbAgeSeconds?: number;
}

export const DENIAL_KINDS: readonly DenialKind[] = ['vulnerable', 'unsigned', 'unscanned', 'scan_failed', 'scan_partial', 'undecided'];
export type GcOutcome = 'done' | 'failed';
export type WebhookOutcome = 'delivered' | 'failed' | 'retried';
export type ReloadOutcome = 'applied' | 'failed';

/** Read at every scrape; values left out are not exposed. */
export type MetricsSource = () => GaugeValues | Promise<GaugeValues>;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What kind of route a request URL names, from a fixed set (never the path itself). */
export function routeKind(url: string): RouteKind {
  const path = url.split('?', 1)[0] ?? '';
  if (path === METRICS_PATH) return 'metrics';
  if (path === '/healthz' || path === '/readyz') return 'health';
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
  readonly requestDuration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time from a request to its answer, by route kind and status code.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly pushedBytes = new Counter({ name: 'portcullis_pushed_bytes_total', help: 'Bytes of blobs and manifests pushed (bodies stored), by kind.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly pulledBytes = new Counter({ name: 'portcullis_pulled_bytes_total', help: 'Bytes of blobs and manifests served to GET requests (bodies), by kind.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly scans = new Counter({ name: 'portcullis_scans_total', help: 'Image scans finished, by outcome (done or failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly scansIncomplete = new Counter({ name: 'portcullis_scans_incomplete_total', help: 'Scans that finished but could not read everything (partial results, refused by the pull policy).', registers: [this.registry] });
  readonly scanDuration = new Histogram({
    name: 'portcullis_scan_duration_seconds',
    help: 'Time an image scan took, by outcome (done or failed).',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly pullsDenied = new Counter({ name: 'portcullis_pulls_denied_total', help: 'Manifest GETs the pull policy refused, by reason kind.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly configReloads = new Counter({ name: 'portcullis_config_reloads_total', help: 'Configuration reloads (SIGHUP or API), by outcome (applied or failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly gcRuns = new Counter({ name: 'portcullis_gc_runs_total', help: 'Garbage collection runs, by outcome (done or failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly gcFreedBytes = new Counter({ name: 'portcullis_gc_freed_bytes_total', help: 'Bytes of blobs garbage collection deleted.', registers: [this.registry] });
  readonly webhookDeliveries = new Counter({
    name: 'portcullis_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by event and outcome (delivered, failed for good, or retried).',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly auditDropped = new Counter({ name: 'portcullis_audit_dropped_total', help: 'Audit events not stored (queue full or store failing); each is still in the log (event "audit").', registers: [this.registry] });
  readonly sourceErrors = new Counter({ name: 'portcullis_metrics_source_errors_total', help: 'Scrapes whose gauge values could not be read.', registers: [this.registry] });

  constructor(options: MetricsOptions = {}) {
    this.#source = options.source;
    // Present from the start, so that rate() sees the first scan of each outcome.
    this.scans.inc({ outcome: 'done' }, 0);
    this.scans.inc({ outcome: 'failed' }, 0);
    this.scansIncomplete.inc(0);
    for (const reason of DENIAL_KINDS) this.pullsDenied.inc({ reason }, 0);
    for (const outcome of ['applied', 'failed'] as const) this.configReloads.inc({ outcome }, 0);
    for (const outcome of ['done', 'failed'] as const) this.gcRuns.inc({ outcome }, 0);
    this.gcFreedBytes.inc(0);
    this.auditDropped.inc(0);
    for (const kind of ['blob', 'manifest'] as const) {
      this.pushedBytes.inc({ kind }, 0);
      this.pulledBytes.inc({ kind }, 0);
    }
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

  /** How long a request took to answer. */
  observeRequest(route: RouteKind, status: number, seconds: number): void {
    if (seconds >= 0 && Number.isFinite(seconds)) this.requestDuration.observe({ route, status: String(status) }, seconds);
  }

  /** Body bytes of a push or a pull. */
  countTransfer(direction: 'push' | 'pull', kind: 'blob' | 'manifest', bytes: number): void {
    if (bytes > 0 && Number.isFinite(bytes)) (direction === 'push' ? this.pushedBytes : this.pulledBytes).inc({ kind }, bytes);
  }

  /** For the scan service's `onScanned`: counts finished scans (and their durations when known), ignores the other states. */
  countScan(state: ScanState, details: { readonly durationMs?: number; readonly incomplete?: boolean } = {}): void {
    if (state !== 'done' && state !== 'failed') return;
    this.scans.inc({ outcome: state });
    if (details.durationMs !== undefined && details.durationMs >= 0) this.scanDuration.observe({ outcome: state }, details.durationMs / 1000);
    if (state === 'done' && details.incomplete) this.scansIncomplete.inc();
  }

  countDenied(kind: DenialKind): void {
    this.pullsDenied.inc({ reason: kind });
  }

  countReload(outcome: ReloadOutcome): void {
    this.configReloads.inc({ outcome });
  }

  /** For the garbage collector: one run, and what it freed. */
  countGcRun(outcome: GcOutcome, bytesFreed = 0): void {
    this.gcRuns.inc({ outcome });
    if (bytesFreed > 0 && Number.isFinite(bytesFreed)) this.gcFreedBytes.inc(bytesFreed);
  }

  /** For the audit recorder: events that were not stored. */
  countAuditDropped(count: number): void {
    if (count > 0 && Number.isFinite(count)) this.auditDropped.inc(count);
  }

  /** For the webhook sender: one delivery attempt. `event` must come from the fixed list of event names, never from input. */
  countWebhookDelivery(event: string, outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ event, outcome });
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
      if (typeof value === 'number') new Gauge({ name, help, registers: [registry] }).set(value);
    }
    if (values.queue) {
      const queue = new Gauge({ name: 'portcullis_scan_queue', help: 'Images in the scan queue by state: queued, scanning, or waiting for an advisory database.', labelNames: ['state'] as const, registers: [registry] });
      queue.set({ state: 'queued' }, values.queue.queued);
      queue.set({ state: 'scanning' }, values.queue.scanning);
      queue.set({ state: 'waiting_for_database' }, values.queue.waitingForDatabase);
    }
    if (values.findings) {
      const findings = new Gauge({ name: 'portcullis_findings', help: 'Findings by severity over the latest scan result of every stored image (each digest once).', labelNames: ['severity'] as const, registers: [registry] });
      for (const severity of SEVERITY_LEVELS) findings.set({ severity }, values.findings[severity] ?? 0);
    }
    if (values.advisoryDbAgeSeconds !== undefined) {
      new Gauge({ name: 'portcullis_advisory_db_age_seconds', help: 'Seconds since the advisory database in use was last imported.', registers: [registry] }).set(values.advisoryDbAgeSeconds);
    }
    return registry;
  }

  /** The whole exposition, ending with a newline. */
  async exposition(): Promise<string> {
    const gauges = await this.#gauges();
    return Registry.merge([this.registry, gauges]).metrics();
  }
}

/** What the scan service tells the gauges (scan/service.ts). */
export interface ScanGaugeSource {
  readonly queueLength: number;
  readonly queueState: NonNullable<GaugeValues['queue']>;
  readonly databaseUpdatedAt: string | undefined;
}

/** Gauges read from the metadata store, plus the scan queue and the advisory database's age when a scanner is given. */
export function storeGauges(metadata: Pick<MetadataStore, 'repositorySummaries' | 'severityTotals'>, scanner?: () => ScanGaugeSource | undefined, now: () => number = Date.now): MetricsSource {
  return async () => {
    const summaries = await metadata.repositorySummaries();
    const findings = metadata.severityTotals ? await metadata.severityTotals() : undefined;
    const scan = scanner?.();
    const updated = scan?.databaseUpdatedAt !== undefined ? Date.parse(scan.databaseUpdatedAt) : NaN;
    return {
      repositories: summaries.length,
      manifests: summaries.reduce((n, s) => n + s.manifests, 0),
      ...(findings ? { findings } : {}),
      ...(scanner ? { queueLength: scan?.queueLength ?? 0 } : {}),
      ...(scan ? { queue: scan.queueState } : {}),
      ...(Number.isFinite(updated) ? { advisoryDbAgeSeconds: Math.max(0, Math.round((now() - updated) / 1000)) } : {}),
    };
  };
}

/** Pushed bodies as the API stored them (request facts); pulled ones as served (Content-Length of a 200 or 206 GET). */
function countTransfers(metrics: Metrics, request: FastifyRequest, reply: FastifyReply, route: RouteKind): void {
  const status = reply.statusCode;
  if (status >= 300) return;
  if (route === 'upload' || route === 'upload-start' || (route === 'manifest' && request.method === 'PUT')) {
    metrics.countTransfer('push', route === 'manifest' ? 'manifest' : 'blob', factsOf(request.raw).bytesIn ?? 0);
  } else if (request.method === 'GET' && (route === 'blob' || route === 'manifest')) {
    metrics.countTransfer('pull', route, headerNumber(reply.getHeader('content-length')));
  }
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
      metrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000);
      const { received, served } = bytesOf(request, reply);
      metrics.countBytes(route, received, served);
      countTransfers(metrics, request, reply, route);
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
