/**
 * Managing webhooks on a running registry (accounts on), through the admin
 * API and `portcullis registry webhook`:
 * - who may: a push member of the project may not (403), a robot may not,
 *   the project's admin may for that project only, and a project they cannot
 *   see answers exactly what a project that does not exist answers (404);
 *   a webhook id looked up under another project is 404;
 * - what is refused: targets that are not public or allowed (the metadata
 *   address, a private network, credentials in the URL, other schemes), unknown
 *   events, Clair's format with events it cannot carry;
 * - secrets: shown in the answer that sets them only, rotated on request, and
 *   deliveries signed with the new one;
 * - the CLI adds, lists, changes (and rotates the secret of: deliveries
 *   then signed with the new one), shows deliveries, redelivers and removes,
 *   with the admin commands' exit codes; `registry project visibility` makes
 *   a project public and private again (its admin), refused to a push member.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from '../../support/cli.js';
import { startReceiver, verified, type Receiver } from '../../support/webhook-receiver.js';
import { ADMIN, basic, call, pushImage, startRunning, type Running } from './running.js';

const PW = 'a-long-password-123';
let running: Running;
let base: string;
let receiver: Receiver;
let robot: string;
const ALICE = basic('alice', PW);
const BOB = basic('bob', PW);

before(async () => {
  running = await startRunning(['  maxAttempts: 2']);
  base = running.registry.url;
  receiver = await startReceiver();
  for (const name of ['team', 'other']) assert.equal((await call(base, 'POST', '/api/v1/projects', ADMIN, { name })).status, 201);
  for (const name of ['alice', 'bob']) assert.equal((await call(base, 'POST', '/api/v1/users', ADMIN, { name, password: PW })).status, 201);
  assert.equal((await call(base, 'PUT', '/api/v1/projects/team/members/alice', ADMIN, { role: 'push' })).status, 200);
  assert.equal((await call(base, 'PUT', '/api/v1/projects/team/members/bob', ADMIN, { role: 'admin' })).status, 200);
  const made = await call(base, 'POST', '/api/v1/projects/team/robots', ADMIN, { name: 'ci', actions: ['pull', 'push'] });
  robot = basic('robot$team+ci', String(made.json.secret));
});

after(async () => {
  await running?.close();
  await receiver?.close();
});

test('who may manage webhooks: the project admin for their project; a push member or a robot no; an invisible project is 404 as a missing one', async () => {
  const body = { url: `${receiver.url}/bob` };
  for (const who of [ALICE, robot]) {
    assert.equal((await call(base, 'GET', '/api/v1/projects/team/webhooks', who)).status, 403);
    assert.equal((await call(base, 'POST', '/api/v1/projects/team/webhooks', who, body)).status, 403);
  }
  const invisible = await call(base, 'GET', '/api/v1/projects/other/webhooks', BOB);
  const missing = await call(base, 'GET', '/api/v1/projects/nope/webhooks', BOB);
  assert.equal(invisible.status, 404);
  assert.equal(invisible.text.replace('other', 'nope'), missing.text, 'the same answer as for a project that does not exist');
  assert.equal((await call(base, 'POST', '/api/v1/projects/other/webhooks', BOB, body)).status, 404);
  assert.equal((await call(base, 'GET', '/api/v1/projects/team/webhooks', undefined)).status, 401);

  const made = await call(base, 'POST', '/api/v1/projects/team/webhooks', BOB, { ...body, events: ['push'] });
  assert.equal(made.status, 201, made.text);
  assert.match(String(made.json.secret), /^[A-Za-z0-9_-]{43}$/, '256 bits');
  const id = String(made.json.id);
  assert.equal(made.json.url, `${receiver.url}/bob`);
  const listed = await call(base, 'GET', '/api/v1/projects/team/webhooks', BOB);
  assert.deepEqual((listed.json.webhooks as Array<{ id: string }>).map((w) => w.id), [id]);
  assert.doesNotMatch(listed.text, /secret/, 'never listed');
  assert.doesNotMatch((await call(base, 'GET', `/api/v1/projects/team/webhooks/${id}`, BOB)).text, /secret/);
  // An administrator sees other projects, but a webhook only under its own.
  assert.equal((await call(base, 'GET', `/api/v1/projects/other/webhooks/${id}`, ADMIN)).status, 404);
  assert.equal((await call(base, 'DELETE', `/api/v1/projects/other/webhooks/${id}`, ADMIN)).status, 404);
  assert.equal((await call(base, 'DELETE', `/api/v1/projects/team/webhooks/${id}`, ALICE)).status, 403);
  assert.equal((await call(base, 'DELETE', `/api/v1/projects/team/webhooks/${id}`, BOB)).status, 204);
  assert.equal((await call(base, 'GET', `/api/v1/projects/team/webhooks/${id}`, BOB)).status, 404);
});

test('refused: targets that are not public or allowed, other schemes, credentials; unknown events; Clair with other events', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ url: 'http://169.254.169.254/latest/meta-data/' }, /"url": 169\.254\.169\.254 is a link-local address, which webhooks may not reach/],
    [{ url: 'http://10.0.0.1/hook' }, /10\.0\.0\.1 is a private address/],
    [{ url: 'http://[fd00:ec2::254]/' }, /private address/],
    [{ url: `http://user:pw@127.0.0.1:${new URL(receiver.url).port}/` }, /no credentials in the URL/],
    [{ url: 'ftp://hooks.example/' }, /only http and https URLs, not ftp/],
    [{ url: 'http://hooks.example/', events: ['push', 'nope'] }, /"events" must list some of push, delete/],
    [{ url: 'http://hooks.example/', events: [] }, /"events" must list/],
    [{ url: 'http://hooks.example/', format: 'clair', events: ['push'] }, /format clair carries only vulnerability\.new and vulnerability\.fixed/],
    [{ url: 'http://hooks.example/', format: 'xml' }, /"format" must be portcullis or clair/],
    [{ url: 'http://hooks.example/', secret: 'short' }, /"secret" must be 16 to 256 printable ASCII/],
    [{}, /"url" must be a string/],
  ];
  for (const [body, message] of cases) {
    const answer = await call(base, 'POST', '/api/v1/projects/team/webhooks', BOB, body);
    assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
    assert.match((answer.json.errors as Array<{ message: string }>)[0]!.message, message);
  }
  assert.equal(((await call(base, 'GET', '/api/v1/projects/team/webhooks', BOB)).json.webhooks as unknown[]).length, 0, 'nothing was made');
});

test('secrets: given or generated, shown once; a rotation signs the next deliveries with the new one', async () => {
  const given = 'a-secret-the-receiver-chose-1';
  const made = await call(base, 'POST', '/api/v1/projects/team/webhooks', BOB, { url: `${receiver.url}/rotate`, events: ['push'], secret: given });
  assert.equal(made.status, 201);
  assert.equal(made.json.secret, given);
  const id = String(made.json.id);
  await pushImage(base, 'team/one', 'v1');
  const [first] = await receiver.waitFor(1, (r) => r.path === '/rotate');
  assert.equal(verified(first!, given).event, 'push');

  const rotated = await call(base, 'PATCH', `/api/v1/projects/team/webhooks/${id}`, BOB, { rotateSecret: true, description: 'rotated' });
  assert.equal(rotated.status, 200, rotated.text);
  const fresh = String(rotated.json.secret);
  assert.notEqual(fresh, given);
  assert.equal(rotated.json.description, 'rotated');
  assert.equal((await call(base, 'PATCH', `/api/v1/projects/team/webhooks/${id}`, BOB, { url: 'http://169.254.169.254/' })).status, 400);
  assert.equal((await call(base, 'PATCH', `/api/v1/projects/team/webhooks/${id}`, BOB, { rotateSecret: true, secret: 'another-secret-1234' })).status, 400);
  await pushImage(base, 'team/two', 'v1');
  const [, second] = await receiver.waitFor(2, (r) => r.path === '/rotate');
  assert.equal(verified(second!, fresh).event, 'push');
  assert.throws(() => verified(second!, given), /bad signature/);

  assert.equal((await call(base, 'PATCH', `/api/v1/projects/team/webhooks/${id}`, BOB, { enabled: false })).json.enabled, false);
  await pushImage(base, 'team/three', 'v1');
  await running.registry.webhooks!.idle();
  assert.equal(receiver.requests.filter((r) => r.path === '/rotate').length, 2, 'a disabled webhook is told nothing');
  assert.equal((await call(base, 'DELETE', `/api/v1/projects/team/webhooks/${id}`, BOB)).status, 204);
});

test('portcullis registry webhook add, list, deliveries, redeliver and remove', async () => {
  const env = { PORTCULLIS_SERVER: base, PORTCULLIS_USERNAME: 'bob', PORTCULLIS_PASSWORD: PW };
  const added = await runCli(['registry', 'webhook', 'add', 'team', `${receiver.url}/cli`, '--events', 'push,delete', '--description', 'from the CLI'], env);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^[A-Za-z0-9_-]{43}\n$/, 'the secret alone on stdout');
  const id = /created webhook ([0-9a-f]{16}) in team \(push,delete\)/.exec(added.stderr)?.[1];
  assert.ok(id, added.stderr);
  const secret = added.stdout.trim();

  const listed = await runCli(['registry', 'webhook', 'list', 'team', '--format', 'json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as Array<{ id: string; events: string[] }>).map((w) => [w.id, w.events]), [[id, ['push', 'delete']]]);
  const table = await runCli(['registry', 'webhook', 'list', 'team'], env);
  assert.match(table.stdout, /^ID\s+URL\s+FORMAT\s+EVENTS\s+ENABLED\n/);

  await pushImage(base, 'team/cli', 'v1');
  const [request] = await receiver.waitFor(1, (r) => r.path === '/cli');
  assert.equal(verified(request!, secret).repository, 'team/cli');
  await running.registry.webhooks!.idle();
  const deliveries = await runCli(['registry', 'webhook', 'deliveries', 'team', id!, '--format', 'json'], env);
  assert.equal(deliveries.code, 0, deliveries.stderr);
  const [delivery] = JSON.parse(deliveries.stdout) as Array<{ id: string; state: string; responseStatus: number }>;
  assert.deepEqual({ state: delivery?.state, status: delivery?.responseStatus }, { state: 'delivered', status: 200 });
  const redelivered = await runCli(['registry', 'webhook', 'redeliver', 'team', id!, delivery!.id], env);
  assert.equal(redelivered.code, 0, redelivered.stderr);
  await receiver.waitFor(2, (r) => r.path === '/cli');

  const disabled = await runCli(['registry', 'webhook', 'set', 'team', id!, '--disable', '--events', 'push', '--description', ''], env);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.match(disabled.stderr, new RegExp(`changed webhook ${id} in team \\(push, disabled\\)\n`));
  assert.equal(disabled.stdout, '', 'no secret when none was rotated');
  const shown = JSON.parse((await runCli(['registry', 'webhook', 'list', 'team', '--format', 'json'], env)).stdout) as Array<{ enabled: boolean; events: string[] }>;
  assert.deepEqual(shown.map((w) => [w.enabled, w.events]), [[false, ['push']]]);
  const rotated = await runCli(['registry', 'webhook', 'set', 'team', id!, '--rotate-secret', '--enable'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  const fresh = rotated.stdout.trim();
  assert.match(rotated.stdout, /^[A-Za-z0-9_-]{43}\n$/);
  assert.notEqual(fresh, secret);
  await pushImage(base, 'team/cli2', 'v1');
  const after = await receiver.waitFor(3, (r) => r.path === '/cli');
  assert.equal(verified(after[2]!, fresh).repository, 'team/cli2', 'signed with the rotated secret');
  assert.equal((await runCli(['registry', 'webhook', 'set', 'team', id!], env)).code, 2, 'nothing to change');
  assert.equal((await runCli(['registry', 'webhook', 'set', 'team', id!, '--clair', '--portcullis'], env)).code, 2);
  assert.equal((await runCli(['registry', 'webhook', 'set', 'team', id!, '--clair', '--events', 'push'], env)).code, 2, 'clair cannot carry push events');
  assert.equal((await runCli(['registry', 'webhook', 'set', 'team', id!, '--url', 'http://169.254.169.254/'], env)).code, 2);
  assert.equal((await runCli(['registry', 'webhook', 'set', 'team', id!, '--disable'], { ...env, PORTCULLIS_USERNAME: 'alice' })).code, 4, 'a push member');

  assert.equal((await runCli(['registry', 'webhook', 'add', 'team', 'http://169.254.169.254/'], env)).code, 2, 'refused target: invalid request');
  assert.equal((await runCli(['registry', 'webhook', 'list', 'other'], env)).code, 3, 'a project bob cannot see');
  assert.equal((await runCli(['registry', 'webhook', 'list', 'team'], { ...env, PORTCULLIS_USERNAME: 'alice' })).code, 4, 'a push member');
  const removed = await runCli(['registry', 'webhook', 'remove', 'team', id!], env);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await runCli(['registry', 'webhook', 'remove', 'team', id!], env)).code, 3);
});

test('portcullis registry project visibility: the project admin makes it public and private again; a push member may not', async () => {
  const env = { PORTCULLIS_SERVER: base, PORTCULLIS_USERNAME: 'bob', PORTCULLIS_PASSWORD: PW };
  const isPublic = async (): Promise<unknown> => (await call(base, 'GET', '/api/v1/projects/team', ADMIN)).json.public;
  const made = await runCli(['registry', 'project', 'visibility', 'team', 'public'], env);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.stderr, 'project team is now public\n');
  assert.equal(await isPublic(), true);
  assert.equal((await runCli(['registry', 'project', 'visibility', 'team', 'private'], { ...env, PORTCULLIS_USERNAME: 'alice' })).code, 4);
  assert.equal(await isPublic(), true);
  assert.equal((await runCli(['registry', 'project', 'visibility', 'team', 'open'], env)).code, 2);
  assert.equal((await runCli(['registry', 'project', 'visibility', 'other', 'public'], env)).code, 3, 'a project bob cannot see');
  assert.equal((await runCli(['registry', 'project', 'visibility', 'team', 'private'], env)).code, 0);
  assert.equal(await isPublic(), false);
});
