/**
 * Reading a Notary server key never creates one for a caller who may not
 * push: 4,000 anonymous GETs of new GUNs' `timestamp.key`/`snapshot.key`
 * leave the key table empty (they once created 4,000 keys in 6 s), while a
 * user with push rights still gets a key on first ask — which the real
 * notary CLI needs for `init` — shown with the CLI itself, signed in through
 * NOTARY_AUTH against an htpasswd-protected registry over TLS.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import Database from 'better-sqlite3';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { makeRegistry, type TestRegistry } from '../api/helpers.js';
import { makeTls, notaryCli, randomTarget, type CliTarget } from '../../support/notary.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

function keyRows(root: string): Array<{ gun: string; role: string }> {
  const db = new Database(join(root, 'registry.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT gun, role FROM notary_keys ORDER BY gun, role').all() as Array<{ gun: string; role: string }>;
  } finally {
    db.close();
  }
}

describe('server keys are created only for callers who may push', () => {
  let r: TestRegistry;
  let notaryRoot: string;
  let closeNotary: () => Promise<void>;
  let auth: HtpasswdAuthenticator;

  before(async () => {
    notaryRoot = join(await mkdtemp(join(tmpdir(), 'notary-keys-')), 'notary');
    const notary = await openNotaryService({ root: notaryRoot });
    closeNotary = () => notary.close();
    auth = new HtpasswdAuthenticator(new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]), { anonymousPull: true });
    r = await makeRegistry({ auth, notary });
  });
  after(async () => {
    await r?.close();
    await closeNotary?.();
    await auth?.close();
  });

  test('4,000 anonymous GETs of new GUNs\' timestamp.key and snapshot.key: 404 METADATA_NOT_FOUND, and not one key stored', async () => {
    for (let i = 0; i < 4000; i++) {
      const role = i % 2 === 0 ? 'timestamp' : 'snapshot';
      const res = await r.app.inject({ method: 'GET', url: `/v2/flood/gun-${i}/_trust/tuf/${role}.key` });
      assert.equal(res.statusCode, 404, `${i}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'METADATA_NOT_FOUND');
    }
    assert.deepEqual(keyRows(notaryRoot), []);
  });

  test('a user with push rights gets a key created on first GET; anonymous readers then get that same key; an anonymous rotation is refused (401)', async () => {
    const url = '/v2/team/new/_trust/tuf/timestamp.key';
    const wrong = await r.app.inject({ method: 'GET', url, headers: basic('alice', 'nope') });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(keyRows(notaryRoot), []);
    const created = await r.app.inject({ method: 'GET', url, headers: basic('alice', 'alice-pw') });
    assert.equal(created.statusCode, 200, created.body);
    assert.deepEqual(keyRows(notaryRoot), [{ gun: 'team/new', role: 'timestamp' }]);
    const again = await r.app.inject({ method: 'GET', url, headers: basic('alice', 'alice-pw') });
    assert.equal(again.body, created.body, 'the same key, not a new one');
    const anonymous = await r.app.inject({ method: 'GET', url });
    assert.equal(anonymous.statusCode, 200);
    assert.equal(anonymous.body, created.body);
    const rotate = await r.app.inject({ method: 'POST', url });
    assert.equal(rotate.statusCode, 401);
    assert.deepEqual(keyRows(notaryRoot), [{ gun: 'team/new', role: 'timestamp' }]);
  });

  test('without --htpasswd everyone may push, so a GET creates the key (as notary-server does)', async (t) => {
    const root = join(await mkdtemp(join(tmpdir(), 'notary-keys-open-')), 'notary');
    const notary = await openNotaryService({ root });
    const open = await makeRegistry({ notary });
    t.after(async () => {
      await open.close();
      await notary.close();
    });
    assert.equal((await open.app.inject({ method: 'GET', url: '/v2/any/gun/_trust/tuf/timestamp.key' })).statusCode, 200);
    assert.deepEqual(keyRows(root), [{ gun: 'any/gun', role: 'timestamp' }]);
  });
});

describe('the notary CLI, signed in with push rights, still initialises and publishes', () => {
  let registry: PortcullisRegistry;
  let cli: CliTarget;
  let notaryRoot: string;
  let closeNotary: () => Promise<void>;
  let auth: HtpasswdAuthenticator;
  const gun = '127.0.0.1:5000/team/signed';
  const NOTARY_AUTH = Buffer.from('alice:alice-pw').toString('base64');

  before(async () => {
    const work = await mkdtemp(join(tmpdir(), 'notary-auth-'));
    const tls = await makeTls(join(work, 'tls'));
    notaryRoot = join(work, 'notary');
    const notary = await openNotaryService({ root: notaryRoot });
    closeNotary = () => notary.close();
    auth = new HtpasswdAuthenticator(new Map([['alice', bcrypt.hashSync('alice-pw', 4)]]), { anonymousPull: true });
    registry = await startPortcullisRegistry({ notary, auth, tls: { cert: tls.cert, key: tls.key } });
    cli = { server: registry.url, trustDir: join(work, 'trust'), ca: tls.ca };
  });
  after(async () => {
    await registry?.close();
    await closeNotary?.();
    await auth?.close();
  });

  test('init + addhash + publish with NOTARY_AUTH: the key is created for the signed-in publisher and the targets are stored', async () => {
    const target = randomTarget('latest');
    for (const args of [['init', gun], ['addhash', gun, target.name, String(target.size), '--sha256', target.sha256], ['publish', gun]]) {
      const run = await notaryCli(cli, args, { env: { NOTARY_AUTH } });
      assert.equal(run.code, 0, `notary ${args.join(' ')}: ${run.stderr}${run.stdout}`);
    }
    assert.deepEqual(keyRows(notaryRoot), [{ gun, role: 'timestamp' }]);
    // What was published, as stored. (`notary list` cannot be shown here: notary 0.7's read-only transport sends
    // empty credentials to a Basic challenge and stops with "no basic auth credentials", whatever NOTARY_AUTH says.)
    const db = new Database(join(notaryRoot, 'registry.sqlite'), { readonly: true });
    try {
      const roles = db.prepare('SELECT role FROM notary_files WHERE gun = ? ORDER BY role').all(gun) as Array<{ role: string }>;
      assert.deepEqual(roles.map((row) => row.role), ['root', 'snapshot', 'targets', 'timestamp']);
      const targets = db.prepare("SELECT data FROM notary_files WHERE gun = ? AND role = 'targets'").get(gun) as { data: Buffer };
      const signed = (JSON.parse(targets.data.toString('utf8')) as { signed: { targets: Record<string, { length: number; hashes: { sha256: string } }> } }).signed;
      assert.equal(signed.targets.latest?.length, target.size);
      assert.equal(Buffer.from(signed.targets.latest?.hashes.sha256 ?? '', 'base64').toString('hex'), target.sha256);
    } finally {
      db.close();
    }
  });
});
