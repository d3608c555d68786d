/**
 * What keeps the OpenAPI document true for users, projects, members and
 * robots: real requests (inject) for each operation's successes and
 * refusals, each answer checked against the document (status documented,
 * body valid by the response schema, required headers, Link), each JSON
 * body sent checked against the request schema; and at the end, every
 * response the document lists for these operations must have been
 * produced. 401 and 429 (added to every operation by the assembler) and the
 * body refusals 413 and 415 are produced for every operation in a loop.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, basic, tokenFor } from '../../auth/accounts-registry.js';
import { pushImage } from '../helpers.js';
import { adminRegistry, type AdminRegistry } from './admin-registry.js';
import { checkedCalls, DocumentChecker } from './openapi-check.js';

const TAGS = ['users', 'projects', 'members', 'robots'];
const ADMIN = basic('admin', ADMIN_PASSWORD);
const LOCKED = basic('locked-out', 'not-the-password');
const SAMPLE: Record<string, string> = { user: 'bob', project: 'team', robot: 'ci' };
let r: AdminRegistry;
let checker: DocumentChecker;
let call: ReturnType<typeof checkedCalls>;
let bob = basic('bob', 'bob-password-0001');
let wrong = 0;

before(async () => {
  r = await adminRegistry('accounts', { loginLimits: { perUser: 3 } });
  checker = new DocumentChecker(r.doc);
  call = checkedCalls(r.app, checker);
});
after(() => r?.close());

/** Wrong credentials of a name used once, so that the per-user limit never turns them into 429. */
function wrongCredentials(): string {
  return basic(`wrong-${wrong++}`, 'not-the-password');
}

test('users: create, list (paged), read, change, delete; and their refusals', async () => {
  await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'bob', password: 'bob-password-0001' } });
  const carol = await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'carol', password: 'carol-password-01', admin: true, extra: 'ignored' } });
  assert.equal(carol.headers.location, '/api/v1/users/carol');
  await call(409, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'bob', password: 'bob-password-0001' } });
  await call(400, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'dave', password: 'short' } });
  await call(400, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: '-dave', password: 'long-enough-password' } });
  await call(400, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'dave', password: 'long-enough-password', admin: 'yes' } });
  await call(400, 'POST', '/api/v1/users', { auth: ADMIN, raw: '{"name":', headers: { 'content-type': 'application/json' } });
  await call(403, 'POST', '/api/v1/users', { auth: bob, body: { name: 'dave', password: 'long-enough-password' } });

  const page = await call(200, 'GET', '/api/v1/users?n=1', { auth: ADMIN });
  assert.equal(page.headers.link, '</api/v1/users?n=1&last=admin>; rel="next"');
  const rest = await call(200, 'GET', '/api/v1/users?n=5&last=admin', { auth: ADMIN });
  assert.deepEqual((JSON.parse(rest.body) as { users: Array<{ name: string }> }).users.map((u) => u.name), ['bob', 'carol']);
  assert.equal(rest.headers.link, undefined, 'no Link on the last page');
  await call(400, 'GET', '/api/v1/users?n=ten', { auth: ADMIN });
  await call(403, 'GET', '/api/v1/users', { auth: bob });

  await call(200, 'GET', '/api/v1/users/bob', { auth: bob });
  await call(403, 'GET', '/api/v1/users/admin', { auth: bob });
  await call(404, 'GET', '/api/v1/users/nobody', { auth: ADMIN });

  await call(200, 'PATCH', '/api/v1/users/carol', { auth: ADMIN, body: { admin: false } });
  await call(409, 'PATCH', '/api/v1/users/admin', { auth: ADMIN, body: { admin: false } });
  await call(400, 'PATCH', '/api/v1/users/bob', { auth: ADMIN, body: { admin: 'no' } });
  await call(403, 'PATCH', '/api/v1/users/bob', { auth: bob, body: { admin: true } });
  await call(404, 'PATCH', '/api/v1/users/nobody', { auth: ADMIN, body: { admin: true } });

  await call(204, 'PUT', '/api/v1/users/bob/password', { auth: bob, body: { password: 'bob-password-0002' } });
  bob = basic('bob', 'bob-password-0002');
  await call(400, 'PUT', '/api/v1/users/bob/password', { auth: bob, body: { password: 'short' } });
  await call(403, 'PUT', '/api/v1/users/admin/password', { auth: bob, body: { password: 'long-enough-password' } });
  await call(404, 'PUT', '/api/v1/users/nobody/password', { auth: ADMIN, body: { password: 'long-enough-password' } });
  // An OpenID Connect account has no password here: setting one would outlive its provider disabling it.
  const at = new Date().toISOString();
  assert.ok(await r.identity!.createOidcUser({ name: 'olga', passwordHash: '!oidc', admin: false, createdAt: at, passwordChangedAt: at }, 'https://id.example', 'subject-1'));
  const oidc = await call(409, 'PUT', '/api/v1/users/olga/password', { auth: ADMIN, body: { password: 'long-enough-password' } });
  assert.match(oidc.body, /olga signs in through OpenID Connect and has no password here/);
  assert.equal((await r.identity!.getUser('olga'))?.passwordHash, '!oidc');

  await call(204, 'DELETE', '/api/v1/users/carol', { auth: ADMIN });
  await call(409, 'DELETE', '/api/v1/users/admin', { auth: ADMIN });
  await call(403, 'DELETE', '/api/v1/users/bob', { auth: bob });
  await call(404, 'DELETE', '/api/v1/users/carol', { auth: ADMIN });
});

test('projects and members: create, list (paged), read, change, delete; and their refusals', async () => {
  await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'team' } });
  const pub = await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'pub', public: true } });
  assert.equal(pub.headers.location, '/api/v1/projects/pub');
  await call(201, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'full' } });
  await call(409, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'team' } });
  await call(400, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'Team' } });
  await call(400, 'POST', '/api/v1/projects', { auth: ADMIN, body: { name: 'x', public: 'yes' } });
  await call(403, 'POST', '/api/v1/projects', { auth: bob, body: { name: 'bobs' } });

  const page = await call(200, 'GET', '/api/v1/projects?n=2', { auth: ADMIN });
  assert.equal(page.headers.link, '</api/v1/projects?n=2&last=pub>; rel="next"');
  await call(200, 'GET', '/api/v1/projects', { auth: bob });
  await call(400, 'GET', '/api/v1/projects?n=-1', { auth: ADMIN });
  await call(200, 'GET', '/api/v1/projects/team', { auth: ADMIN });
  await call(404, 'GET', '/api/v1/projects/team', { auth: bob });

  await call(200, 'PUT', '/api/v1/projects/team/members/bob', { auth: ADMIN, body: { role: 'pull' } });
  await call(200, 'PUT', '/api/v1/projects/team/members/admin', { auth: ADMIN, body: { role: 'admin' } });
  await call(200, 'PUT', '/api/v1/projects/pub/members/bob', { auth: ADMIN, body: { role: 'admin' } });
  await call(400, 'PUT', '/api/v1/projects/team/members/bob', { auth: ADMIN, body: { role: 'owner' } });
  await call(403, 'PUT', '/api/v1/projects/team/members/bob', { auth: bob, body: { role: 'admin' } });
  await call(404, 'PUT', '/api/v1/projects/nope/members/bob', { auth: ADMIN, body: { role: 'pull' } });
  await call(404, 'PUT', '/api/v1/projects/team/members/nobody', { auth: ADMIN, body: { role: 'pull' } });

  const members = await call(200, 'GET', '/api/v1/projects/team/members?n=1', { auth: ADMIN });
  assert.equal(members.headers.link, '</api/v1/projects/team/members?n=1&last=admin>; rel="next"');
  await call(400, 'GET', '/api/v1/projects/team/members?n=1.5', { auth: ADMIN });
  await call(403, 'GET', '/api/v1/projects/team/members', { auth: bob });
  await call(404, 'GET', '/api/v1/projects/nope/members', { auth: ADMIN });

  await call(200, 'GET', '/api/v1/projects/team', { auth: bob });
  await call(200, 'PATCH', '/api/v1/projects/team', { auth: ADMIN, body: { public: false } });
  await call(400, 'PATCH', '/api/v1/projects/team', { auth: ADMIN, body: { public: 'no' } });
  await call(403, 'PATCH', '/api/v1/projects/team', { auth: bob, body: { public: true } });
  await call(404, 'PATCH', '/api/v1/projects/nope', { auth: ADMIN, body: { public: true } });

  await call(204, 'DELETE', '/api/v1/projects/team/members/admin', { auth: ADMIN });
  await call(404, 'DELETE', '/api/v1/projects/team/members/admin', { auth: ADMIN });
  await call(403, 'DELETE', '/api/v1/projects/team/members/bob', { auth: bob });

  await pushImage(r.app, 'full/app', 'v1', { headers: { authorization: ADMIN } });
  await call(409, 'DELETE', '/api/v1/projects/full', { auth: ADMIN });
  await call(403, 'DELETE', '/api/v1/projects/pub', { auth: bob });
  await call(404, 'DELETE', '/api/v1/projects/nope', { auth: ADMIN });
});

test('robots: create (the secret once), list (paged), revoke; and their refusals', async () => {
  const ci = await call(201, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'ci', actions: ['push', 'pull', 'push'], expiresInDays: 30, description: 'CI' } });
  assert.deepEqual((JSON.parse(ci.body) as { actions: string[] }).actions, ['pull', 'push']);
  await call(201, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'deploy', actions: ['pull'] } });
  await call(409, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'ci', actions: ['pull'] } });
  await call(400, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'x', actions: [] } });
  await call(400, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'x', actions: ['admin'] } });
  await call(400, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'x', actions: ['pull'], expiresInDays: 3651 } });
  await call(400, 'POST', '/api/v1/projects/team/robots', { auth: ADMIN, body: { name: 'x', actions: ['pull'], description: 'd'.repeat(1025) } });
  await call(403, 'POST', '/api/v1/projects/team/robots', { auth: bob, body: { name: 'x', actions: ['pull'] } });
  await call(404, 'POST', '/api/v1/projects/nope/robots', { auth: ADMIN, body: { name: 'x', actions: ['pull'] } });

  const page = await call(200, 'GET', '/api/v1/projects/team/robots?n=1', { auth: ADMIN });
  assert.equal(page.headers.link, `</api/v1/projects/team/robots?n=1&last=${encodeURIComponent('robot$team+ci')}>; rel="next"`);
  await call(400, 'GET', '/api/v1/projects/team/robots?n=x', { auth: ADMIN });
  await call(403, 'GET', '/api/v1/projects/team/robots', { auth: bob });
  await call(404, 'GET', '/api/v1/projects/nope/robots', { auth: ADMIN });

  await call(204, 'DELETE', '/api/v1/projects/team/robots/ci', { auth: ADMIN });
  await call(204, 'DELETE', `/api/v1/projects/team/robots/${encodeURIComponent('robot$team+deploy')}`, { auth: ADMIN });
  await call(204, 'DELETE', '/api/v1/projects/team/robots/ci', { auth: ADMIN });
  const listed = await call(200, 'GET', '/api/v1/projects/team/robots', { auth: ADMIN });
  assert.ok((JSON.parse(listed.body) as { robots: Array<{ revokedAt: string | null }> }).robots.every((x) => x.revokedAt !== null), 'revoked robots stay listed');
  await call(404, 'DELETE', '/api/v1/projects/team/robots/nobody', { auth: ADMIN });
  await call(403, 'DELETE', '/api/v1/projects/team/robots/ci', { auth: bob });
  await call(204, 'DELETE', '/api/v1/projects/pub', { auth: ADMIN });
});

test('a Bearer token from /token for scope registry:admin:* stands for its subject; a pull or push token, an anonymous or forged one is 401 with the challenge', async () => {
  await call(200, 'GET', '/api/v1/users', { auth: `Bearer ${await tokenFor(r.app, ADMIN, ['registry:admin:*'])}` });
  // The token a docker client holds for pulling (and might leak into a CI log) is no admin credential.
  const pullToken = await call(401, 'GET', '/api/v1/users', { auth: `Bearer ${await tokenFor(r.app, ADMIN, ['repository:team/app:pull'])}` });
  assert.equal(pullToken.headers['www-authenticate'], 'Bearer realm="http://registry.test/token",service="registry.test",scope="registry:admin:*",error="insufficient_scope"');
  await call(401, 'GET', '/api/v1/users', { auth: `Bearer ${await tokenFor(r.app, ADMIN, [])}` });
  const anonymous = await call(401, 'GET', '/api/v1/users', { auth: `Bearer ${await tokenFor(r.app, undefined, ['registry:admin:*'])}` });
  assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="http://registry.test/token",service="registry.test"');
  const forged = await call(401, 'GET', '/api/v1/projects', { auth: 'Bearer not.a.token' });
  assert.match(String(forged.headers['www-authenticate']), /error="invalid_token"$/);
});

test('every operation: 401 without credentials or with wrong ones, 429 once a name is locked out; bodies refused with 413 and 415', async () => {
  for (let i = 0; i < 3; i++) await call(401, 'GET', '/api/v1/users', { auth: LOCKED });
  for (const { method, template, operation } of checker.operations(TAGS)) {
    const url = template.replace(/\{(\w+)\}/g, (_m, name: string) => SAMPLE[name]!);
    const verb = method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const none = await call(401, verb, url);
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="http:\/\/registry\.test\/token",service="registry\.test"$/);
    await call(401, verb, url, { auth: wrongCredentials() });
    const locked = await call(429, verb, url, { auth: LOCKED });
    assert.match(String(locked.headers['retry-after']), /^\d+$/);
    if (!operation.requestBody) continue;
    await call(413, verb, url, { raw: JSON.stringify({ name: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
    await call(415, verb, url, { raw: '<user/>', headers: { 'content-type': 'application/xml' } });
  }
});

test('every response the document lists for users, projects, members and robots was produced by a request above', () => {
  assert.deepEqual(checker.documented(TAGS).filter((x) => !checker.seen.has(x)), []);
});
