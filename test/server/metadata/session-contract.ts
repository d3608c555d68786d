/**
 * The UI session store contract (metadata/session-store.ts), run against
 * every implementation: SQLite and memory in session-sqlite.test.ts,
 * PostgreSQL in session-postgres.peer.test.ts. What it proves: a session
 * is found by its key while live and not once its lifetime or idle time
 * has passed (touching moves the idle clock, never back); a second store
 * on the same database (another process) sees it, and its deletion; only
 * the key, user name and times are kept; the cap drops the oldest; the
 * purge removes ended sessions only, at most `limit` at a time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UiSessionRecord, UiSessionStore } from '../../../src/server/metadata/session-store.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

function session(key: string, extra: Partial<UiSessionRecord> = {}): UiSessionRecord {
  return { key, user: 'alice', createdAt: T0, lastSeen: T0, expiresAt: T0 + 12 * HOUR, idleMs: HOUR / 2, ...extra };
}

/** `open` opens another store on the same database each time it is called (a second process); `shared` false for memory. */
export function sessionStoreContract(name: string, open: () => Promise<{ open: () => Promise<UiSessionStore>; shared: boolean }>): void {
  async function withStore(body: (store: UiSessionStore, other: () => Promise<UiSessionStore>, shared: boolean) => Promise<void>): Promise<void> {
    const { open: make, shared } = await open();
    const store = await make();
    const others: UiSessionStore[] = [];
    try {
      await body(store, async () => (shared ? (others[others.length] = await make()) : store), shared);
    } finally {
      for (const other of others) await other.close();
      await store.close();
    }
  }

  describe(`UI session store contract: ${name}`, () => {
    test('live until the lifetime or the idle time passes; touch moves the idle clock forward only', async () => {
      await withStore(async (store) => {
        await store.create(session('k1'), 100);
        assert.deepEqual(await store.get('k1', T0 + 1000), session('k1'));
        assert.equal(await store.get('k2', T0), undefined);
        assert.equal(await store.get('k1', T0 + HOUR / 2), undefined, 'idle for idleMs: ended');
        await store.touch('k1', T0 + HOUR / 4);
        await store.touch('k1', T0 + 1000);
        assert.equal((await store.get('k1', T0 + HOUR / 2))?.lastSeen, T0 + HOUR / 4, 'touched, and not moved back');
        for (let at = T0 + HOUR / 4; at < T0 + 12 * HOUR; at += HOUR / 4) await store.touch('k1', at);
        assert.equal(await store.get('k1', T0 + 12 * HOUR), undefined, 'the lifetime ends it whatever its use');
      });
    });

    test('another store on the same database sees a session and its deletion (two processes)', async () => {
      await withStore(async (store, other, shared) => {
        await store.create(session('shared-key', { user: 'bob' }), 100);
        const second = await other();
        assert.equal((await second.get('shared-key', T0 + 1))?.user, 'bob');
        assert.equal(await second.delete('shared-key'), true);
        assert.equal(await store.get('shared-key', T0 + 1), undefined);
        assert.equal(await store.delete('shared-key'), false);
        if (shared) assert.equal(await second.count(), 0);
      });
    });

    test('past the cap, the oldest sessions go first', async () => {
      await withStore(async (store) => {
        for (let i = 0; i < 5; i++) await store.create(session(`c${i}`, { createdAt: T0 + i, lastSeen: T0 + i }), 3);
        assert.equal(await store.count(), 3);
        assert.equal(await store.get('c0', T0 + 10), undefined);
        assert.equal(await store.get('c1', T0 + 10), undefined);
        for (const key of ['c2', 'c3', 'c4']) assert.ok(await store.get(key, T0 + 10), key);
      });
    });

    test('the purge removes ended sessions only, at most limit at a time', async () => {
      await withStore(async (store) => {
        await store.create(session('live', { lastSeen: T0 + 2 * HOUR }), 100);
        for (let i = 0; i < 4; i++) await store.create(session(`idle${i}`), 100);
        await store.create(session('old', { createdAt: T0 - 12 * HOUR, lastSeen: T0 + 2 * HOUR, expiresAt: T0 + HOUR }), 100);
        const now = T0 + 2 * HOUR + 1000;
        assert.equal(await store.purgeExpired(now, 3), 3);
        assert.equal(await store.purgeExpired(now, 100), 2);
        assert.equal(await store.purgeExpired(now, 100), 0);
        assert.equal(await store.count(), 1);
        assert.ok(await store.get('live', now));
      });
    });

    test('a key is stored as given (the caller hashes the id); the same key again replaces the session', async () => {
      await withStore(async (store) => {
        await store.create(session('same', { user: 'alice' }), 100);
        await store.create(session('same', { user: 'carol', createdAt: T0 + 5, lastSeen: T0 + 5 }), 100);
        assert.equal(await store.count(), 1);
        assert.deepEqual(await store.get('same', T0 + 10), session('same', { user: 'carol', createdAt: T0 + 5, lastSeen: T0 + 5 }));
      });
    });
  });
}
