/**
 * What keeps the OpenAPI document true for project webhooks and the audit
 * log: real requests (inject) against a registry built as `serve --accounts`
 * builds it (webhooks told of pushes, audit events recorded by the request
 * hook and kept in the store) for each operation's successes and refusals,
 * each answer checked against the document, each JSON body against the
 * request schema; 401, 429, 413 and 415 for every operation in a loop; and
 * at the end every response the document lists for these operations must
 * have been produced.
 *
 * The audit log is read back here too: every webhook change and redelivery
 * is an event (created, changed, secret, deleted, redelivered) with its
 * caller, project and detail, and no secret anywhere in it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, basic } from '../../auth/accounts-registry.js';
import { pushImage } from '../helpers.js';
import { adminRegistry, type AdminRegistry } from './admin-registry.js';
import { checkedCalls, DocumentChecker } from './openapi-check.js';

const TAGS = ['webhooks', 'audit'];
const ADMIN = basic('admin', ADMIN_PASSWORD);
const BOB = basic('bob', 'bob-password-0001');
const CAROL = basic('carol', 'carol-password-01');
const LOCKED = basic('locked-out', 'not-the-password');
const HOOKS = '/api/v1/projects/team/webhooks';
const MISSING_DELIVERY = '00000000-0000-4000-8000-000000000000';
let r: AdminRegistry;
let checker: DocumentChecker;
let call: ReturnType<typeof checkedCalls>;
let wrong = 0;
/** Every secret the API showed: none may be in the audit log. */
const secrets: string[] = [];
/** Ids of what the webhook test made, for the audit test. */
const made = { pushHook: '', clairHook: '', redelivered: '', copy: '' };

before(async () => {
  r = await adminRegistry('accounts', { loginLimits: { perUser: 3 } });
  checker = new DocumentChecker(r.doc);
  call = checkedCalls(r.app, checker);
  for (const name of ['team', 'other', 'full']) await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name } });
  await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'bob', password: 'bob-password-0001' } });
  await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'carol', password: 'carol-password-01' } });
  await call(200, 'PUT', '/api/v1/projects/team/members/bob', { auth: ADMIN, body: { role: 'admin' } });
  await call(200, 'PUT', '/api/v1/projects/team/members/carol', { auth: ADMIN, body: { role: 'pull' } });
});
after(() => r?.close());

function json<T>(res: { body: string }): T {
  return JSON.parse(res.body) as T;
}

test('webhooks: add (the secret once), list, read, change and rotate, deliveries and redelivery, remove; and their refusals', async () => {
  const pushHook = json<{ id: string; secret: string; events: string[] }>(
    await call(201, 'POST', HOOKS, { auth: ADMIN, body: { url: 'http://127.0.0.1:9/hook?token=t0ken', events: ['push', 'delete', 'push'], description: 'CI' } }),
  );
  assert.deepEqual(pushHook.events, ['push', 'delete'], 'repeats dropped');
  secrets.push(pushHook.secret);
  const clair = await call(201, 'POST', HOOKS, { auth: BOB, body: { url: 'http://127.0.0.1:9/clair', format: 'clair', secret: 'a-given-secret-0123', enabled: false } });
  assert.match(String(clair.headers.location), /^\/api\/v1\/projects\/team\/webhooks\/[0-9a-f]{16}$/);
  const clairHook = json<{ id: string; events: string[]; secret: string }>(clair);
  assert.deepEqual(clairHook.events, ['vulnerability.new', 'vulnerability.fixed']);
  secrets.push(clairHook.secret);
  Object.assign(made, { pushHook: pushHook.id, clairHook: clairHook.id });

  for (const body of [
    { url: 'http://127.0.0.1:9/x', events: ['nope'] },
    { url: 'http://127.0.0.1:9/x', events: [] },
    { url: 'http://127.0.0.1:9/x', format: 'xml' },
    { url: 'http://127.0.0.1:9/x', secret: 'short' },
    { url: 'http://127.0.0.1:9/x', enabled: 'yes' },
    { url: 'http://127.0.0.1:9/x', description: 'd'.repeat(1025) },
    { url: 'http://127.0.0.1:9/x', format: 'clair', events: ['push'] },
    { events: ['push'] },
  ]) {
    await call(400, 'POST', HOOKS, { auth: ADMIN, body });
  }
  // The target policy is no matter of the body's shape (the request schema cannot say which addresses were allowed): sent as raw JSON.
  const privateTarget = await call(400, 'POST', HOOKS, { auth: ADMIN, raw: JSON.stringify({ url: 'http://10.0.0.1/hook' }), headers: { 'content-type': 'application/json' } });
  assert.match(privateTarget.body, /10\.0\.0\.1 is a private address/);
  await call(400, 'POST', HOOKS, { auth: ADMIN, raw: '[1]', headers: { 'content-type': 'application/json' } });
  await call(403, 'POST', HOOKS, { auth: CAROL, body: { url: 'http://127.0.0.1:9/x' } });
  await call(404, 'POST', '/api/v1/projects/other/webhooks', { auth: BOB, body: { url: 'http://127.0.0.1:9/x' } });
  await call(404, 'POST', '/api/v1/projects/nope/webhooks', { auth: ADMIN, body: { url: 'http://127.0.0.1:9/x' } });
  for (let i = 0; i < 20; i++) await call(201, 'POST', '/api/v1/projects/full/webhooks', { auth: ADMIN, body: { url: `http://127.0.0.1:9/${i}` } });
  await call(409, 'POST', '/api/v1/projects/full/webhooks', { auth: ADMIN, body: { url: 'http://127.0.0.1:9/20' } });

  const listed = await call(200, 'GET', HOOKS, { auth: BOB });
  assert.deepEqual(json<{ webhooks: Array<{ id: string }> }>(listed).webhooks.map((w) => w.id).sort(), [pushHook.id, clairHook.id].sort());
  assert.doesNotMatch(listed.body, /secret/);
  await call(403, 'GET', HOOKS, { auth: CAROL });
  await call(404, 'GET', '/api/v1/projects/other/webhooks', { auth: BOB });
  await call(200, 'GET', `${HOOKS}/${pushHook.id}`, { auth: BOB });
  await call(403, 'GET', `${HOOKS}/${pushHook.id}`, { auth: CAROL });
  await call(404, 'GET', `/api/v1/projects/other/webhooks/${pushHook.id}`, { auth: ADMIN });
  await call(404, 'GET', `${HOOKS}/not-an-id`, { auth: ADMIN });

  const rotated = json<{ secret?: string }>(await call(200, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: BOB, body: { rotateSecret: true, url: 'http://127.0.0.1:9/hook2' } }));
  assert.match(String(rotated.secret), /^[A-Za-z0-9_-]{43}$/);
  secrets.push(rotated.secret!);
  const disabled = await call(200, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { enabled: false, description: null } });
  assert.equal(json<{ secret?: string }>(disabled).secret, undefined, 'no secret when it did not change');
  await call(200, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { enabled: true } });
  await call(400, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { rotateSecret: true, secret: 'another-secret-0123' } });
  await call(400, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { rotateSecret: false } });
  await call(400, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { events: [] } });
  await call(400, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: ADMIN, body: { format: 'clair', events: ['push'] } });
  await call(403, 'PATCH', `${HOOKS}/${pushHook.id}`, { auth: CAROL, body: { enabled: false } });
  await call(404, 'PATCH', `${HOOKS}/0123456789abcdef`, { auth: ADMIN, body: { enabled: false } });

  // Two pushes to team/app: two push deliveries to the enabled webhook, written to the outbox (never sent: the dispatcher is not started).
  await pushImage(r.app, 'team/app', 'v1', { headers: { authorization: ADMIN } });
  await pushImage(r.app, 'team/app', 'v2', { seed: 'two', headers: { authorization: ADMIN } });
  await r.webhooks!.idle();
  const deliveries = `${HOOKS}/${pushHook.id}/deliveries`;
  const page = await call(200, 'GET', `${deliveries}?n=1`, { auth: BOB });
  const [newest] = json<{ deliveries: Array<{ id: string; sequence: number; event: string; state: string }> }>(page).deliveries;
  assert.equal(newest?.event, 'push');
  assert.equal(newest?.state, 'pending');
  assert.equal(page.headers.link, `<${deliveries}?n=1&last=${newest!.sequence}>; rel="next"`);
  const rest = await call(200, 'GET', `${deliveries}?n=5&last=${newest!.sequence}`, { auth: BOB });
  assert.equal(json<{ deliveries: unknown[] }>(rest).deliveries.length, 1);
  assert.equal(rest.headers.link, undefined);
  await call(400, 'GET', `${deliveries}?n=x`, { auth: BOB });
  await call(400, 'GET', `${deliveries}?last=abc`, { auth: BOB });
  await call(403, 'GET', deliveries, { auth: CAROL });
  await call(404, 'GET', `${HOOKS}/0123456789abcdef/deliveries`, { auth: ADMIN });

  const one = json<{ body: { type?: string; event?: string } }>(await call(200, 'GET', `${deliveries}/${newest!.id}`, { auth: BOB }));
  assert.ok(one.body && typeof one.body === 'object', 'the body sent');
  await call(403, 'GET', `${deliveries}/${newest!.id}`, { auth: CAROL });
  await call(404, 'GET', `${deliveries}/${MISSING_DELIVERY}`, { auth: BOB });
  const copy = json<{ id: string; redeliveryOf: string; state: string }>(await call(202, 'POST', `${deliveries}/${newest!.id}/redeliver`, { auth: BOB }));
  assert.equal(copy.redeliveryOf, newest!.id);
  assert.equal(copy.state, 'pending');
  Object.assign(made, { redelivered: newest!.id, copy: copy.id });
  await call(403, 'POST', `${deliveries}/${newest!.id}/redeliver`, { auth: CAROL });
  await call(404, 'POST', `${deliveries}/${MISSING_DELIVERY}/redeliver`, { auth: BOB });

  await call(204, 'DELETE', `${HOOKS}/${clairHook.id}`, { auth: BOB });
  await call(403, 'DELETE', `${HOOKS}/${pushHook.id}`, { auth: CAROL });
  await call(404, 'DELETE', `${HOOKS}/${clairHook.id}`, { auth: BOB });
});

interface Event {
  action: string;
  outcome: string;
  principal: string;
  project: string | null;
  detail: Record<string, unknown> | null;
}

test('audit: every webhook change and redelivery is an event, without secrets; filters, cursor paging; and the refusals', async () => {
  const all = await call(200, 'GET', '/api/v1/audit?project=team&n=1000', { auth: ADMIN });
  for (const secret of secrets) assert.ok(!all.body.includes(secret), 'no secret in the audit log');
  assert.doesNotMatch(all.body, /t0ken/, 'URLs without their query');
  const events = json<{ events: Event[] }>(all).events;
  const of = (action: string): Event[] => events.filter((e) => e.action === action);
  const created = of('webhook.created');
  assert.deepEqual(created.map((e) => [e.principal, e.outcome, e.project, e.detail?.webhook]).sort(), [['admin', 'success', 'team', made.pushHook], ['bob', 'success', 'team', made.clairHook]].sort());
  assert.equal(created.find((e) => e.principal === 'admin')?.detail?.url, 'http://127.0.0.1:9/hook');
  const [secret] = of('webhook.secret');
  assert.deepEqual(secret?.detail, { webhook: made.pushHook, changed: ['url'], url: 'http://127.0.0.1:9/hook2', secret: 'rotated' });
  assert.equal(secret?.principal, 'bob');
  assert.deepEqual(of('webhook.changed').map((e) => e.detail?.changed), [['enabled'], ['description', 'enabled']], 'newest first');
  assert.deepEqual(of('webhook.deleted').map((e) => [e.principal, e.detail?.webhook]), [['bob', made.clairHook]]);
  assert.deepEqual(of('webhook.redelivered').map((e) => e.detail), [{ webhook: made.pushHook, delivery: made.copy, of: made.redelivered, event: 'push' }]);
  assert.equal(of('push').length, 2, 'the pushes too');

  // Cursor paging, the filters repeated in the Link.
  const first = await call(200, 'GET', '/api/v1/audit?action=webhook.changed&n=1', { auth: ADMIN });
  const { next } = json<{ next: string }>(first);
  assert.equal(first.headers.link, `</api/v1/audit?action=webhook.changed&n=1&cursor=${next}>; rel="next"`);
  const second = await call(200, 'GET', `/api/v1/audit?action=webhook.changed&n=1&cursor=${next}`, { auth: ADMIN });
  assert.deepEqual(json<{ events: Event[] }>(second).events.map((e) => e.detail?.changed), [['description', 'enabled']]);
  assert.equal(second.headers.link, undefined, 'no Link on the last page');

  // A project admin reads their projects' events only; with a filter, only a project they administer.
  const bobs = json<{ events: Event[] }>(await call(200, 'GET', '/api/v1/audit?since=1h&n=1000', { auth: BOB })).events;
  assert.ok(bobs.length > 0 && bobs.every((e) => e.project === 'team'), 'only team');
  await call(200, 'GET', '/api/v1/audit?repository=team/app&action=push&outcome=success', { auth: BOB });
  await call(403, 'GET', '/api/v1/audit', { auth: CAROL });
  await call(403, 'GET', '/api/v1/audit?project=team', { auth: CAROL });
  await call(404, 'GET', '/api/v1/audit?project=other', { auth: BOB });
  await call(404, 'GET', '/api/v1/audit?repository=nope/app', { auth: BOB });
  assert.deepEqual(json<{ events: Event[] }>(await call(200, 'GET', '/api/v1/audit?project=nope', { auth: ADMIN })).events, [], 'an administrator may name any project');
  for (const query of ['color=red', 'since=yesterday', 'n=0', 'action=push&action=pull', 'outcome=maybe', 'cursor=abc', 'since=1h&until=2h']) {
    await call(400, 'GET', `/api/v1/audit?${query}`, { auth: ADMIN });
  }
});

test('every operation: 401 without credentials or with wrong ones, 429 once a name is locked out; bodies refused with 413 and 415', async () => {
  const sample: Record<string, string> = { project: 'team', webhook: made.pushHook || '0123456789abcdef', delivery: MISSING_DELIVERY };
  for (let i = 0; i < 3; i++) await call(401, 'GET', '/api/v1/audit', { auth: LOCKED });
  for (const { method, template, operation } of checker.operations(TAGS)) {
    const url = template.replace(/\{(\w+)\}/g, (_m, name: string) => sample[name]!);
    const verb = method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const none = await call(401, verb, url);
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="http:\/\/registry\.test\/token",service="registry\.test"$/);
    await call(401, verb, url, { auth: basic(`wrong-${wrong++}`, 'not-the-password') });
    await call(429, verb, url, { auth: LOCKED });
    if (!operation.requestBody) continue;
    await call(413, verb, url, { raw: JSON.stringify({ url: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
    await call(415, verb, url, { raw: '<webhook/>', headers: { 'content-type': 'application/xml' } });
  }
});

test('every response the document lists for webhooks and the audit log was produced by a request above', () => {
  assert.deepEqual(checker.documented(TAGS).filter((x) => !checker.seen.has(x)), []);
});
