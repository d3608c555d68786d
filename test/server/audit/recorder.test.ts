/**
 * The audit recorder: every event is in the log at once (the export), then
 * stored in batches; a full queue or a failing store drops events from the
 * store only — each is counted in portcullis_audit_dropped_total, one error
 * is logged per burst, and the log still has every event; close stores what
 * is queued. Also: fields from clients are bounded before they go anywhere,
 * scheduled collections and policy reloads are recorded as `<system>`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundDetail, completeEvent, MAX_DETAIL_BYTES, type AuditEvent, type AuditInput } from '../../../src/server/audit/event.js';
import { auditedGcObserver } from '../../../src/server/audit/gc.js';
import { AuditRecorder } from '../../../src/server/audit/recorder.js';
import { SETTINGS_SCHEMA, type Settings } from '../../../src/server/config-file/index.js';
import type { RegistryConfig } from '../../../src/server/config.js';
import type { GcReport } from '../../../src/server/gc/index.js';
import { Metrics } from '../../../src/server/metrics.js';
import { reloader } from '../../../src/server/reload.js';
import { captureLog } from '../../support/registry-log.js';

const pull = (i: number): AuditInput => ({ action: 'pull', outcome: 'success', principal: 'alice', principalKind: 'user', ip: '192.0.2.1', requestId: `r${i}`, repository: 'team/app', tag: `t${i}` });

/** A store whose appends wait until the test lets them go (or fail). */
function gatedStore() {
  const stored: AuditEvent[][] = [];
  let release: (() => void) | undefined;
  let fail = false;
  return {
    stored,
    store: {
      append(events: readonly AuditEvent[]): Promise<void> {
        if (fail) return Promise.reject(new Error('database is locked'));
        return new Promise<void>((resolve) => {
          release = () => {
            stored.push([...events]);
            resolve();
          };
        });
      },
    },
    release: () => {
      const go = release;
      release = undefined;
      go?.();
    },
    failNext: (value: boolean) => (fail = value),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the audit recorder', () => {
  test('each event is an "audit" log line at once, then stored in order, batched', async () => {
    const captured = captureLog('info');
    const stored: AuditEvent[][] = [];
    const recorder = new AuditRecorder({ log: captured.log, batchSize: 4, store: { append: async (events) => void stored.push([...events]) } });
    for (let i = 0; i < 10; i++) recorder.record(pull(i));
    assert.equal(captured.events('audit').length, 10, 'logged before anything is stored');
    assert.equal(stored.length, 0, 'record never waits for the store');
    await recorder.flush();
    assert.deepEqual(stored.map((b) => b.length), [4, 4, 2]);
    assert.deepEqual(stored.flat().map((e) => e.tag), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
    const line = captured.events('audit')[3]!;
    assert.deepEqual(
      { action: line.action, outcome: line.outcome, principal: line.principal, principalKind: line.principalKind, ip: line.ip, reqId: line.reqId, repository: line.repository, project: line.project, tag: line.tag, level: line.level },
      { action: 'pull', outcome: 'success', principal: 'alice', principalKind: 'user', ip: '192.0.2.1', reqId: 'r3', repository: 'team/app', project: 'team', tag: 't3', level: 'info' },
    );
    assert.equal(line.msg, 'audit: pull team/app:t3 by alice (success)');
  });

  test('a batch waits for others to join it, until it is full or flushed', async () => {
    const stored: AuditEvent[][] = [];
    const recorder = new AuditRecorder({ log: captureLog('silent').log, batchSize: 3, flushDelayMs: 60_000, store: { append: async (events) => void stored.push([...events]) } });
    recorder.record(pull(1));
    recorder.record(pull(2));
    await tick();
    await tick();
    assert.equal(stored.length, 0, 'two events wait for a third');
    recorder.record(pull(3));
    await tick();
    await tick();
    assert.deepEqual(stored.map((b) => b.length), [3], 'a full batch is written at once');
    recorder.record(pull(4));
    await recorder.flush();
    assert.deepEqual(stored.map((b) => b.length), [3, 1], 'flush writes what waits');
    await recorder.close();
  });

  test('the log export is written even when the operator log level is above info (not when it is silent)', async () => {
    const warn = captureLog('warn');
    new AuditRecorder({ log: warn.log }).record(pull(1));
    assert.equal(warn.events('audit').length, 1);
    const silent = captureLog('silent');
    new AuditRecorder({ log: silent.log }).record(pull(1));
    assert.equal(silent.lines.length, 0);
  });

  test('a full queue drops events from the store only: counted in the metric, one error per burst, every event still in the log', async () => {
    const captured = captureLog('info');
    const metrics = new Metrics({ defaultMetrics: false });
    const gate = gatedStore();
    const recorder = new AuditRecorder({ log: captured.log, store: gate.store, queueSize: 5, batchSize: 3, flushDelayMs: 0, onDropped: (n) => metrics.countAuditDropped(n) });
    for (let i = 0; i < 3; i++) recorder.record(pull(i));
    await tick();
    // The writer holds the first three; five fit in the queue; the next four are dropped.
    for (let i = 3; i < 12; i++) recorder.record(pull(i));
    assert.equal(recorder.pending, 5);
    assert.equal(recorder.dropped, 4);
    assert.equal(captured.events('audit').length, 12, 'the log has every event');
    const errors = captured.events('audit.dropped').filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, 'one error for the burst, not one per event');
    assert.equal(errors[0]!.reason, 'queue-full');
    assert.match(await metrics.exposition(), /^portcullis_audit_dropped_total 4$/m);
    for (let round = 0; round < 4; round++) {
      gate.release();
      await tick();
      await tick();
    }
    await recorder.flush();
    assert.deepEqual(gate.stored.flat().map((e) => e.tag), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    const recovered = captured.events('audit.dropped').filter((l) => l.level === 'warn');
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0]!.count, 4);
  });

  test('a failing store drops the batch: counted, logged once, and the next batch is stored again', async () => {
    const captured = captureLog('info');
    const gate = gatedStore();
    let dropped = 0;
    const recorder = new AuditRecorder({ log: captured.log, store: gate.store, flushDelayMs: 0, onDropped: (n) => (dropped += n) });
    gate.failNext(true);
    recorder.record(pull(1));
    recorder.record(pull(2));
    await recorder.flush();
    recorder.record(pull(3));
    await recorder.flush();
    assert.equal(dropped, 3);
    const errors = captured.events('audit.dropped').filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.reason, 'store-failed');
    assert.match(JSON.stringify(errors[0]!.err), /database is locked/);
    gate.failNext(false);
    recorder.record(pull(4));
    await tick();
    gate.release();
    await recorder.flush();
    assert.deepEqual(gate.stored.flat().map((e) => e.tag), ['t4']);
    assert.equal(captured.events('audit').length, 4);
  });

  test('close stores what is queued; later events are logged and counted, not stored', async () => {
    const captured = captureLog('info');
    const stored: AuditEvent[] = [];
    let dropped = 0;
    const recorder = new AuditRecorder({ log: captured.log, store: { append: async (events) => { for (const event of events) stored.push(event); } }, onDropped: (n) => (dropped += n) });
    recorder.record(pull(1));
    await recorder.close();
    assert.equal(stored.length, 1);
    recorder.record(pull(2));
    assert.equal(dropped, 1);
    assert.equal(captured.events('audit').length, 2);
  });

  test('fields from clients are bounded: names, tags and detail', () => {
    const event = completeEvent(
      { action: 'login', outcome: 'failure', principal: 'x'.repeat(100_000), principalKind: 'user', tag: 't'.repeat(10_000), detail: { note: 'y'.repeat(100_000), list: Array.from({ length: 1000 }, (_, i) => i), nested: { deep: { deeper: 1 } } } },
      new Date(0),
    );
    assert.equal(event.principal.length, 256);
    assert.equal(event.tag?.length, 512);
    assert.equal((event.detail?.note as string).length, 256);
    assert.equal((event.detail?.list as number[]).length, 20);
    assert.equal(event.detail?.nested, '{"deep":{"deeper":1}}');
    const wide: Record<string, string> = {};
    for (let i = 0; i < 40; i++) wide[`k${i}`] = 'z'.repeat(250);
    const bounded = boundDetail(wide);
    assert.ok(Buffer.byteLength(JSON.stringify(bounded)) <= MAX_DETAIL_BYTES);
    assert.equal(bounded.truncated, true);
  });

  test('scheduled collections and policy reloads are recorded as <system>; collections asked for through the API are not recorded twice', async () => {
    const events: AuditInput[] = [];
    const recorder = { record: (e: AuditInput) => void events.push(e) };
    const observer = auditedGcObserver({ gcFinished: () => undefined, gcFailed: () => undefined }, recorder);
    const report = { dryRun: false, durationMs: 12, repositories: 3, tagsDeleted: 1, manifestsDeleted: 2, linksRemoved: 4, blobsDeleted: 5, bytesFreed: 6000, orphansDeleted: 0 } as unknown as GcReport;
    observer.gcFinished(report, { scheduled: true });
    observer.gcFinished(report, { scheduled: false });
    observer.gcFailed(7, new Error('lease held'), { scheduled: true });
    assert.deepEqual(
      events.map((e) => [e.action, e.outcome, e.principal, e.principalKind, e.detail?.manifestsDeleted ?? e.detail?.error]),
      [
        ['gc', 'success', '<system>', 'system', 2],
        ['gc', 'failure', '<system>', 'system', 'lease held'],
      ],
    );
    events.length = 0;
    const settings = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}): Settings => SETTINGS_SCHEMA.parse({ policy, ...extra });
    const captured = captureLog('silent');
    let next = settings({ denySeverity: 'CRITICAL' }, { uploads: { maxPerClient: 5 } });
    const started = { log: captured.log, settings: settings({}), reread: async () => ({ log: captured.log, settings: next }) } as unknown as RegistryConfig;
    const reload = reloader(started, { apply: async () => undefined }, undefined, recorder);
    assert.equal((await reload()).outcome, 'applied');
    next = settings({ denySeverity: 'CRITICAL' }, { uploads: { maxPerClient: 7 } });
    await reload();
    assert.deepEqual(events, [{ action: 'policy.changed', outcome: 'success', principal: '<system>', principalKind: 'system', detail: { via: 'reload', changed: ['policy.denySeverity'] } }], 'an upload cap is not a policy');
  });
});
