/**
 * The Docker token flow of `serve --accounts`, in process: the challenge, GET
 * /token with and without credentials, the OAuth2 POST form (password and
 * refresh_token grants), scope intersection, and the tokens the registry
 * refuses: expired, tampered, for another audience, `alg: none`, signed with
 * another key. Plus the first administrator and the signing key on disk.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { bootstrapAdmin } from '../../../src/server/auth/accounts.js';
import { PasswordWorkerPool } from '../../../src/server/auth/password-pool.js';
import { loadTokenKeys, SIGNING_KEY_FILE } from '../../../src/server/auth/token-keys.js';
import { SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import { accountsRegistry, ADMIN_PASSWORD, api, basic, claimsOf, REALM, SERVICE, tokenFor, type AccountsRegistry } from './accounts-registry.js';

const ADMIN = basic('admin', ADMIN_PASSWORD);
const PW = 'bob-password-123';
let r: AccountsRegistry;

before(async () => {
  r = await accountsRegistry();
  for (const [name, isPublic] of [['team', false], ['pub', true]] as const) await api(r.app, 'POST', '/projects', ADMIN, { name, public: isPublic });
  await api(r.app, 'POST', '/users', ADMIN, { name: 'bob', password: PW });
  await api(r.app, 'PUT', '/projects/team/members/bob', ADMIN, { role: 'pull' });
});
after(() => r?.close());

async function sign(claims: Record<string, unknown>, options: { key?: Parameters<SignJWT['sign']>[0]; kid?: string } = {}): Promise<string> {
  const keys = await loadTokenKeys(join(r.root, 'auth'));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ use: 'access', access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }], ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? keys.signing.kid })
    .setIssuer(String(claims.iss ?? REALM))
    .setAudience(String(claims.aud ?? SERVICE))
    .setSubject(String(claims.sub ?? 'bob'))
    .setIssuedAt(Number(claims.iat ?? now))
    .setExpirationTime(Number(claims.exp ?? now + 300))
    .sign(options.key ?? keys.signing.key);
}

describe('token flow', () => {
  test('a 401 names the realm, the service and the scope the request needed', async () => {
    const res = await r.app.inject({ method: 'PUT', url: '/v2/team/app/manifests/v1', payload: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:pull,push"`);
    assert.equal(JSON.parse(res.body).errors[0].code, 'UNAUTHORIZED');
  });

  test('GET /token: anonymous gets only public pulls; credentials get the intersection of asked and held', async () => {
    const anonymous = claimsOf(await tokenFor(r.app, undefined, ['repository:pub/app:pull,push', 'repository:team/app:pull', 'registry:catalog:*']));
    assert.deepEqual(anonymous.access, [{ type: 'repository', name: 'pub/app', actions: ['pull'] }]);
    assert.equal(anonymous.sub, '');
    const bob = claimsOf(await tokenFor(r.app, basic('bob', PW), ['repository:team/app:pull,push,delete', 'repository:team/app:*', 'registry:catalog:*', 'repository:Bad Name:pull', 'nonsense']));
    assert.deepEqual(bob.access, [
      { type: 'repository', name: 'team/app', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    assert.equal(bob.sub, 'bob');
    assert.equal(bob.iss, REALM);
    assert.equal(bob.aud, SERVICE);
    assert.equal((bob.exp as number) - (bob.iat as number), 300, 'five minutes by default');
    const wrong = await r.app.inject({ method: 'GET', url: `/token?service=${SERVICE}`, headers: { authorization: basic('bob', 'nope') } });
    assert.equal(wrong.statusCode, 401);
    assert.equal((await r.app.inject({ method: 'GET', url: '/token?service=elsewhere' })).statusCode, 400);
    const full = JSON.parse((await r.app.inject({ method: 'GET', url: `/token?service=${SERVICE}&offline_token=true`, headers: { authorization: basic('bob', PW) } })).body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(full).sort(), ['access_token', 'expires_in', 'issued_at', 'refresh_token', 'token']);
    assert.equal(full.token, full.access_token);
  });

  test('POST /token (OAuth2): password and refresh_token grants; a new password revokes refresh tokens', async () => {
    const form = (fields: Record<string, string>) => r.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
    const res = await form({ grant_type: 'password', username: 'bob', password: PW, service: SERVICE, scope: 'repository:team/app:pull,push registry:catalog:*', client_id: 'containerd', access_type: 'offline' });
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as { access_token: string; refresh_token: string; scope: string; token_type: string };
    assert.equal(body.scope, 'repository:team/app:pull registry:catalog:*');
    assert.equal(body.token_type, 'Bearer');
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers: { authorization: `Bearer ${body.access_token}` } })).statusCode, 404, 'allowed (and empty)');
    const refreshed = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: SERVICE, scope: 'repository:team/app:pull' });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.deepEqual(claimsOf((JSON.parse(refreshed.body) as { access_token: string }).access_token).access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.deepEqual(JSON.parse((await form({ grant_type: 'password', username: 'bob', password: 'wrong', service: SERVICE })).body).error, 'invalid_grant');
    assert.equal((await form({ grant_type: 'client_credentials' })).statusCode, 400);
    assert.equal((await form({ grant_type: 'refresh_token', refresh_token: body.access_token })).statusCode, 400, 'an access token is not a refresh token');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await api(r.app, 'PUT', '/users/bob/password', ADMIN, { password: `${PW}-new` })).statusCode, 204);
    const stale = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    assert.equal(stale.statusCode, 400);
    assert.equal(JSON.parse(stale.body).error, 'invalid_grant');
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/', headers: { authorization: basic('bob', PW) } })).statusCode, 401, 'the old password is gone at once');
    assert.equal((await api(r.app, 'PUT', '/users/bob/password', ADMIN, { password: PW })).statusCode, 204);
  });

  test('refused tokens: expired, tampered, another audience or issuer, alg none, another key, an access claim of the wrong shape', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await sign({});
    const use = (token: string) => r.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await use(good)).statusCode, 404, 'the well-made token is accepted');
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(good), sub: 'admin' })).toString('base64url')}.${s}`;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const cases: Record<string, string> = {
      expired: await sign({ iat: now - 4000, exp: now - 3600 }),
      tampered,
      'other audience': await sign({ aud: 'elsewhere' }),
      'other issuer': await sign({ iss: 'https://evil.example/token' }),
      'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`,
      'another key': await sign({}, { key: other }),
      'another key, our kid': await sign({}, { key: other }),
      'refresh as access': await sign({ use: 'refresh' }),
      'bad access claim': await sign({ access: 'everything' }),
      'deleted user': await sign({ sub: 'ghost' }),
    };
    for (const [what, token] of Object.entries(cases)) {
      const res = await use(token);
      assert.equal(res.statusCode, 401, what);
      assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/, what);
    }
  });

  test('the signing key is made once, mode 0600, and a readable one is refused', async () => {
    const info = await stat(join(r.root, 'auth', SIGNING_KEY_FILE));
    assert.equal(info.mode & 0o777, 0o600);
    const again = await loadTokenKeys(join(r.root, 'auth'));
    assert.equal(again.signing.kid, (await loadTokenKeys(join(r.root, 'auth'))).signing.kid, 'the same key on every start');
  });

  test('the first administrator: created once, from the given password or a generated one', async () => {
    const store = new SqliteIdentityStore(':memory:');
    const pool = new PasswordWorkerPool({ size: 1 });
    try {
      const made = await bootstrapAdmin(store, pool, undefined);
      assert.ok(made && made.generated && made.password.length >= 24);
      assert.equal(await pool.verify(made.password, (await store.getUser('admin'))!.passwordHash), true);
      assert.match((await store.getUser('admin'))!.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(await bootstrapAdmin(store, pool, 'another-password'), undefined, 'an administrator exists: nothing is done');
    } finally {
      await pool.close();
      await store.close();
    }
  });
});
