/**
 * The token service and the registry against a hostile client: tokens forged
 * the classic ways (HS256 keyed with the public key, a `kid` naming no key of
 * ours, not yet valid), scope strings with extra colons, commas, unicode,
 * upper case and path tricks, a robot asking beyond its grants or for the
 * admin API, a revoked robot, and a pull token for one repository used on
 * names that spell another. token-flow.test.ts has the well-formed flow and
 * the expired, tampered, `alg: none` and other-key cases.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { parseV2Path } from '../../../src/server/api/v2/route.js';
import { loadTokenKeys } from '../../../src/server/auth/token-keys.js';
import { pushImage } from '../api/helpers.js';
import { accountsRegistry, ADMIN_PASSWORD, api, basic, claimsOf, REALM, SERVICE, tokenFor, type AccountsRegistry } from './accounts-registry.js';

const ADMIN = basic('admin', ADMIN_PASSWORD);
let r: AccountsRegistry;
let robot: string;

before(async () => {
  r = await accountsRegistry();
  for (const name of ['team', 'other']) assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name, public: false })).statusCode, 201);
  await pushImage(r.app, 'team/app', 'v1', { headers: { authorization: ADMIN } });
  await pushImage(r.app, 'other/app', 'v1', { headers: { authorization: ADMIN } });
  robot = basic('robot$team+ci', (JSON.parse((await api(r.app, 'POST', '/projects/team/robots', ADMIN, { name: 'ci', actions: ['pull'] })).body) as { secret: string }).secret);
});
after(() => r?.close());

const use = (token: string, url = '/v2/team/app/tags/list') => r.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

test('forged tokens: HS256 keyed with our public key, a kid of no key of ours, not yet valid, no kid — all 401 invalid_token', async () => {
  const keys = await loadTokenKeys(join(r.root, 'auth'));
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: REALM, aud: SERVICE, sub: 'admin', iat: now, nbf: now, exp: now + 300, use: 'access', access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }] };
  const publicPem = keys.verification.get(keys.signing.kid)!.export({ format: 'pem', type: 'spki' }).toString();
  const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys.signing.kid })}.${b64(claims)}`;
  const es = (header: Record<string, unknown>, body: Record<string, unknown>) => new SignJWT(body).setProtectedHeader({ alg: 'ES256', ...header }).sign(keys.signing.key);
  const cases: Record<string, string> = {
    'HS256 with the public key as secret': `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
    'a kid naming no key': await es({ kid: 'not-a-key-of-ours' }, claims),
    'no kid': await es({}, claims),
    'not valid yet (nbf in an hour)': await es({ kid: keys.signing.kid }, { ...claims, nbf: now + 3600, iat: now + 3600, exp: now + 7200 }),
  };
  for (const [what, token] of Object.entries(cases)) {
    const res = await use(token);
    assert.equal(res.statusCode, 401, what);
    assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/, what);
  }
  assert.equal((await use(await es({ kid: keys.signing.kid }, claims))).statusCode, 200, 'the same claims, signed properly, are accepted');
});

test('scopes with extra colons, commas, unicode, upper case or path tricks grant nothing; a robot gets only its own actions and never the admin API', async () => {
  const asked = [
    'repository:team/app:extra:pull',
    'repository:TEAM/app:pull',
    'repository:te\u0430m/app:pull',
    'repository:team/app/../../other/app:pull',
    'repository:team%2fapp:pull',
    'repository:team/app/:pull',
    'repository::pull',
    'repository:other/app:pull,push,,*',
    'registry:admin:*',
    'registry:catalog:*',
    'repository:team/app:pull,,push,*,delete',
  ];
  const granted = claimsOf(await tokenFor(r.app, robot, asked)).access;
  assert.deepEqual(granted, [
    { type: 'registry', name: 'catalog', actions: ['*'] },
    { type: 'repository', name: 'team/app', actions: ['pull'] },
  ]);
  // More than 32 scopes: the rest are not read.
  const many = Array.from({ length: 40 }, (_, i) => `repository:team/app${i}:pull`);
  assert.equal((claimsOf(await tokenFor(r.app, robot, many)).access as unknown[]).length, 32);
  // The admin API refuses the robot's token, and its Basic credentials.
  const token = await tokenFor(r.app, robot, ['registry:admin:*', 'repository:team/app:pull']);
  assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/projects/team/robots', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
  assert.equal((await api(r.app, 'GET', '/projects/team/robots', robot)).statusCode, 403);
});

test('a pull token for team/app opens nothing else, however the name is spelled', async () => {
  const token = await tokenFor(r.app, basic('admin', ADMIN_PASSWORD), ['repository:team/app:pull']);
  assert.equal((await use(token)).statusCode, 200);
  const elsewhere = await use(token, '/v2/other/app/tags/list');
  assert.equal(elsewhere.statusCode, 401, 'another repository: the token does not carry it');
  assert.match(String(elsewhere.headers['www-authenticate']), /scope="repository:other\/app:pull",error="insufficient_scope"/);
  for (const url of ['/v2/team/app/../../other/app/tags/list', '/v2/team%2fapp/tags/list', '/v2/TEAM/app/tags/list', '/v2/team/app//tags/list', '/v2/team/app/tags/list/']) {
    const res = await use(token, url);
    // 401: a client (inject, curl without --path-as-is) folds `..` into other/app, which the token does not carry.
    assert.ok([400, 401, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
    assert.doesNotMatch(res.body, /"tags"/, url);
  }
  // On the wire (curl --path-as-is) the path arrives unfolded: the name grammar refuses it before any access check.
  for (const path of ['/v2/team/app/../../other/app/tags/list', '/v2/team/./app/tags/list', '/v2/team%2fapp/tags/list', '/v2/team/app%2f..%2fother/tags/list', '/v2/Team/app/tags/list']) {
    assert.deepEqual(parseV2Path(path), { kind: 'invalid', what: 'name' }, path);
  }
  const push = await r.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/', headers: { authorization: `Bearer ${token}` } });
  assert.equal(push.statusCode, 401, 'a pull token does not push, even for an administrator');
  assert.match(String(push.headers['www-authenticate']), /error="insufficient_scope"/);
});

test('a revoked robot gets no token, and the token it had stops working at once', async () => {
  const made = JSON.parse((await api(r.app, 'POST', '/projects/team/robots', ADMIN, { name: 'temp', actions: ['pull'] })).body) as { secret: string };
  const creds = basic('robot$team+temp', made.secret);
  const token = await tokenFor(r.app, creds, ['repository:team/app:pull']);
  assert.equal((await use(token)).statusCode, 200);
  assert.equal((await api(r.app, 'DELETE', '/projects/team/robots/temp', ADMIN)).statusCode, 204);
  assert.equal((await use(token)).statusCode, 401);
  assert.equal((await r.app.inject({ method: 'GET', url: `/token?service=${SERVICE}&scope=repository:team/app:pull`, headers: { authorization: creds } })).statusCode, 401);
});

test('a Notary GUN as the scope name (docker trust asks so) grants on the repository after the host, and nothing beyond the caller\'s rights', async () => {
  const granted = claimsOf(await tokenFor(r.app, robot, ['repository:registry.test:5000/team/app:pull,push', 'repository:localhost/other/app:pull', 'repository:evil.example/team/../other/app:pull', 'repository:registry.test/TEAM/app:pull'])).access;
  // The robot may pull team/app only: push is not granted, other/app is not granted, the path tricks are dropped.
  assert.deepEqual(granted, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  // The token reads the GUN's trust data (none yet: 404), where a token without the grant gets the challenge.
  const gun = '/v2/registry.test/team/app/_trust/tuf/root.json';
  assert.equal((await use(await tokenFor(r.app, robot, ['repository:registry.test/team/app:pull']), gun)).statusCode, 404);
  assert.equal((await use(await tokenFor(r.app, robot, ['repository:registry.test/other/app:pull']), gun)).statusCode, 401);
});
