/**
 * The AuditStore contract, run against every implementation (SQLite in
 * audit-sqlite.test.ts, PostgreSQL in audit-postgres.peer.test.ts): events
 * round-trip whole, newest first by (time, id), every filter, keyset pages
 * that neither skip nor repeat (ties on time included), the page cap, and
 * pruning in batches.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completeEvent, type AuditEvent, type AuditInput } from '../../../src/server/audit/event.js';
import { cursorOf, MAX_AUDIT_PAGE, PRUNE_BATCH, type AuditRecord, type AuditStore } from '../../../src/server/metadata/audit-store.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function event(seconds: number, extra: Partial<AuditInput> = {}): AuditEvent {
  return completeEvent({ action: 'push', outcome: 'success', principal: 'alice', principalKind: 'user', repository: 'team/app', time: at(seconds), ...extra }, new Date(T0));
}

async function withStore(make: () => Promise<AuditStore>, body: (store: AuditStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

const strip = ({ id: _id, ...rest }: AuditRecord): Omit<AuditRecord, 'id'> => rest;

export function auditStoreContract(name: string, make: () => Promise<AuditStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    test('events round-trip whole, newest first; equal times in the order they were appended, newest first', () =>
      withStore(make, async (store) => {
        const full = event(10, {
          action: 'pull.denied',
          outcome: 'denied',
          principal: 'robot$team+ci',
          principalKind: 'robot',
          ip: '203.0.113.9',
          requestId: 'a1b2c3d4e5f60718',
          repository: 'team/app/web',
          tag: 'v1',
          digest: `sha256:${'a'.repeat(64)}`,
          detail: { reason: 'CRITICAL findings: CVE-2026-0001', kind: 'vulnerable', list: ['ä', 'β'], n: 3, ok: false },
        });
        await store.append([event(5), full]);
        await store.append([event(20, { action: 'login', repository: undefined, principal: 'bob' }), event(20, { action: 'delete', principal: 'carol' })]);
        const all = await store.query({ limit: 10 });
        assert.deepEqual(all.map((r) => `${r.time}/${r.action}/${r.principal}`), [`${at(20)}/delete/carol`, `${at(20)}/login/bob`, `${at(10)}/pull.denied/robot$team+ci`, `${at(5)}/push/alice`]);
        assert.deepEqual(strip(all[2]!), { ...full, project: 'team' });
        assert.equal(all[1]!.project, undefined, 'no repository, no project');
        assert.equal(new Set(all.map((r) => r.id)).size, 4, 'ids are unique');
        assert.ok(all[0]!.id > all[1]!.id, 'the later of two appends at one time has the greater id');
      }));

    test('filters: since (inclusive), until (exclusive), project, repository, principal, action, outcome, and any of several projects', () =>
      withStore(make, async (store) => {
        await store.append([
          event(1, { repository: 'team/app' }),
          event(2, { repository: 'team/db', principal: 'bob', action: 'pull' }),
          event(3, { repository: 'other/app', outcome: 'denied' }),
          event(4, { repository: undefined, project: 'team', action: 'member.set', principal: 'admin' }),
          event(5, { repository: 'teams/app' }),
          event(6, { repository: undefined, action: 'login', principal: 'bob', outcome: 'failure' }),
        ]);
        const seconds = async (query: Parameters<AuditStore['query']>[0]): Promise<number[]> => (await store.query(query)).map((r) => (Date.parse(r.time) - T0) / 1000);
        assert.deepEqual(await seconds({ limit: 100, sinceMs: T0 + 2000, untilMs: T0 + 5000 }), [4, 3, 2]);
        assert.deepEqual(await seconds({ limit: 100, project: 'team' }), [4, 2, 1]);
        assert.deepEqual(await seconds({ limit: 100, repository: 'team/app' }), [1]);
        assert.deepEqual(await seconds({ limit: 100, repository: 'team/app', project: 'other' }), [], 'a repository outside the project matches nothing');
        assert.deepEqual(await seconds({ limit: 100, principal: 'bob' }), [6, 2]);
        assert.deepEqual(await seconds({ limit: 100, action: 'push' }), [5, 3, 1]);
        assert.deepEqual(await seconds({ limit: 100, outcome: 'denied' }), [3]);
        assert.deepEqual(await seconds({ limit: 100, principal: 'bob', action: 'login', outcome: 'failure' }), [6]);
        assert.deepEqual(await seconds({ limit: 100, projects: ['other', 'teams'] }), [5, 3]);
        assert.deepEqual(await seconds({ limit: 100, projects: ['team'], action: 'pull' }), [2]);
        assert.deepEqual(await seconds({ limit: 100, projects: [] }), [], 'no project: nothing');
        assert.deepEqual(await seconds({ limit: 100, principal: "x' OR '1'='1" }), [], 'values are bound, never SQL');
      }));

    test('keyset pages: every event once, none skipped, also across equal times; a page never exceeds the cap', () =>
      withStore(make, async (store) => {
        const events: AuditEvent[] = [];
        for (let i = 0; i < 23; i++) events.push(event(Math.floor(i / 4), { principal: `u${i}` }));
        await store.append(events);
        const seen: string[] = [];
        let after: ReturnType<typeof cursorOf> | undefined;
        for (let pages = 0; pages < 20; pages++) {
          const page = await store.query({ limit: 5, ...(after ? { after } : {}) });
          for (const r of page) seen.push(r.principal);
          if (page.length < 5) break;
          after = cursorOf(page[page.length - 1]!);
        }
        assert.equal(seen.length, 23);
        assert.deepEqual([...seen].sort(), events.map((e) => e.principal).sort());
        assert.deepEqual(seen, [...events].reverse().map((e) => e.principal), 'newest first, appended order reversed within a second');
        const many: AuditEvent[] = [];
        for (let i = 0; i < MAX_AUDIT_PAGE + 5; i++) many.push(event(100, { principal: 'bulk' }));
        await store.append(many);
        assert.equal((await store.query({ limit: 5000 })).length, MAX_AUDIT_PAGE, 'the hard cap');
        assert.equal((await store.query({ limit: 0 })).length, 0);
      }));

    test('prune deletes what is older than the cutoff, in batches, and nothing else', () =>
      withStore(make, async (store) => {
        const old: AuditEvent[] = [];
        for (let i = 0; i < PRUNE_BATCH + 7; i++) old.push(event(i % 50, { principal: 'old' }));
        await store.append(old);
        await store.append([event(100, { principal: 'kept' }), event(50, { principal: 'boundary' })]);
        assert.equal(await store.prune(T0 + 50_000), PRUNE_BATCH + 7);
        assert.deepEqual((await store.query({ limit: 10 })).map((r) => r.principal), ['kept', 'boundary'], 'an event at the cutoff stays');
        assert.equal(await store.prune(T0 + 50_000), 0);
      }));
  });
}
