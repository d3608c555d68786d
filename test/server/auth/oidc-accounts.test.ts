/**
 * The registry's side of OIDC sign-in, in-process (the browser tests,
 * oidc-*.peer.test.ts, drive the whole flow): which account an identity
 * opens (bound to issuer and subject, a rename keeps it, a local name is
 * never taken, the administrators' group given and taken but never from the
 * last administrator); the CLI secret as the only password of an OIDC
 * account, under the failed-login limits; sign-in records taken once,
 * expired, and refused past the caps (per client, in all) without evicting; the issuer URL rule; the settings'
 * combinations refused with one line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { accountFor, newCliSecret, OIDC_NO_PASSWORD } from '../../../src/server/auth/oidc-accounts.js';
import { OidcFailure, OidcRelyingParty, type OidcIdentity } from '../../../src/server/auth/oidc-client.js';
import { checkIssuer, scopesOf, type OidcSettings } from '../../../src/server/auth/oidc-settings.js';
import { LoginStates } from '../../../src/server/auth/oidc-states.js';
import { SqliteOidcStateStore } from '../../../src/server/metadata/oidc-state-sqlite.js';
import { accountsRegistry, type AccountsRegistry } from './accounts-registry.js';

const ISSUER = 'https://id.example';
const SETTINGS: OidcSettings = { issuer: ISSUER, clientId: 'portcullis', clientSecret: 's', scopes: 'openid', usernameClaim: 'preferred_username', autoOnboard: true, groupsClaim: 'groups', adminGroup: 'ops' };
const identity = (subject: string, claims: Record<string, unknown>): OidcIdentity => ({ issuer: ISSUER, subject, claims, returnPath: '/ui/' });

async function refusedWith(promise: Promise<unknown>, reason: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OidcFailure, String(error));
    assert.equal(error.reason, reason);
    return error.userMessage;
  }
  assert.fail(`expected a refusal (${reason})`);
}

describe('OIDC accounts', () => {
  let r: AccountsRegistry;
  before(async () => {
    r = await accountsRegistry({ loginLimits: { perUser: 3, perAddress: 1000 } });
  });
  after(async () => r?.close());
  const deps = () => ({ store: r.accounts.access.store, isHtpasswdUser: () => false });

  test('bound to issuer and subject: made once, a rename keeps the account, a local name or a bad one is refused', async () => {
    const first = await accountFor(deps(), SETTINGS, identity('s-1', { preferred_username: 'dana' }));
    assert.deepEqual(first, { principal: { kind: 'user', name: 'dana', admin: false, via: 'password' }, created: true });
    assert.equal((await r.accounts.access.store.getUser('dana'))?.passwordHash, OIDC_NO_PASSWORD);
    const renamed = await accountFor(deps(), SETTINGS, identity('s-1', { preferred_username: 'dana2' }));
    assert.equal(renamed.principal.name, 'dana');
    assert.equal(renamed.created, false);
    assert.equal(await r.accounts.access.store.getUser('dana2'), undefined);
    assert.match(await refusedWith(accountFor(deps(), SETTINGS, identity('s-evil', { preferred_username: 'admin' })), 'name-taken'), /"admin" belongs to another account/);
    assert.match(await refusedWith(accountFor(deps(), SETTINGS, identity('s-2', { preferred_username: 'dana' })), 'name-taken'), /"dana"/, 'another subject cannot take an OIDC name either');
    await refusedWith(accountFor({ ...deps(), isHtpasswdUser: (n) => n === 'ht' }, SETTINGS, identity('s-3', { preferred_username: 'ht' })), 'name-taken');
    await refusedWith(accountFor(deps(), SETTINGS, identity('s-4', { preferred_username: 'robot$team+ci' })), 'name-invalid');
    await refusedWith(accountFor(deps(), SETTINGS, identity('s-5', {})), 'name-invalid');
    await refusedWith(accountFor(deps(), { ...SETTINGS, autoOnboard: false }, identity('s-6', { preferred_username: 'erin' })), 'not-onboarded');
    assert.equal(await r.accounts.access.store.getUser('erin'), undefined);
  });

  test('the administrators group: given and taken at each sign-in, never from the last administrator', async () => {
    const made = await accountFor(deps(), SETTINGS, identity('s-ops', { preferred_username: 'olga', groups: ['ops'] }));
    assert.equal(made.principal.admin, true);
    const dropped = await accountFor(deps(), SETTINGS, identity('s-ops', { preferred_username: 'olga', groups: 'ops' }));
    assert.equal(dropped.principal.admin, false, 'a groups claim that is no list grants nothing');
    assert.equal(dropped.adminChanged, false);
    assert.equal((await r.accounts.access.store.getUser('olga'))?.admin, false);
    // Without the group setting, the registry's own flag stands.
    await r.accounts.access.store.setAdmin('olga', true);
    assert.equal((await accountFor(deps(), { ...SETTINGS, adminGroup: undefined }, identity('s-ops', { preferred_username: 'olga' }))).principal.admin, true);
    // The only other administrator gone: olga keeps the role though the provider drops her from the group.
    assert.equal(await r.accounts.access.store.setAdmin('admin', false), true);
    const last = await accountFor(deps(), SETTINGS, identity('s-ops', { preferred_username: 'olga', groups: [] }));
    assert.equal(last.principal.admin, true);
    await r.accounts.access.store.setAdmin('admin', true);
  });

  test('the CLI secret is the only password of an OIDC account, and a new one revokes the old; failed-login limits apply', async () => {
    const { access } = r.accounts;
    await accountFor(deps(), SETTINGS, identity('s-cli', { preferred_username: 'cli' }));
    assert.deepEqual(await access.signIn('cli', OIDC_NO_PASSWORD, '10.0.0.1'), { ok: false, reason: 'invalid', user: 'cli' }, 'the stored marker is no password');
    const first = await newCliSecret(access.store, 'cli');
    assert.ok(first);
    assert.equal((await access.signIn('cli', first, '10.0.0.1')).ok, true);
    assert.equal(await newCliSecret(access.store, 'admin'), undefined, 'a password account has no CLI secret');
    const second = await newCliSecret(access.store, 'cli');
    assert.equal((await access.signIn('cli', first, '10.0.0.1')).ok, false);
    for (let i = 0; i < 2; i++) assert.equal((await access.signIn('cli', 'guess', '10.0.0.2')).ok, false);
    const limited = await access.signIn('cli', second!, '10.0.0.3');
    assert.equal(limited.ok === false && limited.reason, 'rate-limited', 'past the per-user limit even the right secret waits');
  });
});

test('sign-in records: taken once, expired after their time, refused (not evicted) past the per-client and global caps, an IPv6 /64 one client, malformed ids ignored', async () => {
  let now = 1_000_000;
  const store = new SqliteOidcStateStore(':memory:');
  const states = new LoginStates(store, { ttlMs: 60_000, max: 4, perClient: 2, now: () => now });
  const record = { state: 's', nonce: 'n', verifier: 'v', returnPath: '/ui/' };
  const idOf = (added: { id: string } | { refused: string }): string => {
    assert.ok('id' in added, `refused: ${'refused' in added ? added.refused : ''}`);
    return added.id;
  };
  try {
    const a = idOf(await states.add(record, '10.0.0.1'));
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    const rows = store.db.prepare<[], { key: string; client: string }>('SELECT key, client FROM oidc_states').all();
    assert.deepEqual(rows.map((r) => r.client), ['10.0.0.1']);
    assert.notEqual(rows[0]!.key, a, 'the store keeps a hash of the cookie, not the cookie');
    assert.deepEqual(await states.take(a), record);
    assert.equal(await states.take(a), undefined, 'single use');
    const b = idOf(await states.add(record, '10.0.0.1'));
    now += 60_000;
    assert.equal(await states.take(b), undefined, 'expired');

    const first = idOf(await states.add(record, '2001:db8:1:2::1'));
    idOf(await states.add(record, '2001:db8:1:2:ffff::9'));
    assert.deepEqual(await states.add(record, '2001:db8:1:2:abcd::5'), { refused: 'client-full' }, 'a third from the same /64');
    assert.deepEqual(await states.take(first), record, 'the refused flood did not evict the first sign-in');
    idOf(await states.add(record, '2001:db8:1:2::1'));
    idOf(await states.add(record, '10.0.0.2'));
    idOf(await states.add(record, '10.0.0.3'));
    assert.deepEqual(await states.add(record, '10.0.0.4'), { refused: 'full' }, 'four live in all');
    now += 60_000;
    idOf(await states.add(record, '10.0.0.4'));
    assert.equal(await store.count(), 1, 'the expired ones were purged by the add');
    assert.equal(await states.take('../x'), undefined);
    assert.equal(await states.take(undefined), undefined);
  } finally {
    await store.close();
  }
});

test('the issuer is https, or http on loopback only; openid is always among the scopes', () => {
  assert.ok(checkIssuer('https://id.example/realms/x') instanceof URL);
  assert.ok(checkIssuer('http://127.0.0.1:8080') instanceof URL);
  assert.ok(checkIssuer('http://localhost:8080') instanceof URL);
  assert.ok(checkIssuer('http://[::1]:8080') instanceof URL);
  assert.match(String(checkIssuer('http://id.example')), /https URL/);
  assert.match(String(checkIssuer('http://127.0.0.1.evil.example')), /https URL/);
  assert.match(String(checkIssuer('https://u:p@id.example')), /credentials/);
  assert.match(String(checkIssuer('not a url')), /not a URL/);
  assert.equal(scopesOf('profile openid email profile'), 'openid profile email');
});

test('serve refuses OIDC settings that cannot work, with one line each', async () => {
  const io = (env: Record<string, string>) => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: { PATH: process.env.PATH ?? '', ...env } });
  const base = { addr: '127.0.0.1:0', root: '/nonexistent-portcullis-root', scan: false };
  const env = { PORTCULLIS_OIDC_ISSUER: 'https://id.example', PORTCULLIS_OIDC_CLIENT_ID: 'portcullis', PORTCULLIS_OIDC_CLIENT_SECRET: 'secret' };
  await assert.rejects(buildConfig(base, io(env)), /PORTCULLIS_OIDC_ISSUER needs auth\.accounts/);
  await assert.rejects(buildConfig({ ...base, accounts: true }, io({ ...env, PORTCULLIS_OIDC_CLIENT_ID: '' })), /oidc\.clientId/);
  await assert.rejects(buildConfig({ ...base, accounts: true }, io({ ...env, PORTCULLIS_OIDC_CLIENT_SECRET: '' })), /oidc\.clientSecret or oidc\.clientSecretFile/);
  await assert.rejects(buildConfig({ ...base, accounts: true }, io({ ...env, PORTCULLIS_OIDC_ISSUER: 'http://id.example' })), /https URL/);
  const config = await buildConfig({ ...base, accounts: true }, io(env));
  assert.deepEqual(config.accounts?.oidc, { issuer: 'https://id.example', clientId: 'portcullis', clientSecret: 'secret', scopes: 'openid profile email', usernameClaim: 'preferred_username', autoOnboard: true });
});

test('a provider that cannot be reached refuses the sign-in with one sentence, and the next sign-in asks again', async () => {
  const server = createServer((_request, response) => response.writeHead(500).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new SqliteOidcStateStore(':memory:');
  try {
    const rp = new OidcRelyingParty({ ...SETTINGS, issuer }, () => 'http://registry.test/ui/oidc/callback', new LoginStates(store));
    for (let i = 0; i < 2; i++) {
      const message = await refusedWith(rp.begin('/ui/', '127.0.0.1'), 'provider-unreachable');
      assert.equal(message, 'The identity provider cannot be reached now: try again later.');
    }
    assert.equal(await store.count(), 0, 'no sign-in record was left');
    assert.throws(() => new OidcRelyingParty({ ...SETTINGS, issuer: 'http://id.example' }, () => '', new LoginStates(store)), /oidc\.issuer: the issuer must be an https URL/);
  } finally {
    server.close();
    await store.close();
  }
});
