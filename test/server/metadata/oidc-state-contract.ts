/**
 * The OIDC sign-in store contract (metadata/oidc-state-store.ts), run on
 * SQLite (oidc-state-sqlite.test.ts) and PostgreSQL
 * (oidc-state-postgres.peer.test.ts). What it proves: a record added through
 * one store (process) is taken through another, once: of two stores racing
 * on the same records, exactly one gets each; an expired record is not
 * returned and is gone; the per-client and global caps count live records
 * only and refuse rather than evict, even with adds racing from two stores;
 * `add` purges expired rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OidcStateRecord, OidcStateStore } from '../../../src/server/metadata/oidc-state-store.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const TTL = 600_000;
const CAPS = { max: 1000, perClient: 64 };

function record(key: string, extra: Partial<OidcStateRecord> = {}): OidcStateRecord {
  return { key, client: '10.0.0.1', state: `state-${key}`, nonce: `nonce-${key}`, verifier: `verifier-${key}`, returnPath: '/ui/r/app', expiresAt: T0 + TTL, ...extra };
}

/** `open` opens another store on the same database each time it is called (a second process). */
export function oidcStateStoreContract(name: string, database: () => Promise<() => Promise<OidcStateStore>>): void {
  async function withStores(body: (a: OidcStateStore, b: OidcStateStore) => Promise<void>): Promise<void> {
    const open = await database();
    const a = await open();
    const b = await open();
    try {
      await body(a, b);
    } finally {
      await b.close();
      await a.close();
    }
  }

  describe(`OIDC sign-in store contract: ${name}`, () => {
    test('added through one process, taken through another, once; every field comes back', async () => {
      await withStores(async (a, b) => {
        assert.equal(await a.add(record('k1'), T0, CAPS), 'added');
        assert.deepEqual(await b.take('k1', T0 + 1000), record('k1'));
        assert.equal(await a.take('k1', T0 + 1000), undefined, 'taken already');
        assert.equal(await b.take('k1', T0 + 1000), undefined);
        assert.equal(await a.take('never-added', T0), undefined);
        assert.equal(await a.count(), 0);
      });
    });

    test('two processes racing on the same records: exactly one gets each', async () => {
      await withStores(async (a, b) => {
        const keys = Array.from({ length: 40 }, (_, i) => `race-${i}`);
        for (const key of keys) assert.equal(await a.add(record(key), T0, CAPS), 'added');
        const results = await Promise.all(keys.flatMap((key) => [a.take(key, T0 + 1), b.take(key, T0 + 1), a.take(key, T0 + 1), b.take(key, T0 + 1)]));
        for (let i = 0; i < keys.length; i++) {
          const got = results.slice(i * 4, i * 4 + 4).filter((r) => r !== undefined);
          assert.equal(got.length, 1, `${keys[i]} was taken ${got.length} times`);
          assert.deepEqual(got[0], record(keys[i]!));
        }
        assert.equal(await b.count(), 0);
      });
    });

    test('an expired record is not returned, and is deleted by the attempt', async () => {
      await withStores(async (a, b) => {
        await a.add(record('old'), T0, CAPS);
        assert.equal(await b.take('old', T0 + TTL), undefined, 'expired at expiresAt');
        assert.equal(await a.count(), 0);
      });
    });

    test('the caps count live records, refuse rather than evict, and add purges expired rows', async () => {
      await withStores(async (a, b) => {
        const caps = { max: 5, perClient: 3 };
        for (let i = 0; i < 3; i++) assert.equal(await a.add(record(`c${i}`, { client: '10.0.0.1' }), T0, caps), 'added');
        assert.equal(await b.add(record('c3', { client: '10.0.0.1' }), T0, caps), 'client-full');
        assert.equal(await b.add(record('d0', { client: '10.0.0.2' }), T0, caps), 'added');
        assert.equal(await b.add(record('e0', { client: '10.0.0.3' }), T0, caps), 'added');
        assert.equal(await a.add(record('f0', { client: '10.0.0.4' }), T0, caps), 'full');
        for (const key of ['c0', 'c1', 'c2', 'd0']) assert.ok(await b.take(key, T0 + 1), `${key} was kept`);
        assert.equal(await a.add(record('e1', { client: '10.0.0.3', expiresAt: T0 + 2 * TTL }), T0 + TTL, caps), 'added', 'e0 expired: no longer counted');
        assert.equal(await a.count(), 1, 'e0 was purged by the add');
        assert.ok(await b.take('e1', T0 + TTL + 1));
      });
    });

    test('adds racing from two processes never pass the caps', async () => {
      await withStores(async (a, b) => {
        const caps = { max: 12, perClient: 5 };
        const adds = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).add(record(`r${i}`, { client: i < 20 ? '10.0.0.1' : `10.0.1.${i}` }), T0, caps));
        const outcomes = await Promise.all(adds);
        assert.equal(outcomes.slice(0, 20).filter((o) => o === 'added').length, 5, 'one client: five of twenty');
        assert.equal(outcomes.slice(20).filter((o) => o === 'added').length, 7, 'the others: up to twelve in all');
        assert.equal(await a.count(), 12);
      });
    });
  });
}
