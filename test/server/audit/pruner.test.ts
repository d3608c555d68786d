/**
 * The audit log's retention: a prune deletes what is older than now minus
 * the retention, says how many went, and a failing store is logged (the
 * next hour tries again) without stopping the pruner.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { completeEvent } from '../../../src/server/audit/event.js';
import { AuditPruner } from '../../../src/server/audit/pruner.js';
import { SqliteAuditStore } from '../../../src/server/metadata/audit-sqlite.js';
import { captureLog } from '../../support/registry-log.js';

const DAY = 86_400_000;

test('a prune removes events past the retention and keeps the rest; a failure is logged and the next prune works', async () => {
  const store = new SqliteAuditStore(join(await mkdtemp(join(tmpdir(), 'portcullis-audit-')), 'registry.sqlite'));
  const now = Date.parse('2026-06-01T00:00:00.000Z');
  const aged = (days: number) => completeEvent({ action: 'pull', outcome: 'success', principal: `${days}d`, principalKind: 'user', time: new Date(now - days * DAY).toISOString() }, new Date(now));
  await store.append([aged(200), aged(91), aged(89), aged(1)]);
  const captured = captureLog('info');
  let failing = true;
  const pruner = new AuditPruner({
    store: { prune: (before) => (failing ? Promise.reject(new Error('disk I/O error')) : store.prune(before)) },
    retentionMs: 90 * DAY,
    log: captured.log,
    now: () => now,
  });
  await assert.rejects(pruner.prune(), /disk I\/O error/);
  assert.equal(captured.events('audit.pruned')[0]?.level, 'error');
  failing = false;
  assert.equal(await pruner.prune(), 2);
  assert.deepEqual((await store.query({ limit: 10 })).map((r) => r.principal), ['1d', '89d']);
  assert.deepEqual(captured.events('audit.pruned').map((l) => [l.level, l.count]), [['error', undefined], ['info', 2]]);
  await pruner.stop();
  await store.close();
});
