/**
 * The WebhookStore contract, run against every implementation (SQLite in
 * webhook-sqlite.test.ts, PostgreSQL in webhook-postgres.peer.test.ts). The
 * store comes with the identity store of the same database, since a
 * webhook's project lives there: deleting the project must take its webhooks
 * and their deliveries with it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdentityStore } from '../../../src/server/metadata/identity-store.js';
import type { DeliveryRecord, WebhookRecord, WebhookStore } from '../../../src/server/metadata/webhook-store.js';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

export interface WebhookStores {
  readonly identity: IdentityStore;
  /** Opens another store on the same database (a second process). */
  readonly open: () => Promise<WebhookStore>;
}

function webhook(project: string, id: string, extra: Partial<WebhookRecord> = {}): WebhookRecord {
  return { id, project, url: `https://hooks.example/${id}`, events: ['push', 'delete'], format: 'portcullis', sealedSecret: `v1.sealed-${id}`, enabled: true, createdAt: T0, updatedAt: T0, ...extra };
}

let counter = 0;
function delivery(webhookId: string, project: string, extra: Partial<DeliveryRecord> = {}): DeliveryRecord {
  counter++;
  const id = `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return { id, webhookId, project, event: 'push', eventId: `event-${counter}`, body: `{"n":${counter}}`, state: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0, updatedAt: T0, ...extra };
}

async function withStores(make: () => Promise<WebhookStores>, body: (store: WebhookStore, stores: WebhookStores) => Promise<void>): Promise<void> {
  const stores = await make();
  const store = await stores.open();
  try {
    for (const name of ['team', 'other']) await stores.identity.createProject({ name, public: false, createdAt: T0 });
    await body(store, stores);
  } finally {
    await store.close();
    await stores.identity.close();
  }
}

export function webhookStoreContract(name: string, make: () => Promise<WebhookStores>): void {
  describe(`WebhookStore contract: ${name}`, () => {
    test('webhooks: create once in an existing project, read, list by age, update, delete', () =>
      withStores(make, async (store) => {
        assert.equal(await store.createWebhook(webhook('team', 'b000000000000001', { createdAt: at(2), description: 'ci' })), true);
        assert.equal(await store.createWebhook(webhook('team', 'a000000000000002', { createdAt: at(1), format: 'clair', events: ['vulnerability.new'] })), true);
        assert.equal(await store.createWebhook(webhook('team', 'b000000000000001')), false, 'an id is taken once');
        assert.equal(await store.createWebhook(webhook('nope', 'c000000000000003')), false, 'no such project');
        assert.deepEqual((await store.listWebhooks('team')).map((w) => w.id), ['a000000000000002', 'b000000000000001']);
        assert.deepEqual(await store.listWebhooks('other'), []);
        assert.deepEqual(await store.getWebhook('team', 'b000000000000001'), webhook('team', 'b000000000000001', { createdAt: at(2), description: 'ci' }));
        assert.equal(await store.getWebhook('other', 'b000000000000001'), undefined, 'looked up within its project only');
        const changed = webhook('team', 'b000000000000001', { createdAt: at(2), url: 'http://127.0.0.1:9/x', events: ['scan.failed'], enabled: false, sealedSecret: 'v1.new', updatedAt: at(5) });
        assert.equal(await store.updateWebhook(changed), true);
        assert.deepEqual(await store.getWebhook('team', 'b000000000000001'), changed);
        assert.equal(await store.updateWebhook(webhook('other', 'b000000000000001')), false, 'not across projects');
        assert.equal(await store.deleteWebhook('other', 'b000000000000001'), false);
        assert.equal(await store.deleteWebhook('team', 'b000000000000001'), true);
        assert.equal(await store.deleteWebhook('team', 'b000000000000001'), false);
      }));

    test('deliveries: due ones are leased once, oldest due first, under a lease that records the outcome', () =>
      withStores(make, async (store) => {
        await store.createWebhook(webhook('team', 'a000000000000001'));
        const first = delivery('a000000000000001', 'team', { nextAttemptAt: at(2) });
        const second = delivery('a000000000000001', 'team', { nextAttemptAt: at(1) });
        const later = delivery('a000000000000001', 'team', { nextAttemptAt: at(100) });
        await store.addDeliveries([first, second, later]);
        assert.equal(await store.nextDue(), at(1));
        const claimed = await store.claimDue(at(10), 'lease-1', at(70), 5);
        assert.deepEqual(claimed.map((d) => d.id).sort(), [first.id, second.id].sort(), 'only what is due');
        for (const d of claimed) {
          assert.equal(d.state, 'delivering');
          assert.equal(d.attempts, 1);
          assert.equal(d.lease, 'lease-1');
          assert.equal(d.leaseUntil, at(70));
        }
        assert.deepEqual(await store.claimDue(at(10), 'lease-2', at(70), 5), [], 'a leased delivery is not leased again while its lease runs');
        assert.equal(await store.nextDue(), at(70), 'the lease ends before the later one is due');
        assert.equal(await store.finishAttempt(first.id, 'lease-2', { state: 'delivered', at: at(11) }), false, 'not under another lease');
        assert.equal(await store.finishAttempt(first.id, 'lease-1', { state: 'delivered', responseStatus: 204, responseExcerpt: 'ok', at: at(11) }), true);
        assert.equal(await store.finishAttempt(first.id, 'lease-1', { state: 'failed', at: at(12) }), false, 'once');
        assert.equal(await store.finishAttempt(second.id, 'lease-1', { state: 'pending', nextAttemptAt: at(30), responseStatus: 500, error: 'answered 500', at: at(11) }), true);
        const done = await store.getDelivery('a000000000000001', first.id);
        assert.equal(done?.state, 'delivered');
        assert.equal(done?.responseStatus, 204);
        assert.equal(done?.responseExcerpt, 'ok');
        assert.equal(done?.completedAt, at(11));
        assert.equal(done?.lease, undefined);
        const retry = await store.getDelivery('a000000000000001', second.id);
        assert.deepEqual(
          { state: retry?.state, attempts: retry?.attempts, next: retry?.nextAttemptAt, error: retry?.error, status: retry?.responseStatus, completed: retry?.completedAt },
          { state: 'pending', attempts: 1, next: at(30), error: 'answered 500', status: 500, completed: undefined },
        );
        assert.deepEqual(await store.claimDue(at(29), 'lease-3', at(90), 5), []);
        assert.deepEqual((await store.claimDue(at(30), 'lease-3', at(90), 1)).map((d) => [d.id, d.attempts]), [[second.id, 2]]);
      }));

    test('deliveries: a lease that ran out (its sender died) is leased again, and the late sender cannot record', () =>
      withStores(make, async (store) => {
        await store.createWebhook(webhook('team', 'a000000000000001'));
        const d = delivery('a000000000000001', 'team');
        await store.addDeliveries([d]);
        assert.equal((await store.claimDue(at(0), 'dead', at(60), 1)).length, 1);
        assert.deepEqual(await store.claimDue(at(59), 'alive', at(120), 1), []);
        const again = await store.claimDue(at(60), 'alive', at(120), 1);
        assert.deepEqual(again.map((x) => [x.id, x.attempts, x.lease]), [[d.id, 2, 'alive']]);
        assert.equal(await store.finishAttempt(d.id, 'dead', { state: 'delivered', at: at(61) }), false);
        assert.equal(await store.finishAttempt(d.id, 'alive', { state: 'failed', error: 'gave up', at: at(61) }), true);
        assert.equal((await store.getDelivery('a000000000000001', d.id))?.state, 'failed');
        assert.equal(await store.nextDue(), undefined, 'nothing will be due');
      }));

    test('deliveries: two stores leasing at once never take the same delivery', () =>
      withStores(make, async (store, stores) => {
        await store.createWebhook(webhook('team', 'a000000000000001'));
        const all = Array.from({ length: 40 }, () => delivery('a000000000000001', 'team'));
        await store.addDeliveries(all);
        const other = await stores.open();
        try {
          const taken: string[] = [];
          for (let round = 0; round < 10; round++) {
            const [a, b] = await Promise.all([store.claimDue(at(0), `a${round}`, at(60), 3), other.claimDue(at(0), `b${round}`, at(60), 3)]);
            for (const d of [...a, ...b]) taken.push(d.id);
          }
          assert.equal(new Set(taken).size, taken.length, 'no delivery leased twice');
          assert.equal(taken.length, 40);
        } finally {
          await other.close();
        }
      }));

    test('the delivery log: newest first, paged by sequence; Clair notifications by id; pruning only what was completed before', () =>
      withStores(make, async (store) => {
        await store.createWebhook(webhook('team', 'a000000000000001'));
        await store.createWebhook(webhook('team', 'a000000000000002'));
        const mine = Array.from({ length: 5 }, () => delivery('a000000000000001', 'team'));
        const clair = delivery('a000000000000002', 'team', { clairNotificationId: 'f0000000-0000-4000-8000-000000000001', clairNotifications: '[{"id":"n1"}]' });
        await store.addDeliveries([...mine.slice(0, 3), clair, ...mine.slice(3)]);
        const page1 = await store.listDeliveries('a000000000000001', { limit: 2 });
        assert.deepEqual(page1.map((d) => d.id), [mine[4]!.id, mine[3]!.id]);
        assert.ok((page1[0]!.seq ?? 0) > (page1[1]!.seq ?? 0));
        const page2 = await store.listDeliveries('a000000000000001', { before: page1[1]!.seq!, limit: 10 });
        assert.deepEqual(page2.map((d) => d.id), [mine[2]!.id, mine[1]!.id, mine[0]!.id]);
        assert.deepEqual(page2[0], { ...mine[2]!, seq: page2[0]!.seq });
        assert.equal(await store.getDelivery('a000000000000002', mine[0]!.id), undefined, 'within its webhook only');
        assert.deepEqual(await store.clairNotifications('f0000000-0000-4000-8000-000000000001'), { project: 'team', notifications: '[{"id":"n1"}]' });
        assert.equal(await store.clairNotifications('f0000000-0000-4000-8000-000000000002'), undefined);

        const claimed = await store.claimDue(at(0), 'l', at(60), 3);
        await store.finishAttempt(claimed[0]!.id, 'l', { state: 'delivered', at: at(10) });
        await store.finishAttempt(claimed[1]!.id, 'l', { state: 'failed', at: at(20) });
        await store.finishAttempt(claimed[2]!.id, 'l', { state: 'pending', nextAttemptAt: at(5), at: at(1) });
        assert.equal(await store.pruneDeliveries(at(15), 100), 1, 'the one delivered at 10 s');
        assert.equal(await store.pruneDeliveries(at(100), 100), 1, 'then the failed one; pending and new ones stay');
        assert.equal((await store.listDeliveries('a000000000000001', { limit: 10 })).length + (await store.listDeliveries('a000000000000002', { limit: 10 })).length, 4);
      }));

    test('deleting a webhook deletes its deliveries; deleting the project deletes its webhooks', () =>
      withStores(make, async (store, stores) => {
        await store.createWebhook(webhook('team', 'a000000000000001'));
        await store.createWebhook(webhook('other', 'a000000000000002'));
        const d = delivery('a000000000000001', 'team');
        await store.addDeliveries([d, delivery('a000000000000002', 'other')]);
        assert.equal(await stores.identity.deleteProject('team'), true);
        assert.deepEqual(await store.listWebhooks('team'), []);
        assert.equal(await store.getDelivery('a000000000000001', d.id), undefined);
        await stores.identity.createProject({ name: 'team', public: false, createdAt: T0 });
        assert.deepEqual(await store.listWebhooks('team'), [], 'a project made again with the same name inherits nothing');
        assert.equal(await store.deleteWebhook('other', 'a000000000000002'), true);
        assert.equal((await store.claimDue(at(0), 'l', at(60), 10)).length, 0, 'its deliveries went with it');
      }));
  });
}
