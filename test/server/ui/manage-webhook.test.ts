/**
 * A webhook's own UI page and its forms (manage-pages.ts, pages/webhook.ts,
 * manage-actions.ts), on a registry with accounts in process
 * (manage-ui.ts): who may change a webhook or rotate its secret (the
 * project's admin and a registry administrator; pull, push and delete
 * members get the API's 403, anonymous callers 403, a project they cannot
 * see 404, a wrong form token 403 with nothing changed); the change is the
 * API's (read back through it, audited as the UI's user); a rotated secret
 * is shown once and is the one the store now holds; the delivery log is
 * paged newest first with state, attempts, answer code and error, hostile
 * text escaped and the URL's query never shown.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { post, signedInManageUi, type ManageUser } from './manage-ui.js';

const fx = signedInManageUi();
const sessions = fx.sessions;
const ADMIN = basic('admin', ADMIN_PASSWORD);

type Fields = ReadonlyArray<readonly [string, string]>;

async function seedWebhook(project = 'team', url = 'https://hooks.example/in?token=query-secret-77'): Promise<string> {
  const res = await api(fx.ui.app, 'POST', `/projects/${project}/webhooks`, ADMIN, { url, events: ['push'], description: 'first' });
  assert.equal(res.statusCode, 201, res.body);
  return (JSON.parse(res.body) as { id: string }).id;
}

async function webhookOf(id: string): Promise<{ url: string; events: string[]; enabled: boolean; description: string | null; format: string }> {
  const res = await api(fx.ui.app, 'GET', `/projects/team/webhooks/${id}`, ADMIN);
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(res.body) as { url: string; events: string[]; enabled: boolean; description: string | null; format: string };
}

function form(user: ManageUser | undefined, project: string, path: string, fields: Fields, csrf?: string): Promise<LightMyRequestResponse> {
  const session = user ? sessions.get(user) : undefined;
  return post(fx.ui.app, `/ui/p/${project}/${path}`, session, [['csrf', csrf ?? session?.csrf ?? ''], ...fields]);
}

function get(user: ManageUser | undefined, url: string): Promise<LightMyRequestResponse> {
  return fx.ui.app.inject({ method: 'GET', url, headers: user ? { cookie: sessions.get(user)!.cookie } : {} });
}

const edit = (id: string, url: string): Fields => [['webhook', id], ['url', url], ['events', 'push'], ['events', 'scan.completed'], ['format', 'portcullis'], ['description', 'edited']];

describe('changing a webhook', () => {
  test('pull, push and delete members are refused (403, nothing changed), anonymous too; the admin and a registry administrator may', async () => {
    const id = await seedWebhook();
    for (const user of ['pia', 'pete', 'dora'] as const) {
      const res = await form(user, 'team', 'webhooks/edit', edit(id, `https://hooks.example/${user}`));
      assert.equal(res.statusCode, 403, `${user}: ${res.body.slice(0, 300)}`);
      assert.match(res.body, /<h1>Change refused<\/h1>\n<p id="problem">managing project team needs its admin role<\/p>/, user);
      const rotated = await form(user, 'team', 'webhooks/rotate', [['webhook', id]]);
      assert.equal(rotated.statusCode, 403, user);
      assert.doesNotMatch(rotated.body, /webhook-secret-once/, user);
    }
    assert.equal((await form(undefined, 'team', 'webhooks/edit', edit(id, 'https://hooks.example/anon'))).statusCode, 403);
    assert.equal((await webhookOf(id)).url, 'https://hooks.example/in?token=query-secret-77', 'nothing changed');

    const byAlice = await form('alice', 'team', 'webhooks/edit', edit(id, 'https://hooks.example/alice'));
    assert.equal(byAlice.statusCode, 303, byAlice.body.slice(0, 400));
    assert.equal(byAlice.headers.location, `/ui/p/team/webhooks/${id}?done=webhook.changed`);
    assert.deepEqual(await webhookOf(id), { ...(await webhookOf(id)), url: 'https://hooks.example/alice', events: ['push', 'scan.completed'], enabled: false, description: 'edited' });
    // The URL field left empty keeps the URL; the enabled box ticked enables it again.
    const byAdmin = await form('admin', 'team', 'webhooks/edit', [['webhook', id], ['url', ''], ['format', 'portcullis'], ['description', ''], ['enabled', 'true']]);
    assert.equal(byAdmin.statusCode, 303);
    const after = await webhookOf(id);
    assert.equal(after.url, 'https://hooks.example/alice');
    assert.equal(after.enabled, true);
    assert.equal(after.description, null);
    assert.equal(after.events.length > 2, true, 'no event ticked: every event of the format');
    await fx.ui.settle();
    const records = await fx.ui.audit.query({ project: 'team', principal: 'alice', limit: 100 });
    assert.ok(records.some((r) => r.action === 'webhook.changed' && r.outcome === 'success' && JSON.stringify(r.detail).includes('"url":"https://hooks.example/alice"')), JSON.stringify(records.map((r) => r.action)));
  });

  test('refused values come back on the webhook page with the API\'s message; a project the caller cannot see is 404; a wrong form token changes nothing', async () => {
    const id = await seedWebhook();
    const bad = await form('alice', 'team', 'webhooks/edit', edit(id, 'http://169.254.169.254/latest'));
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /<h1>Webhook [0-9a-f]{16}<\/h1><p class="error" id="form-error" role="alert">&quot;url&quot;: /);
    for (const [user, project] of [['dave', 'team'], ['carol', 'team'], ['alice', 'other'], ['admin', 'nosuch']] as const) {
      const res = await form(user, project, 'webhooks/edit', edit(id, 'https://hooks.example/x'));
      assert.equal(res.statusCode, 404, `${user} ${project}`);
    }
    const wrong = await form('alice', 'team', 'webhooks/edit', edit(id, 'https://hooks.example/csrf'), sessions.get('admin')!.csrf);
    assert.equal(wrong.statusCode, 403);
    assert.match(wrong.body, /The form did not come from this page/);
    const rotate = await form('alice', 'team', 'webhooks/rotate', [['webhook', id]], 'A'.repeat(43));
    assert.equal(rotate.statusCode, 403);
    assert.equal((await webhookOf(id)).url, 'https://hooks.example/in?token=query-secret-77');
    const otherHook = await seedWebhook('other');
    assert.equal((await form('alice', 'team', 'webhooks/edit', edit(otherHook, 'https://hooks.example/y'))).statusCode, 404, "another project's webhook through this one");
  });

  test('rotating the secret shows the new one once, and it is the one the store holds', async () => {
    const id = await seedWebhook();
    const before = (await fx.ui.webhooks.service.store.getWebhook('team', id))!.sealedSecret;
    const res = await form('alice', 'team', 'webhooks/rotate', [['webhook', id]]);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const secret = /<code id="webhook-secret-once">([^<]+)<\/code>/.exec(res.body)?.[1];
    assert.ok(secret && secret.length >= 32, res.body.slice(0, 500));
    assert.match(res.body, /<h1>Signing secret rotated<\/h1>/);
    const stored = (await fx.ui.webhooks.service.store.getWebhook('team', id))!;
    assert.notEqual(stored.sealedSecret, before);
    assert.equal(fx.ui.webhooks.service.secrets.open(stored.sealedSecret, id), secret);
    const page = await get('alice', `/ui/p/team/webhooks/${id}`);
    assert.doesNotMatch(page.body, new RegExp(secret!), 'never shown again');
    await fx.ui.settle();
    const records = await fx.ui.audit.query({ project: 'team', principal: 'alice', limit: 200 });
    const audit = records.find((r) => r.action === 'webhook.secret' && JSON.stringify(r.detail).includes(id));
    assert.ok(audit, 'audited as webhook.secret');
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(secret!), 'never the secret in the audit log');
  });
});

describe('the webhook page', () => {
  test('its admin sees the whole delivery log, newest first, 50 a page; pull members get 403, strangers 404, anonymous callers go to sign in', async () => {
    const id = await seedWebhook();
    const base = Date.parse('2026-01-01T00:00:00Z');
    const deliveries = Array.from({ length: 60 }, (_, i) => {
      const at = new Date(base + i * 60_000).toISOString();
      return { id: randomUUID(), webhookId: id, project: 'team', event: 'push' as const, eventId: randomUUID(), body: '{"event":"push"}', state: 'pending' as const, attempts: 0, nextAttemptAt: at, createdAt: at, updatedAt: at };
    });
    const store = fx.ui.webhooks.service.store;
    await store.addDeliveries(deliveries);
    // Each tried once and failed, as the sender records it (the service is not started here).
    const now = new Date().toISOString();
    const claimed = await store.claimDue(now, 'test-lease', new Date(Date.now() + 60_000).toISOString(), 100);
    assert.equal(claimed.length, 60);
    for (const d of claimed) assert.ok(await store.finishAttempt(d.id, 'test-lease', { state: 'failed', responseStatus: 500, error: `<b>boom ${deliveries.findIndex((x) => x.id === d.id)}</b>`, at: now }));
    const first = await get('alice', `/ui/p/team/webhooks/${id}`);
    assert.equal(first.statusCode, 200, first.body.slice(0, 300));
    const rows = [...first.body.matchAll(/<tr data-delivery-id="([^"]+)">/g)].map((m) => m[1]);
    assert.equal(rows.length, 50);
    assert.deepEqual(rows.slice(0, 2), [deliveries[59]!.id, deliveries[58]!.id], 'newest first');
    assert.match(first.body, /<td class="attempts">1<\/td><td class="answer">HTTP 500<\/td><td class="error">&lt;b&gt;boom 59&lt;\/b&gt;<\/td>/);
    assert.match(first.body, /<code id="webhook-url">https:\/\/hooks.example\/in<\/code>/);
    assert.doesNotMatch(first.body, /query-secret-77/, 'the query is never shown');
    const older = /<a href="([^"]+)" id="older-deliveries">/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(older);
    const second = await get('alice', older);
    const secondRows = [...second.body.matchAll(/<tr data-delivery-id="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(secondRows, deliveries.slice(0, 10).reverse().map((d) => d.id));
    assert.doesNotMatch(second.body, /id="older-deliveries"/);
    assert.equal((await get('admin', `/ui/p/team/webhooks/${id}?before=x`)).statusCode, 400);

    assert.equal((await get('pia', `/ui/p/team/webhooks/${id}`)).statusCode, 403);
    for (const [user, url] of [['dave', `/ui/p/team/webhooks/${id}`], ['carol', `/ui/p/team/webhooks/${id}`], ['alice', '/ui/p/team/webhooks/0123456789abcdef'], ['alice', `/ui/p/other/webhooks/${id}`]] as const) {
      assert.equal((await get(user, url)).statusCode, 404, `${user} ${url}`);
    }
    const anonymous = await get(undefined, `/ui/p/team/webhooks/${id}`);
    assert.equal(anonymous.statusCode, 303);
    assert.match(String(anonymous.headers.location), /^\/ui\/login\?next=/);
  });

  test('"Deliver again" from the log queues a copy and comes back to the log', async () => {
    const id = await seedWebhook();
    const at = new Date().toISOString();
    const delivery = randomUUID();
    await fx.ui.webhooks.service.store.addDeliveries([{ id: delivery, webhookId: id, project: 'team', event: 'push', eventId: randomUUID(), body: '{"event":"push"}', state: 'failed', attempts: 3, nextAttemptAt: at, createdAt: at, updatedAt: at }]);
    const res = await form('alice', 'team', 'webhooks/redeliver', [['delivery', `${id}/${delivery}`], ['from', 'webhook']]);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/ui/p/team/webhooks/${id}?done=webhook.redelivered`);
    const log = await fx.ui.webhooks.service.store.listDeliveries(id, { limit: 10 });
    assert.equal(log.length, 2);
    assert.equal(log[0]!.redeliveryOf, delivery);
  });
});
