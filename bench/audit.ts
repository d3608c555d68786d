/**
 * What the audit log costs `portcullis serve`, in one run:
 *   - manifest GETs (each one a `pull` event) over one keep-alive connection,
 *     with and without the audit hook and its SQLite store: median latency
 *     and requests per second, as a ratio;
 *   - the SQLite store alone: events appended per second in batches of 500,
 *     and the time of a newest-first page of 100 with a filter, on a table of
 *     200,000 events (the query is an index range read: it should not grow
 *     with the table).
 * `npm run build && node dist/bench/audit.js`
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { completeEvent, type AuditEvent } from '../src/server/audit/event.js';
import { auditPlugin } from '../src/server/audit/http.js';
import { AuditRecorder } from '../src/server/audit/recorder.js';
import { silentLog } from '../src/server/log.js';
import { SqliteAuditStore } from '../src/server/metadata/audit-sqlite.js';
import { pushImage } from '../test/server/api/helpers.js';
import { buildApp } from '../src/server/app.js';
import { startPortcullisRegistry } from '../test/support/registry-server.js';
import { median } from './stats.js';

const REQUESTS = 3000;


interface Target {
  get(): Promise<number>;
  close(): Promise<void>;
}

async function target(withAudit: boolean): Promise<Target> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-bench-audit-'));
  const store = withAudit ? new SqliteAuditStore(join(root, 'registry.sqlite')) : undefined;
  const recorder = store ? new AuditRecorder({ store, log: silentLog() }) : undefined;
  const registry = await startPortcullisRegistry({ root, ...(recorder ? { plugins: [auditPlugin(recorder)] } : {}) });
  // Push through an in-process app over the same stores (the helper speaks `inject`).
  const pusher = buildApp(registry.services);
  await pushImage(pusher, 'team/app', 'v1');
  await pusher.close();
  const agent = new Agent({ connections: 1 });
  return {
    async get() {
      const started = performance.now();
      const res = await request(`${registry.url}/v2/team/app/manifests/v1`, { dispatcher: agent });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}`);
      return performance.now() - started;
    },
    async close() {
      await recorder?.flush();
      if (store && (await store.query({ limit: 1000 })).length !== 1000) throw new Error('the pulls were not recorded');
      await agent.close();
      await registry.close();
      await recorder?.close();
      await store?.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Blocks of requests to each, alternating, so that the machine's load drifts over both alike. */
async function pulls(): Promise<{ without: { medianMs: number; perSecond: number }; with: { medianMs: number; perSecond: number } }> {
  const plain = await target(false);
  const audited = await target(true);
  const times = { without: [] as number[], with: [] as number[] };
  const spent = { without: 0, with: 0 };
  try {
    for (let i = 0; i < 500; i++) {
      await plain.get();
      await audited.get();
    }
    for (let round = 0; round < 20; round++) {
      for (const [name, t] of [['without', plain], ['with', audited]] as const) {
        const started = performance.now();
        for (let i = 0; i < REQUESTS / 20; i++) times[name].push(await t.get());
        spent[name] += performance.now() - started;
      }
    }
  } finally {
    await plain.close();
    await audited.close();
  }
  return {
    without: { medianMs: median(times.without), perSecond: REQUESTS / (spent.without / 1000) },
    with: { medianMs: median(times.with), perSecond: REQUESTS / (spent.with / 1000) },
  };
}

async function storeAlone(): Promise<{ appendPerSecond: number; pageMs: Record<string, number> }> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-bench-audit-'));
  const store = new SqliteAuditStore(join(root, 'registry.sqlite'));
  try {
    const now = Date.now();
    const total = 200_000;
    const started = performance.now();
    for (let start = 0; start < total; start += 500) {
      const batch: AuditEvent[] = [];
      for (let i = start; i < start + 500; i++) {
        batch.push(completeEvent({ action: i % 3 === 0 ? 'push' : 'pull', outcome: 'success', principal: `user${i % 200}`, principalKind: 'user', ip: '192.0.2.1', requestId: i.toString(16), repository: `p${i % 50}/app`, tag: 'v1', time: new Date(now - (total - i) * 10).toISOString() }, new Date(now)));
      }
      await store.append(batch);
    }
    const appendPerSecond = total / ((performance.now() - started) / 1000);
    const pageMs: Record<string, number> = {};
    for (const [name, query] of [
      ['newest 100', {}],
      ['one principal', { principal: 'user7' }],
      ['one repository', { repository: 'p3/app' }],
      ['action push, last hour', { action: 'push' as const, sinceMs: now - 3_600_000 }],
      ['5 projects', { projects: ['p1', 'p2', 'p3', 'p4', 'p5'] }],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t = performance.now();
        await store.query({ ...query, limit: 100 });
        times.push(performance.now() - t);
      }
      pageMs[name] = median(times);
    }
    return { appendPerSecond, pageMs };
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
}

const { without, with: withAudit } = await pulls();
const alone = await storeAlone();
console.log(`${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`);
console.log(`manifest GET without audit: median ${without.medianMs.toFixed(3)} ms, ${without.perSecond.toFixed(0)}/s`);
console.log(`manifest GET with audit:    median ${withAudit.medianMs.toFixed(3)} ms, ${withAudit.perSecond.toFixed(0)}/s (${(withAudit.perSecond / without.perSecond).toFixed(2)}x the requests per second)`);
console.log(`SQLite store: ${alone.appendPerSecond.toFixed(0)} events/s appended in batches of 500`);
for (const [name, ms] of Object.entries(alone.pageMs)) console.log(`  page of 100 of 200,000, ${name}: ${ms.toFixed(2)} ms`);
