/**
 * `/healthz` and `/readyz`, for load balancers and orchestrators (Kubernetes
 * liveness and readiness probes, distribution's `health` package):
 *
 * - `/healthz` (liveness): the process answers. 200 `{"status":"ok"}`,
 *   nothing checked, so a slow database never gets a live process killed.
 * - `/readyz` (readiness): storage, metadata and, when scanning is on, the
 *   advisory database are reachable. Each is checked cheaply (a stat of one
 *   blob; one indexed query; a stat and the 16-byte SQLite header of the
 *   database file) with a 2-second timeout, all at once. 200 when all pass;
 *   503 with the names of those that failed otherwise.
 *
 * Neither asks for credentials: a load balancer has none, and the answers
 * reveal nothing — which components are ready, never paths, addresses,
 * counts or error text (those go to the log, `readiness` events, once per
 * change, so a probe every few seconds does not flood it). Probes that
 * arrive while a check is still running share it, so a flood of probes
 * costs one check of each component at a time.
 */
import { open, stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Digest } from '../core/index.js';
import { isPostgresLocation, openAdvisoryReader } from '../vuln/index.js';
import type { RegistryLog } from './log.js';
import type { MetadataStore } from './metadata/store.js';
import type { BlobStore } from './storage/blob-store.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
const CHECK_TIMEOUT_MS = 2_000;
/** Of the empty blob: every well-formed digest does, present or not. */
const PROBE_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;
const PROBE_REPOSITORY = 'portcullis/readiness-probe';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export type Component = 'storage' | 'metadata' | 'advisories';

export interface ReadinessOptions {
  readonly blobs: Pick<BlobStore, 'stat'>;
  readonly metadata: Pick<MetadataStore, 'repositoryExists'>;
  /** The advisory database file (or PostgreSQL URL), when scanning is on. */
  readonly advisoryDbPath?: string;
  readonly log?: RegistryLog;
  readonly timeoutMs?: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, 'ok' | 'failed' | 'timeout'>>;
}

type Check = () => Promise<void>;

export function readinessChecker(options: ReadinessOptions): () => Promise<Readiness> {
  const checks: Array<[Component, Check]> = [
    ['storage', async () => void (await options.blobs.stat(PROBE_DIGEST))],
    ['metadata', async () => void (await options.metadata.repositoryExists(PROBE_REPOSITORY))],
  ];
  const dbPath = options.advisoryDbPath;
  if (dbPath !== undefined) checks.push(['advisories', () => advisoryDatabaseReadable(dbPath)]);
  const running = new Map<Component, Promise<{ state: 'ok' | 'failed' | 'timeout'; error?: string }>>();
  const lastFailures = new Map<Component, string>();
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;

  function run(component: Component, check: Check): Promise<{ state: 'ok' | 'failed' | 'timeout'; error?: string }> {
    let pending = running.get(component);
    if (!pending) {
      pending = withTimeout(check(), timeoutMs).finally(() => running.delete(component));
      running.set(component, pending);
    }
    return pending;
  }

  return async () => {
    const results = await Promise.all(checks.map(async ([component, check]) => [component, await run(component, check)] as const));
    for (const [component, result] of results) {
      const was = lastFailures.get(component);
      if (result.state === 'ok') {
        if (was !== undefined) options.log?.info({ event: 'readiness', component, state: 'ok' }, `${component} is reachable again`);
        lastFailures.delete(component);
      } else {
        const reason = result.error ?? result.state;
        if (was !== reason) options.log?.warn({ event: 'readiness', component, state: result.state, error: reason }, `not ready: ${component} ${result.state === 'timeout' ? `did not answer within ${timeoutMs} ms` : `failed (${reason})`}`);
        lastFailures.set(component, reason);
      }
    }
    return { ready: results.every(([, r]) => r.state === 'ok'), checks: Object.fromEntries(results.map(([component, r]) => [component, r.state])) };
  };
}

async function withTimeout(work: Promise<void>, ms: number): Promise<{ state: 'ok' | 'failed' | 'timeout'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ state: 'timeout' }>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'timeout' }), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => ({ state: 'ok' as const }),
        (error: unknown) => ({ state: 'failed' as const, error: error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300) }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A regular file that starts like an SQLite database (`portcullis db update` has written one), or a PostgreSQL advisory store that answers. */
async function advisoryDatabaseReadable(path: string): Promise<void> {
  if (isPostgresLocation(path)) {
    const store = await openAdvisoryReader(path);
    try {
      await store.getMeta('portcullis:readiness');
    } finally {
      await store.close();
    }
    return;
  }
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    if (bytesRead !== header.length || !header.equals(SQLITE_HEADER)) throw new Error(`${path} is not an SQLite database`);
  } finally {
    await handle.close();
  }
}

/** Serves both endpoints, without credentials; the app's request log and metrics still see them. */
export function healthPlugin(ready: () => Promise<Readiness>): (app: FastifyInstance) => Promise<void> {
  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.get(HEALTH_PATH, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
    app.get(READY_PATH, async (_request, reply) => {
      const result = await ready();
      reply.header('cache-control', 'no-store');
      if (result.ready) return reply.code(200).send({ status: 'ready', checks: result.checks });
      const failed = Object.entries(result.checks)
        .filter(([, state]) => state !== 'ok')
        .map(([name]) => name);
      return reply.code(503).send({ status: 'not ready', failed, checks: result.checks });
    });
  };
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
