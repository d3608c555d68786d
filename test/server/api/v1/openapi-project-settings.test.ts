/**
 * What keeps the OpenAPI document true for `/api/v1/projects/{project}/settings`:
 * real requests (inject) for each answer of both operations, each checked
 * against the document (status documented, body valid by the schema, the
 * JSON sent valid by the request schema where it should be), then every
 * documented response must have been produced; 401, 429, 413 and 415 in a
 * loop as for the other resources.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, basic } from '../../auth/accounts-registry.js';
import { adminRegistry, type AdminRegistry } from './admin-registry.js';
import { checkedCalls, DocumentChecker } from './openapi-check.js';

const TAGS = ['project settings'];
const ADMIN = basic('admin', ADMIN_PASSWORD);
const LOCKED = basic('locked-out', 'not-the-password');
const ALICE = basic('alice', 'alice-password-0001');
const BOB = basic('bob', 'bob-password-00001');
let r: AdminRegistry;
let checker: DocumentChecker;
let call: ReturnType<typeof checkedCalls>;
let wrong = 0;

before(async () => {
  r = await adminRegistry('accounts', { loginLimits: { perUser: 3 } });
  checker = new DocumentChecker(r.doc);
  call = checkedCalls(r.app, checker);
  await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'team' } });
  await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'pub', public: true } });
  await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'alice', password: 'alice-password-0001' } });
  await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'bob', password: 'bob-password-00001' } });
  await call(200, 'PUT', '/api/v1/projects/team/members/alice', { auth: ADMIN, body: { role: 'admin' } });
  await call(200, 'PUT', '/api/v1/projects/team/members/bob', { auth: ADMIN, body: { role: 'push' } });
});
after(() => r?.close());

test('settings: read, replace whole, clear; refusals by role and by value', async () => {
  const none = await call(200, 'GET', '/api/v1/projects/team/settings', { auth: BOB });
  assert.deepEqual(JSON.parse(none.body), { quota: null, untaggedRetention: null, retention: null, denySeverity: null, trustPolicy: null });
  const whole = { quota: '10GiB', untaggedRetention: '3d', retention: [{ tags: ['v*', 'release-?'], keepLast: 10 }, { tags: '*', keepYoungerThan: '30d' }], denySeverity: 'HIGH', trustPolicy: null };
  assert.deepEqual(JSON.parse((await call(200, 'PUT', '/api/v1/projects/team/settings', { auth: ADMIN, body: whole })).body), whole);
  assert.deepEqual(JSON.parse((await call(200, 'GET', '/api/v1/projects/team/settings', { auth: BOB })).body), whole);
  // The project's admin changes the rest, sending the quota back as it is; changing it is the registry admin's.
  const longer = { ...whole, untaggedRetention: '5d' };
  assert.deepEqual(JSON.parse((await call(200, 'PUT', '/api/v1/projects/team/settings', { auth: ALICE, body: longer })).body), longer);
  // The project's admin adds trust requirements (they only add to the registry's policy).
  const trustPolicy = {
    keys: ['3f2a9c81d0e4'],
    threshold: 1,
    attestations: [{ type: 'vuln', maxAge: '7d', condition: 'no CRITICAL finding' }],
    cveAllowlist: [{ id: 'CVE-2024-12345', expires: '2027-01-31', reason: 'not reachable' }],
  };
  const trusted = { ...longer, trustPolicy };
  assert.deepEqual(JSON.parse((await call(200, 'PUT', '/api/v1/projects/team/settings', { auth: ALICE, body: trusted })).body), trusted);
  assert.deepEqual(JSON.parse((await call(200, 'GET', '/api/v1/projects/team/settings', { auth: BOB })).body), trusted);
  const raised = await call(403, 'PUT', '/api/v1/projects/team/settings', { auth: ALICE, body: { ...whole, quota: '20GiB' } });
  assert.equal((JSON.parse(raised.body) as { errors: Array<{ message: string }> }).errors[0]!.message, 'the storage quota of project team is set by a registry administrator: send "quota" as it is ("10GiB")');
  const partial = await call(200, 'PUT', '/api/v1/projects/team/settings', { auth: ADMIN, body: { quota: 1024, untaggedRetention: null } });
  assert.deepEqual(JSON.parse(partial.body), { quota: 1024, untaggedRetention: null, retention: null, denySeverity: null, trustPolicy: null }, 'replaced whole');
  assert.deepEqual(await (await accessStore()).getProjectSettings('team'), { quota: 1024 }, 'stored without the null keys');
  await call(200, 'PUT', '/api/v1/projects/team/settings', { auth: ADMIN, body: {} });
  assert.equal(await (await accessStore()).getProjectSettings('team'), undefined, 'all null: no settings of its own');

  const refusals: Array<[unknown, string]> = [
    [{ quota: 'lots' }, 'quota: a size such as 500MB, 10GiB or a number of bytes'],
    [{ untaggedRetention: '3 days' }, 'untaggedRetention: a duration such as 30m, 12h, 7d or 2w'],
    [{ retention: { tags: '*' } }, 'retention: must be a list of rules'],
    [{ retention: [{ tags: 'v/1', keepLast: 1 }] }, 'retention[0].tags: a tag pattern (letters, digits, . _ -, * and ?) or a list of 1 to 100 of them'],
    [{ retention: [{ tags: 'v*', keepLast: -1 }] }, 'retention[0].keepLast: a whole number of at least 0'],
    [{ retention: [{ tags: 'v*', keep: 1 }] }, 'retention[0].keep: unknown key (expected tags, keepLast, keepYoungerThan)'],
    [{ denySeverity: 'high' }, 'denySeverity: one of CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE, UNKNOWN'],
    [{ quotas: '1GiB' }, 'quotas: unknown key (expected quota, untaggedRetention, retention, denySeverity, trustPolicy)'],
    [{ trustPolicy: { keys: ['./vendor.pub'] } }, "trustPolicy: keys: name keys by id (from the registry's trust store) or root-certified, not by file"],
    [{ trustPolicy: { action: 'allow' } }, 'trustPolicy: action: not allowed here (allowed: keys, threshold, signedIdentity, identity, attestations, cveAllowlist, sources, notary)'],
    [{ trustPolicy: { cveAllowlist: [{ id: 'CVE-2024-1', reason: 'x' }] } }, 'trustPolicy: cveAllowlist entry CVE-2024-1 has no "expires" (a date such as 2027-01-31): an exception must end'],
    [{ trustPolicy: { attestations: [{ type: 'vuln', maxAge: 'soon' }] } }, 'trustPolicy: "maxAge" must be a duration like 12h, 7d or 2w, not "soon"'],
  ];
  for (const [body, message] of refusals) {
    const answer = await call(400, 'PUT', '/api/v1/projects/team/settings', { auth: ALICE, body });
    assert.equal((JSON.parse(answer.body) as { errors: Array<{ message: string }> }).errors[0]!.message, message);
  }
  await call(400, 'PUT', '/api/v1/projects/team/settings', { auth: ALICE, raw: '[1]', headers: { 'content-type': 'application/json' } });
  await call(403, 'PUT', '/api/v1/projects/team/settings', { auth: BOB, body: { quota: '1GiB' } });
  await call(403, 'GET', '/api/v1/projects/pub/settings', { auth: BOB });
  await call(403, 'PUT', '/api/v1/projects/pub/settings', { auth: BOB, body: { quota: '1GiB' } });
  await call(404, 'GET', '/api/v1/projects/nope/settings', { auth: ADMIN });
  await call(404, 'PUT', '/api/v1/projects/nope/settings', { auth: ADMIN, body: { quota: '1GiB' } });
});

async function accessStore(): Promise<{ getProjectSettings(name: string): Promise<unknown> }> {
  const auth = r.services.auth as unknown as { store: { getProjectSettings(name: string): Promise<unknown> } };
  return auth.store;
}

test('every operation: 401 without credentials or with wrong ones, 429 once a name is locked out; bodies refused with 413 and 415', async () => {
  for (let i = 0; i < 3; i++) await call(401, 'GET', '/api/v1/users', { auth: LOCKED });
  for (const { method, template, operation } of checker.operations(TAGS)) {
    const url = template.replace('{project}', 'team');
    const verb = method as 'GET' | 'PUT';
    await call(401, verb, url);
    await call(401, verb, url, { auth: basic(`wrong-${wrong++}`, 'not-the-password') });
    await call(429, verb, url, { auth: LOCKED });
    if (!operation.requestBody) continue;
    await call(413, verb, url, { raw: JSON.stringify({ quota: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
    await call(415, verb, url, { raw: '<settings/>', headers: { 'content-type': 'application/xml' } });
  }
});

test('every response the document lists for project settings was produced by a request above', () => {
  assert.deepEqual(checker.documented(TAGS).filter((x) => !checker.seen.has(x)), []);
});
