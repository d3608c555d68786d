/**
 * Delivery through the outbox to receivers on 127.0.0.1, on a fake clock:
 * - an answer of 500, 500, then 200 makes three attempts of the same signed
 *   bytes, the waits between them the backoff (observed on the clock, never
 *   timed), and counts retried, retried, delivered;
 * - a receiver that always fails ends the delivery failed after maxAttempts,
 *   with the status and the answer's start in the log; a redelivery sends the
 *   same body as a new delivery;
 * - a redirect is not followed; an answer of a MiB is read to 4 KiB;
 * - an address the policy refuses is never connected to;
 * - deliveries written before a restart are sent after it, and one whose
 *   sender died mid-attempt is sent once its lease runs out;
 * - a secret sealed under another key is not used (and says why).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { Finding } from '../../../src/core/index.js';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { retryDelayMs } from '../../../src/server/webhooks/dispatcher.js';
import { startReceiver, verified, type Receiver } from '../../support/webhook-receiver.js';
import { openOutbox, SECRET, type Outbox } from './outbox.js';

const digest = `sha256:${'ab'.repeat(32)}` as const;
const record: ManifestRecord = { repository: 'team/app', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 321, references: [], pushedAt: '2026-01-01T00:00:00.000Z' };
const cleanups: Array<() => Promise<void>> = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function receiver(...statuses: number[]): Promise<Receiver> {
  const r = await startReceiver((_request, response, index) => {
    const status = statuses[Math.min(index, statuses.length - 1)] ?? 200;
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(`answer ${index + 1}: ${status}`);
  });
  cleanups.push(() => r.close());
  return r;
}

async function outbox(options: Parameters<typeof openOutbox>[0] = {}): Promise<Outbox> {
  const o = await openOutbox(options);
  cleanups.push(() => o.close());
  return o;
}

test('500, 500, 200: three attempts of the same signed body, waiting the backoff between them', async () => {
  const r = await receiver(500, 500, 200);
  const o = await outbox();
  const webhook = await o.addWebhook(`${r.url}/hook?token=abc`);
  const start = o.clock.now();
  o.service.manifestPushed(record, 'v1', { actor: 'alice' });
  await o.service.idle();
  assert.equal(r.requests.length, 1);
  const [pending] = await o.store.listDeliveries(webhook.id, { limit: 10 });
  const firstWait = retryDelayMs(1, 10_000, 3_600_000, () => 0.5);
  assert.equal(firstWait, 7_500, 'half of 10 s, plus half of the other half (jitter 0.5)');
  assert.deepEqual(
    { state: pending?.state, attempts: pending?.attempts, next: pending?.nextAttemptAt, status: pending?.responseStatus, error: pending?.error, excerpt: pending?.responseExcerpt },
    { state: 'pending', attempts: 1, next: new Date(start + firstWait).toISOString(), status: 500, error: 'answered 500', excerpt: 'answer 1: 500' },
  );

  o.clock.advance(firstWait - 1);
  await o.service.idle();
  assert.equal(r.requests.length, 1, 'not before its time');
  o.clock.advance(1);
  await o.service.idle();
  assert.equal(r.requests.length, 2);
  const secondWait = retryDelayMs(2, 10_000, 3_600_000, () => 0.5);
  assert.equal(secondWait, 15_000, 'twice the first');
  assert.equal((await o.store.getDelivery(webhook.id, pending!.id))?.nextAttemptAt, new Date(start + firstWait + secondWait).toISOString());
  o.clock.advance(secondWait);
  await o.service.idle();
  assert.equal(r.requests.length, 3);

  const done = await o.store.getDelivery(webhook.id, pending!.id);
  assert.deepEqual({ state: done?.state, attempts: done?.attempts, status: done?.responseStatus }, { state: 'delivered', attempts: 3, status: 200 });
  assert.deepEqual(o.attempts, [['push', 'retried'], ['push', 'retried'], ['push', 'delivered']]);
  for (const request of r.requests) {
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/hook?token=abc');
    assert.deepEqual(request.body, r.requests[0]!.body, 'the same bytes each time');
    assert.equal(request.headers['x-portcullis-event'], 'push');
    assert.equal(request.headers['x-portcullis-delivery'], pending!.id);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(String(request.headers['user-agent']), /^portcullis-webhooks\//);
    const body = verified(request, SECRET);
    assert.equal(body.event, 'push');
    assert.equal(body.actor, 'alice');
    assert.deepEqual(body.data, { digest, mediaType: record.mediaType, size: 321, tag: 'v1', reference: 'registry.test:5000/team/app:v1' });
  }
  o.clock.advance(3_600_000);
  await o.service.idle();
  assert.equal(r.requests.length, 3, 'nothing more once delivered');
});

test('pull.denied: once a minute per image and repository, however often the pull is refused', async () => {
  const r = await receiver(200);
  const o = await outbox();
  await o.addWebhook(`${r.url}/`, { events: ['pull.denied'] });
  const refusal = { allowed: false as const, reason: 'image has 1 CRITICAL vulnerability', kind: 'vulnerable' as const };
  for (let i = 0; i < 50; i++) o.service.pullDenied(record, refusal, 'v1', { actor: 'mallory' });
  o.service.pullDenied({ ...record, repository: 'team/copy' }, refusal);
  await o.service.idle();
  assert.equal(r.requests.length, 2, 'one for each repository');
  o.clock.advance(59_999);
  o.service.pullDenied(record, refusal, 'v1');
  await o.service.idle();
  assert.equal(r.requests.length, 2);
  o.clock.advance(1);
  o.service.pullDenied(record, refusal, 'v1');
  await o.service.idle();
  assert.equal(r.requests.length, 3, 'a minute later, again');
  const body = r.requests.map((q) => verified(q, SECRET)).find((b) => b.repository === 'team/app')!;
  assert.deepEqual(body.data, { digest, tag: 'v1', reason: refusal.reason, kind: 'vulnerable' });
  assert.equal(body.actor, 'mallory');
});

function finding(i: number, severity: Finding['severity']): Finding {
  return {
    id: `CVE-2026-${String(10000 + i)}`,
    aliases: [],
    package: { name: `pkg${i}`, version: '1.0.0', ecosystem: 'npm', purl: `pkg:npm/pkg${i}@1.0.0`, foundBy: 'npm', path: `app/node_modules/pkg${i}/package.json`, layer: { index: 1, digest } },
    installedVersion: '1.0.0',
    fixedVersion: '1.0.1',
    status: 'fixed',
    severity,
    severitySource: 'ghsa',
    references: [],
    layer: { index: 1, digest },
    layerCreatedBy: 'COPY app /app',
    evidence: { feed: 'osv', advisoryId: `GHSA-${i}`, ecosystem: 'npm', queriedName: `pkg${i}`, range: '<1.0.1', scheme: 'semver' },
  };
}

test('a vulnerability change made by hand: one event per repository and kind, at most 1,000 findings most severe first; Clair webhooks get the same as notifications', async () => {
  const r = await receiver(200);
  const o = await outbox();
  const native = await o.addWebhook(`${r.url}/native`, { events: ['vulnerability.new', 'vulnerability.fixed'] });
  const clair = await o.addWebhook(`${r.url}/clair`, { events: ['vulnerability.new'], format: 'clair' });
  const added = Array.from({ length: 1200 }, (_, i) => finding(i, i === 1150 ? 'CRITICAL' : i % 2 === 0 ? 'LOW' : 'HIGH'));
  const written = await o.service.deliverVulnerabilityChange({
    manifestDigest: digest,
    repositories: ['team/app', 'team/copy', 'elsewhere/app'],
    database: { fingerprint: 'f2', importedAt: '2026-02-01T00:00:00Z' },
    previousDatabase: 'f1',
    new: added,
    fixed: [finding(5000, 'MEDIUM')],
    inventory: 'kept',
  });
  assert.equal(written, 6, 'new and fixed to the native webhook, new to the Clair one, for both team repositories; none for another project');
  await o.service.idle();
  const bodies = r.requests.filter((q) => q.path === '/native').map((q) => verified(q, SECRET));
  assert.deepEqual(bodies.map((b) => `${String(b.repository)} ${String(b.event)}`).sort(), ['team/app vulnerability.fixed', 'team/app vulnerability.new', 'team/copy vulnerability.fixed', 'team/copy vulnerability.new']);
  const data = bodies.find((b) => b.event === 'vulnerability.new')!.data as { vulnerabilities: Array<{ id: string; severity: string; layer: unknown }>; omitted: number; databaseUpdatedAt: string };
  assert.equal(data.vulnerabilities.length, 1000);
  assert.equal(data.omitted, 200);
  assert.equal(data.databaseUpdatedAt, '2026-02-01T00:00:00Z');
  assert.equal(data.vulnerabilities[0]!.id, 'CVE-2026-11150', 'the CRITICAL one first');
  assert.deepEqual(data.vulnerabilities.slice(1, 600).map((v) => v.severity), Array.from({ length: 599 }, () => 'HIGH'), 'then the 600 HIGH ones');
  assert.deepEqual(data.vulnerabilities[0]!.layer, { index: 1, digest, createdBy: 'COPY app /app' });
  const [fromClair] = await o.store.listDeliveries(clair.id, { limit: 1 });
  const notifications = JSON.parse(fromClair!.clairNotifications!) as Array<{ reason: string; vulnerability: { name: string; severity: string } }>;
  assert.equal(notifications.length, 1000);
  assert.deepEqual(notifications[0], { ...notifications[0]!, reason: 'added', vulnerability: { ...notifications[0]!.vulnerability, name: 'CVE-2026-11150', severity: 'Critical' } });
  assert.equal((await o.store.listDeliveries(native.id, { limit: 10 })).length, 4);
});

test('failure after maxAttempts: marked failed with the last answer; a redelivery sends the same body anew', async () => {
  const r = await receiver(503);
  const o = await outbox({ settings: { maxAttempts: 3 } });
  const webhook = await o.addWebhook(`${r.url}/`);
  o.service.manifestDeleted('team/app', digest, { actor: 'bob' });
  await o.service.idle();
  for (let i = 0; i < 5; i++) {
    o.clock.advance(3_600_000);
    await o.service.idle();
  }
  assert.equal(r.requests.length, 3, 'three attempts, then no more');
  const [failed] = await o.store.listDeliveries(webhook.id, { limit: 10 });
  assert.deepEqual(
    { state: failed?.state, attempts: failed?.attempts, status: failed?.responseStatus, error: failed?.error, excerpt: failed?.responseExcerpt },
    { state: 'failed', attempts: 3, status: 503, error: 'answered 503', excerpt: 'answer 3: 503' },
  );
  assert.ok(failed?.completedAt);
  assert.deepEqual(o.attempts.map((a) => a[1]), ['retried', 'retried', 'failed']);

  r.answer = (_request, response) => response.writeHead(204).end();
  const copy = await o.service.redeliver(webhook, failed!.id);
  assert.equal(copy?.redeliveryOf, failed!.id);
  await o.service.idle();
  assert.equal(r.requests.length, 4);
  const again = r.requests[3]!;
  assert.deepEqual(again.body, r.requests[0]!.body);
  assert.equal(again.headers['x-portcullis-delivery'], copy!.id);
  assert.notEqual(copy!.id, failed!.id);
  assert.equal(verified(again, SECRET).event, 'delete');
  assert.equal((await o.store.getDelivery(webhook.id, copy!.id))?.state, 'delivered');
});

test('a redirect is not followed; an answer of a MiB is read only to 4 KiB', async () => {
  const elsewhere = await receiver(200);
  const redirecting = await startReceiver((_request, response) => response.writeHead(302, { location: `${elsewhere.url}/stolen` }).end());
  cleanups.push(() => redirecting.close());
  const big = await startReceiver((_request, response) => response.writeHead(200).end(Buffer.alloc(1024 * 1024, 0x61)));
  cleanups.push(() => big.close());
  const o = await outbox();
  const moved = await o.addWebhook(`${redirecting.url}/`);
  const large = await o.addWebhook(`${big.url}/`);
  o.service.manifestPushed(record);
  await o.service.idle();
  assert.equal(redirecting.requests.length, 1);
  assert.equal(elsewhere.requests.length, 0, 'the redirect target never hears of it');
  const [redirected] = await o.store.listDeliveries(moved.id, { limit: 1 });
  assert.equal(redirected?.state, 'pending');
  assert.equal(redirected?.responseStatus, 302);
  assert.equal(redirected?.error, `answered 302 (redirect to ${elsewhere.url}/stolen): redirects are not followed`);
  const [bigAnswer] = await o.store.listDeliveries(large.id, { limit: 1 });
  assert.equal(bigAnswer?.state, 'delivered');
  assert.equal(bigAnswer?.responseExcerpt, 'a'.repeat(4096));
});

test('an address the policy refuses is never connected to, whatever the URL says', async () => {
  const r = await receiver(200);
  const o = await outbox({ allowedNetworks: [], settings: { maxAttempts: 1 } });
  const literal = await o.addWebhook(`${r.url}/`);
  const named = await o.addWebhook(`http://localhost:${new URL(r.url).port}/`);
  const metadata = await o.addWebhook('http://169.254.169.254/latest/meta-data/');
  o.service.manifestPushed(record);
  await o.service.idle();
  assert.equal(r.requests.length, 0);
  for (const [webhook, address] of [[literal, '127.0.0.1 is a loopback address'], [named, '127.0.0.1 is a loopback address'], [metadata, '169.254.169.254 is a link-local address']] as const) {
    const [d] = await o.store.listDeliveries(webhook.id, { limit: 1 });
    assert.equal(d?.state, 'failed');
    assert.equal(d?.error, `refused: ${address}, which webhooks may not reach (webhooks.allowedNetworks)`);
  }
});

test('a host name is resolved and its addresses checked before connecting: localhost, with loopback allowed, is delivered', async () => {
  const r = await receiver(200);
  const o = await outbox({ allowedNetworks: ['loopback'] });
  const webhook = await o.addWebhook(`http://localhost:${new URL(r.url).port}/named`);
  o.service.manifestPushed(record);
  await o.service.idle();
  assert.equal(r.requests.length, 1);
  assert.equal(r.requests[0]!.headers.host, `localhost:${new URL(r.url).port}`);
  assert.equal((await o.store.listDeliveries(webhook.id, { limit: 1 }))[0]?.state, 'delivered');
});

test('deliveries written before a restart are sent after it; a lease of a sender that died runs out, then it is sent', async () => {
  const r = await receiver(200);
  const first = await openOutbox({ start: false });
  const webhook = await first.addWebhook(`${r.url}/`);
  first.service.tagDeleted('team/app', 'old', digest);
  first.service.manifestPushed(record, 'new');
  await first.service.idle();
  // A sender that leased one and died before it could record anything.
  const [, leased] = await first.store.listDeliveries(webhook.id, { limit: 2 });
  assert.equal((await first.store.claimDue(new Date(first.clock.now()).toISOString(), 'dead', new Date(first.clock.now() + 70_000).toISOString(), 1))[0]?.id, leased!.id);
  await first.close();
  assert.equal(r.requests.length, 0, 'nothing sent by the process that stopped');

  const second = await outbox({ path: first.path, clock: first.clock });
  await second.service.idle();
  assert.equal(r.requests.length, 1, 'the pending one at once');
  second.clock.advance(70_000);
  await second.service.idle();
  assert.equal(r.requests.length, 2, 'the leased one when its lease ran out');
  const events = r.requests.map((request) => verified(request, SECRET));
  assert.deepEqual(events.map((e) => [e.event, (e.data as { tag?: string }).tag]).sort(), [['delete', 'old'], ['push', 'new']]);
  const log = await second.store.listDeliveries(webhook.id, { limit: 10 });
  assert.deepEqual(log.map((d) => [d.state, d.attempts]).sort(), [['delivered', 1], ['delivered', 2]]);
});

test('a secret sealed under another key is not used: the delivery fails and says why', async () => {
  const r = await receiver(200);
  const o = await outbox({ settings: { maxAttempts: 1 } });
  const webhook = await o.addWebhook(`${r.url}/`);
  const other = await outbox({ path: o.path, key: randomBytes(32), start: false });
  other.service.start();
  await o.service.dispatcher.close();
  other.service.manifestPushed(record);
  await other.service.idle();
  assert.equal(r.requests.length, 0);
  const [d] = await other.store.listDeliveries(webhook.id, { limit: 1 });
  assert.match(d?.error ?? '', /^cannot open the webhook secret with this server's key/);
});
