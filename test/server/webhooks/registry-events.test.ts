/**
 * Every webhook event from what really happens to a registry started as
 * `serve --config` starts it, told to a receiver on 127.0.0.1 that checks the
 * signature over the raw body before reading it:
 * - push (a tag pushed over HTTP), scan.completed (the scanner's result over
 *   the real advisory database), pull.denied (the CRITICAL finding refuses the
 *   GET), signature.added (a cosign `.sig` tag and a Sigstore bundle
 *   referrer), scan.failed (an image the scanner cannot read), delete (a tag,
 *   then a manifest with its accessories);
 * - vulnerability.new / vulnerability.fixed from the rescan after an
 *   advisory database update (one advisory withdrawn, two new), in
 *   portcullis's body and in Clair's callback format, whose callback pages
 *   through the notifications without credentials;
 * - the delivery log and a redelivery through the admin API, and the
 *   deliveries counted in /metrics.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importPaths } from '../../../src/vuln/db.js';
import { npmAdvisory, writeAdvisories } from '../../support/osv.js';
import { parseExposition, value } from '../../support/exposition.js';
import { startReceiver, verified, type ReceivedRequest, type Receiver } from '../../support/webhook-receiver.js';
import { ADMIN, call, pushAccessory, pushImage, startRunning, type PushedImage, type Running } from './running.js';

let running: Running;
let receiver: Receiver;
let base: string;
let registryName: string;
let secret: string;
let clairSecret: string;
let hookId: string;
let image: PushedImage;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

before(async () => {
  running = await startRunning();
  base = running.registry.url;
  registryName = new URL(base).host;
  receiver = await startReceiver();
  assert.equal((await call(base, 'POST', '/api/v1/projects', ADMIN, { name: 'team' })).status, 201);
  const made = await call(base, 'POST', '/api/v1/projects/team/webhooks', ADMIN, { url: `${receiver.url}/all`, description: 'every event' });
  assert.equal(made.status, 201, made.text);
  secret = String(made.json.secret);
  hookId = String(made.json.id);
  const clair = await call(base, 'POST', '/api/v1/projects/team/webhooks', ADMIN, { url: `${receiver.url}/clair`, format: 'clair' });
  assert.equal(clair.status, 201, clair.text);
  assert.deepEqual(clair.json.events, ['vulnerability.new', 'vulnerability.fixed']);
  clairSecret = String(clair.json.secret);
});

after(async () => {
  await running?.close();
  await receiver?.close();
});

/** The requests of one event to the portcullis-format webhook, each verified and parsed, with the envelope checked. */
async function events(event: string, count: number): Promise<Array<{ request: ReceivedRequest; body: Record<string, unknown>; data: Record<string, unknown> }>> {
  const requests = await receiver.waitFor(count, (r) => r.path === '/all' && r.headers['x-portcullis-event'] === event);
  return requests.map((request) => {
    const body = verified(request, secret);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(String(request.headers['x-portcullis-delivery']), UUID);
    assert.match(String(request.headers['user-agent']), /^portcullis-webhooks\/\d/);
    assert.equal(body.event, event);
    assert.match(String(body.id), UUID);
    assert.equal(body.registry, registryName);
    assert.equal(body.project, 'team');
    assert.ok(!Number.isNaN(Date.parse(String(body.occurredAt))));
    return { request, body, data: body.data as Record<string, unknown> };
  });
}

test('push, scan.completed and pull.denied, from a push, the scan and a refused GET', async () => {
  image = await pushImage(base, 'team/app', 'v1');
  const [push] = await events('push', 1);
  assert.equal(push!.body.repository, 'team/app');
  assert.equal(push!.body.actor, 'admin');
  assert.deepEqual(push!.data, { digest: image.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: image.manifest.length, tag: 'v1', artifactType: 'application/vnd.oci.image.config.v1+json', reference: `${registryName}/team/app:v1` });

  await running.registry.scanner!.idle();
  const [scanned] = await events('scan.completed', 1);
  assert.equal(scanned!.body.repository, 'team/app');
  assert.equal(scanned!.body.actor, undefined, 'no request did it');
  assert.deepEqual(scanned!.data.counts, { CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0 });
  assert.equal(scanned!.data.findings, 3);
  assert.deepEqual(scanned!.data.incomplete, []);
  assert.equal(scanned!.data.digest, image.digest);

  const refused = await fetch(`${base}/v2/team/app/manifests/v1`, { headers: { authorization: ADMIN, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(refused.status, 403);
  const [denied] = await events('pull.denied', 1);
  assert.equal(denied!.body.actor, 'admin');
  assert.deepEqual(
    { digest: denied!.data.digest, tag: denied!.data.tag, kind: denied!.data.kind },
    { digest: image.digest, tag: 'v1', kind: 'vulnerable' },
  );
  assert.match(String(denied!.data.reason), /has 1 CRITICAL vulnerability/);
});

test('signature.added: a cosign .sig tag and a Sigstore bundle referrer; an attestation is not one', async () => {
  const hex = image.digest.slice('sha256:'.length);
  const sig = await pushAccessory(base, 'team/app', `sha256-${hex}.sig`, '{"critical":{}}');
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, size: image.manifest.length };
  const bundle = await pushAccessory(base, 'team/app', 'bundle', '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}', {
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    subject,
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' },
  });
  await pushAccessory(base, 'team/app', 'provenance', '{"attestation":true}', {
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    subject,
    annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
  });
  await events('push', 4);
  await running.registry.webhooks!.idle();
  const signed = await events('signature.added', 2);
  assert.deepEqual(
    signed.map((s) => s.data).sort((a, b) => String(a.format).localeCompare(String(b.format))),
    [
      { subject: image.digest, digest: sig, format: 'cosign-tag', tag: `sha256-${hex}.sig` },
      { subject: image.digest, digest: bundle, format: 'sigstore-bundle', tag: 'bundle' },
    ],
  );
  assert.equal(signed[0]!.body.actor, 'admin');
});

test('scan.failed: an image the scanner cannot read', async () => {
  const broken = await pushImage(base, 'team/broken', 'v1', { broken: true });
  await running.registry.scanner!.idle();
  const [failed] = await events('scan.failed', 1);
  assert.equal(failed!.body.repository, 'team/broken');
  assert.equal(failed!.data.digest, broken.digest);
  assert.match(String(failed!.data.error), /the manifest lists 1 layer but the config's rootfs\.diff_ids has 0 entries/);
});

test('vulnerability.new and vulnerability.fixed from a database update; Clair consumers get a callback that pages through the notifications', async () => {
  // The minimist advisory no longer affects 1.2.5; two lodash advisories appear.
  await importPaths(join(running.work, 'advisories.sqlite'), [
    writeAdvisories(join(running.work, 'osv-2'), [
      npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.3', 'CRITICAL'),
      npmAdvisory('GHSA-29mw-wpgm-hmr9', 'lodash', '4.17.21', 'MEDIUM'),
      npmAdvisory('GHSA-x5rq-j2xg-h7qm', 'lodash', '4.17.21', 'LOW'),
    ]),
  ]);
  await running.registry.scanner!.checkDatabase();
  await running.registry.scanner!.idle();
  await running.registry.webhooks!.idle();

  const [added] = await events('vulnerability.new', 1);
  assert.equal(added!.body.repository, 'team/app');
  assert.equal(added!.data.digest, image.digest);
  assert.equal(added!.data.omitted, 0);
  assert.ok(!Number.isNaN(Date.parse(String(added!.data.databaseUpdatedAt))), 'when the database was imported');
  const listed = added!.data.vulnerabilities as Array<Record<string, unknown>>;
  assert.deepEqual(listed.map((v) => [v.id, v.severity]), [['GHSA-29mw-wpgm-hmr9', 'MEDIUM'], ['GHSA-x5rq-j2xg-h7qm', 'LOW']], 'most severe first');
  assert.deepEqual(listed[0]!.package, { name: 'lodash', version: '4.17.15', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.15', path: 'app/node_modules/lodash/package.json' });
  assert.equal(listed[0]!.fixedVersion, '4.17.21');
  assert.deepEqual((listed[0]!.layer as { index: number; digest: string }), { index: 0, digest: image.layer }, 'the layer that brought the package in');
  const [fixed] = await events('vulnerability.fixed', 1);
  const gone = fixed!.data.vulnerabilities as Array<Record<string, unknown>>;
  assert.deepEqual(gone.map((v) => [v.id, v.severity, (v.package as { name: string }).name]), [['GHSA-xvch-5gv4-984h', 'CRITICAL', 'minimist']]);

  const clair = await receiver.waitFor(2, (r) => r.path === '/clair');
  assert.equal(clair.length, 2, 'the Clair webhook gets those two events only');
  const callbacks = clair.map((r) => ({ event: r.headers['x-portcullis-event'], body: verified(r, clairSecret) }));
  for (const c of callbacks) {
    assert.deepEqual(Object.keys(c.body).sort(), ['callback', 'notification_id']);
    assert.match(String(c.body.notification_id), UUID);
    assert.equal(c.body.callback, `${base}/notifier/api/v1/notification/${String(c.body.notification_id)}`);
  }
  const newOne = callbacks.find((c) => c.event === 'vulnerability.new')!;
  const first = await call(String(newOne.body.callback), 'GET', '?page_size=1', undefined);
  assert.equal(first.status, 200, 'no credentials needed: the id is the capability');
  const page = first.json.page as { size: number; next?: string };
  assert.equal(page.size, 1);
  assert.ok(page.next);
  const notifications = [...(first.json.notifications as Array<Record<string, unknown>>)];
  const second = await call(String(newOne.body.callback), 'GET', `?page_size=1&next=${page.next}`, undefined);
  assert.equal((second.json.page as { next?: string }).next, undefined, 'the last page has no next');
  for (const n of second.json.notifications as Array<Record<string, unknown>>) notifications.push(n);
  type Vuln = { name: string; severity: string; fixed_in_version: string; package: { name: string; version: string } };
  assert.deepEqual(
    notifications.map((n) => [n.manifest, n.reason, (n.vulnerability as Vuln).name, (n.vulnerability as Vuln).severity, (n.vulnerability as Vuln).package.name, (n.vulnerability as Vuln).fixed_in_version]),
    [
      [image.digest, 'added', 'GHSA-29mw-wpgm-hmr9', 'Medium', 'lodash', '4.17.21'],
      [image.digest, 'added', 'GHSA-x5rq-j2xg-h7qm', 'Low', 'lodash', '4.17.21'],
    ],
  );
  const fixedOne = callbacks.find((c) => c.event === 'vulnerability.fixed')!;
  const removed = await call(String(fixedOne.body.callback), 'GET', '', undefined);
  assert.deepEqual((removed.json.notifications as Array<{ reason: string; vulnerability: Vuln }>).map((n) => [n.reason, n.vulnerability.name]), [['removed', 'GHSA-xvch-5gv4-984h']]);
  assert.equal((await call(base, 'GET', '/notifier/api/v1/notification/00000000-0000-4000-8000-000000000000', undefined)).status, 404);
  assert.equal((await call(String(newOne.body.callback), 'GET', '?next=nope', undefined)).status, 400);
});

test('delete: a tag (the manifest stays), then the manifest by digest with its accessories', async () => {
  const other = await pushImage(base, 'team/app', 'v2', { seed: 'second' });
  await running.registry.scanner!.idle();
  const untag = await fetch(`${base}/v2/team/app/manifests/v2`, { method: 'DELETE', headers: { authorization: ADMIN } });
  assert.equal(untag.status, 202);
  const [tagGone] = await events('delete', 1);
  assert.deepEqual(tagGone!.data, { digest: other.digest, tag: 'v2' });
  assert.equal(tagGone!.body.actor, 'admin');
  const gone = await fetch(`${base}/v2/team/app/manifests/${image.digest}`, { method: 'DELETE', headers: { authorization: ADMIN } });
  assert.equal(gone.status, 202);
  const deleted = (await events('delete', 5)).slice(0).filter((d) => d.data.tag === undefined);
  assert.deepEqual(deleted.map((d) => d.data.digest).filter((d) => d === image.digest), [image.digest], 'the manifest');
  assert.equal(deleted.length, 4, 'and its three accessories');
  assert.ok(deleted.every((d) => d.body.actor === 'admin' && d.body.repository === 'team/app'));
});

test('the delivery log and a redelivery through the admin API; deliveries are counted in /metrics', async () => {
  await running.registry.webhooks!.idle();
  const log = await call(base, 'GET', `/api/v1/projects/team/webhooks/${hookId}/deliveries?n=2`, ADMIN);
  assert.equal(log.status, 200, log.text);
  const page = log.json.deliveries as Array<Record<string, unknown>>;
  assert.equal(page.length, 2);
  assert.match(String(log.text), /"state":"delivered"/);
  for (const d of page) assert.deepEqual({ state: d.state, attempts: d.attempts, status: d.responseStatus, error: d.error }, { state: 'delivered', attempts: 1, status: 200, error: null });
  const all = await call(base, 'GET', `/api/v1/projects/team/webhooks/${hookId}/deliveries?n=1000`, ADMIN);
  const everything = all.json.deliveries as Array<{ id: string; event: string; sequence: number }>;
  assert.equal(everything.length, receiver.requests.filter((r) => r.path === '/all').length, 'every request is in the log');
  const next = await call(base, 'GET', `/api/v1/projects/team/webhooks/${hookId}/deliveries?n=2&last=${page[1]!.sequence as number}`, ADMIN);
  assert.deepEqual((next.json.deliveries as Array<{ id: string }>).map((d) => d.id), everything.slice(2, 4).map((d) => d.id));

  const pushed = everything.find((d) => d.event === 'push')!;
  const one = await call(base, 'GET', `/api/v1/projects/team/webhooks/${hookId}/deliveries/${pushed.id}`, ADMIN);
  assert.equal(one.status, 200);
  const original = receiver.requests.find((r) => r.headers['x-portcullis-delivery'] === pushed.id)!;
  assert.deepEqual(one.json.body, JSON.parse(original.body.toString('utf8')), 'the body sent');
  assert.equal(one.json.responseExcerpt, 'ok');

  const before = receiver.requests.length;
  const again = await call(base, 'POST', `/api/v1/projects/team/webhooks/${hookId}/deliveries/${pushed.id}/redeliver`, ADMIN);
  assert.equal(again.status, 202, again.text);
  assert.equal(again.json.redeliveryOf, pushed.id);
  const [redelivered] = await receiver.waitFor(1, (r) => r.headers['x-portcullis-delivery'] === again.json.id);
  assert.deepEqual(redelivered!.body, original.body, 'the same bytes');
  assert.equal(verified(redelivered!, secret).id, JSON.parse(original.body.toString('utf8')).id, 'the same event id');
  assert.equal(receiver.requests.length, before + 1);

  await running.registry.webhooks!.idle();
  const metrics = parseExposition(await (await fetch(`${base}/metrics`, { headers: { authorization: ADMIN } })).text());
  assert.equal(value(metrics, 'portcullis_webhook_deliveries_total', { event: 'push', outcome: 'delivered' }), receiver.requests.filter((r) => r.headers['x-portcullis-event'] === 'push').length);
  assert.equal(value(metrics, 'portcullis_webhook_deliveries_total', { event: 'vulnerability.new', outcome: 'delivered' }), 2, 'one to each webhook');
  const logged = running.log.events('webhook').filter((l) => l.outcome === 'delivered');
  assert.ok(logged.length >= 10);
  assert.doesNotMatch(JSON.stringify(running.log.lines), new RegExp(secret), 'the secret is never logged');
});
