/**
 * The ScanQueueStore contract, run against every implementation (memory and
 * SQLite in scan-queue.test.ts, PostgreSQL in scan-queue-postgres.peer.test.ts).
 * `fresh` makes an empty database and returns how to open a store on it;
 * each call of that opens another store on the same database (a second
 * process).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import type { ScanQueueStore } from '../../../src/server/metadata/scan-queue-store.js';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

export type FreshQueue = () => Promise<() => Promise<ScanQueueStore>>;

async function withStore(fresh: FreshQueue, body: (store: ScanQueueStore) => Promise<void>): Promise<void> {
  const store = await (await fresh())();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function scanQueueContract(name: string, fresh: FreshQueue): void {
  describe(`scan queue contract: ${name}`, () => {
    test('a digest is queued once; claims come oldest first, each once, with one attempt counted', async () => {
      await withStore(fresh, async (q) => {
        assert.equal(await q.enqueue(d('a'), 'team/a', at(0)), true);
        assert.equal(await q.enqueue(d('b'), 'team/b', at(1)), true);
        assert.equal(await q.enqueue(d('a'), 'other/a', at(2)), false, 'queued already');
        assert.deepEqual(await q.counts(at(3)), { queued: 2, running: 0 });
        const first = await q.claim('L1', at(3), at(33), 1);
        assert.deepEqual(first, [{ digest: d('a'), repository: 'team/a', attempts: 1, lease: 'L1', leaseUntil: at(33) }]);
        const rest = await q.claim('L2', at(4), at(34), 10);
        assert.deepEqual(rest.map((j) => [j.digest, j.lease, j.attempts]), [[d('b'), 'L2', 1]]);
        assert.deepEqual(await q.claim('L3', at(5), at(35), 10), [], 'both leased');
        assert.deepEqual(await q.counts(at(5)), { queued: 0, running: 2 });
      });
    });

    test('finish removes the job under its lease only; a lost lease cannot finish or renew', async () => {
      await withStore(fresh, async (q) => {
        await q.enqueue(d('f'), 'team/f', at(0));
        const [job] = await q.claim('L1', at(1), at(11), 1);
        assert.equal(job?.digest, d('f'));
        assert.equal(await q.renew(d('f'), 'nope', at(50)), false);
        assert.equal(await q.finish(d('f'), 'nope'), false);
        assert.equal(await q.renew(d('f'), 'L1', at(21)), true);
        assert.deepEqual(await q.claim('L2', at(15), at(45), 10), [], 'renewed past 15 s');
        assert.equal(await q.finish(d('f'), 'L1'), true);
        assert.deepEqual(await q.counts(at(16)), { queued: 0, running: 0 });
        assert.equal(await q.enqueue(d('f'), 'team/f', at(17)), true, 'a finished job may be queued again');
      });
    });

    test('a lease that ran out (a dead worker) is taken over with one attempt more; the old lease has lost it', async () => {
      await withStore(fresh, async (q) => {
        await q.enqueue(d('k'), 'team/k', at(0));
        await q.claim('dead', at(1), at(11), 1);
        assert.deepEqual(await q.counts(at(10)), { queued: 0, running: 1 });
        assert.deepEqual(await q.counts(at(11)), { queued: 1, running: 0 }, 'queued again once its lease ran out');
        assert.equal(await q.enqueue(d('k'), 'team/k', at(12)), false, 'queued already');
        const [again] = await q.claim('W2', at(12), at(42), 5);
        assert.deepEqual(again, { digest: d('k'), repository: 'team/k', attempts: 2, lease: 'W2', leaseUntil: at(42) });
        assert.equal(await q.renew(d('k'), 'dead', at(60)), false);
        assert.equal(await q.finish(d('k'), 'dead'), false);
        assert.equal(await q.finish(d('k'), 'W2'), true);
      });
    });

    test('added again while running changes nothing; once finished it may be queued again', async () => {
      await withStore(fresh, async (q) => {
        await q.enqueue(d('r'), 'team/r', at(0));
        await q.claim('L1', at(1), at(31), 1);
        assert.equal(await q.enqueue(d('r'), 'team/r', at(2)), false);
        assert.deepEqual(await q.counts(at(3)), { queued: 0, running: 1 });
        assert.equal(await q.finish(d('r'), 'L1'), true);
        assert.deepEqual(await q.counts(at(4)), { queued: 0, running: 0 });
        assert.equal(await q.enqueue(d('r'), 'team/r', at(5)), true);
        const [next] = await q.claim('L2', at(5), at(35), 1);
        assert.equal(next?.attempts, 1, 'a new job counts its attempts from zero');
      });
    });

    test('two processes claiming at once never lease one job twice', async () => {
        const open = await fresh();
        const a = await open();
        const b = await open();
        try {
          const digests = Array.from({ length: 40 }, (_, i) => d(`many-${i}`));
          for (const digest of digests) await a.enqueue(digest, 'team/many', at(0));
          const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claim(`W${i}`, at(1), at(61), 7)));
          const leased = claims.flat().map((j) => j.digest);
          assert.equal(new Set(leased).size, leased.length, 'no job leased twice');
          assert.equal(leased.length, 40, 'every job leased');
        } finally {
          await a.close();
          await b.close();
        }
      });
  });
}
