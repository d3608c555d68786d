import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KeyError, KeyStore, signBytes, trustDirectory, verifyBytes } from '../../../src/trust/keys/index.js';
import { POLICY_CONTROLLER_COSIGN_KEY, POLICY_CONTROLLER_COSIGN_PUB, errorText, thrown } from './fixtures.js';
import { IMPORT_PASS, REPO_PASS, ROOT_PASS, SECRETS, allFiles, assertNoSecretsIn, isCode, store, tempHome } from './store-support.js';

test('home directory: options, then PORTCULLIS_HOME, then ~/.portcullis', () => {
  assert.equal(trustDirectory({ home: '/x/home' }), join('/x/home', 'trust'));
  assert.equal(trustDirectory({ env: { PORTCULLIS_HOME: '/y/home' } }), join('/y/home', 'trust'));
  assert.equal(trustDirectory({ env: {} }), join(homedir(), '.portcullis', 'trust'));
  assert.equal(new KeyStore({ env: { PORTCULLIS_HOME: '/z' } }).directory, join('/z', 'trust'));
});

test('generate: files and directories have their modes (0700 / 0600), written atomically', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    const root = await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const repo = await ks.generate({ role: 'repository', algorithm: 'ed25519', passphrase: REPO_PASS });
    const dir = join(home, 'trust');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'private'))).mode & 0o777, 0o700);
    for (const id of [root.id, repo.id]) {
      assert.equal((await stat(join(dir, 'private', `${id}.key`))).mode & 0o777, 0o600);
      const pubMode = (await stat(join(dir, 'public', `${id}.pub`))).mode & 0o777;
      assert.equal(pubMode & 0o022, 0, 'public keys are not group/world writable');
    }
    assert.equal((await stat(join(dir, 'trust.json'))).mode & 0o022, 0);
    const leftovers = (await allFiles(dir)).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(leftovers, []);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('generate all three algorithms; list, exportPublic (role, id, prefix), unlock and sign', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home, { now: () => new Date('2025-03-04T05:06:07.000Z') });
    const root = await ks.generate({ role: 'root', algorithm: 'rsa-3072', passphrase: ROOT_PASS });
    const a = await ks.generate({ role: 'repository', passphrase: REPO_PASS });
    const b = await ks.generate({ role: 'repository', algorithm: 'ed25519', passphrase: REPO_PASS });
    assert.equal(root.algorithm, 'rsa-3072');
    assert.equal(a.algorithm, 'ecdsa-p256', 'ECDSA P-256 by default');
    assert.equal(b.algorithm, 'ed25519');
    const list = await ks.list();
    assert.deepEqual(
      list.map((k) => [k.id, k.role, k.hasPrivateKey, k.revoked, k.certified, k.created, k.source]),
      [
        [root.id, 'root', true, false, false, '2025-03-04T05:06:07.000Z', 'generated'],
        ...[a, b].sort((x, y) => x.id.localeCompare(y.id)).map((k) => [k.id, 'repository', true, false, false, '2025-03-04T05:06:07.000Z', 'generated']),
      ],
    );
    const rootPem = await ks.exportPublic('root');
    assert.equal(await ks.exportPublic(root.id), rootPem);
    assert.equal(await ks.exportPublic(root.id.slice(0, 10)), rootPem);
    assert.match(rootPem, /^-----BEGIN PUBLIC KEY-----/);
    await assert.rejects(ks.exportPublic('repository'), isCode('KEY_AMBIGUOUS'));
    await assert.rejects(ks.exportPublic('abc'), isCode('KEY_NOT_FOUND'));
    await assert.rejects(ks.exportPublic('f'.repeat(64)), isCode('KEY_NOT_FOUND'));
    for (const [k, pass] of [[root, ROOT_PASS], [a, REPO_PASS], [b, REPO_PASS]] as const) {
      const unlocked = await ks.unlock(k.id, pass);
      const msg = Buffer.from(`signed by ${k.id}`);
      assert.equal(verifyBytes(await ks.exportPublic(k.id), msg, signBytes(unlocked.privateKey, msg)), true);
    }
    await assert.rejects(ks.generate({ role: 'root', passphrase: ROOT_PASS }), isCode('ROOT_EXISTS'));
    await assert.rejects(ks.generate({ role: 'repository', passphrase: '' }), isCode('PASSPHRASE_REQUIRED'));
    await assert.rejects(ks.generate({ role: 'repository', algorithm: 'rsa-2048' as never, passphrase: REPO_PASS }), isCode('KEY_UNSUPPORTED'));
    await assertNoSecretsIn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('wrong passphrase → PASSPHRASE_INVALID; tampered key file → KEY_CORRUPT; no passphrase in any message', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    const root = await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const errors: unknown[] = [];
    errors.push(await thrown(() => ks.unlock('root', REPO_PASS)));
    assert.ok(isCode('PASSPHRASE_INVALID')(errors[0]));
    const path = join(home, 'trust', 'private', `${root.id}.key`);
    const pem = await readFile(path, 'utf8');
    const body = JSON.parse(Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64').toString('utf8'));
    body.metadata.created = '1999-01-01T00:00:00.000Z';
    const lines = Buffer.from(JSON.stringify(body)).toString('base64').match(/.{1,64}/g)!;
    await rm(path);
    await writeFile(path, `-----BEGIN PORTCULLIS ENCRYPTED PRIVATE KEY-----\n${lines.join('\n')}\n-----END PORTCULLIS ENCRYPTED PRIVATE KEY-----\n`, { mode: 0o600 });
    errors.push(await thrown(() => ks.unlock('root', ROOT_PASS)));
    assert.ok(isCode('KEY_CORRUPT')(errors[1]));
    errors.push(await thrown(() => ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/*'], rootPassphrase: REPO_PASS })));
    errors.push(await thrown(() => ks.certify('root', ['x/*'], { rootPassphrase: ROOT_PASS })));
    for (const e of errors) {
      assert.ok(e instanceof KeyError);
      for (const s of SECRETS) assert.ok(!errorText(e).includes(s), `message of ${(e as KeyError).code} holds a passphrase`);
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('certification and revocation decide isAuthorized', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    const root = await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const repo = await ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/team/*'], rootPassphrase: ROOT_PASS });
    assert.deepEqual(repo.repositories, ['registry.example/team/*']);
    assert.equal(repo.certified, true);
    assert.equal(await ks.isAuthorized(repo.id, 'registry.example/team/app'), true);
    assert.equal(await ks.isAuthorized(repo.id, 'registry.example/other/x'), false);
    assert.equal((await ks.checkAuthorization(repo.id, 'registry.example/other/x')).reason, 'repository-not-covered');
    assert.equal(await ks.isAuthorized(root.id, 'registry.example/team/app'), false, 'the root does not sign images');

    const other = await ks.generate({ role: 'repository', passphrase: REPO_PASS });
    assert.equal((await ks.checkAuthorization(other.id, 'registry.example/team/app')).reason, 'not-certified');
    await assert.rejects(ks.certify(other.id, ['registry.example/team/*'], { rootPassphrase: REPO_PASS }), isCode('PASSPHRASE_INVALID'));
    await assert.rejects(ks.certify(root.id, ['registry.example/*'], { rootPassphrase: ROOT_PASS }), isCode('ROLE_INVALID'));
    await assert.rejects(ks.certify(other.id, ['bad glob'], { rootPassphrase: ROOT_PASS }), isCode('GLOB_INVALID'));
    const certified = await ks.certify(other.id, ['registry.example/other/**'], { rootPassphrase: ROOT_PASS, expires: '2100-01-01T00:00:00Z' });
    assert.equal(certified.expires, '2100-01-01T00:00:00.000Z');
    assert.equal(await ks.isAuthorized(other.id, 'registry.example/other/x/y'), true);
    assert.equal(await ks.isAuthorized(other.id, 'registry.example/other/x/y', { now: new Date('2101-01-01T00:00:00Z') }), false);

    const revoked = await ks.revoke(repo.id, { rootPassphrase: ROOT_PASS, reason: 'laptop lost' });
    assert.equal(revoked.revoked, true);
    assert.equal(await ks.isRevoked(repo.id), true);
    assert.equal(await ks.isAuthorized(repo.id, 'registry.example/team/app'), false);
    assert.equal((await ks.checkAuthorization(repo.id, 'registry.example/team/app')).reason, 'revoked');
    assert.equal(await ks.isAuthorized(other.id, 'registry.example/other/x'), true, 'revoking one key leaves the others');
    await ks.revoke(repo.id, { rootPassphrase: ROOT_PASS });
    const doc = JSON.parse(await readFile(join(home, 'trust', 'trust.json'), 'utf8'));
    assert.equal(doc.revocations.statement.serial, 2);
    assert.equal(doc.revocations.statement.revoked.length, 1, 'revoking twice lists the key once');
    await assert.rejects(ks.revoke('root', { rootPassphrase: ROOT_PASS }), isCode('ROLE_INVALID'));
    await assert.rejects(ks.certify(repo.id, ['registry.example/team/*'], { rootPassphrase: ROOT_PASS }), isCode('KEY_REVOKED'));
    assert.equal((await ks.list()).find((k) => k.id === repo.id)?.revoked, true);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('an edited trust.json confers nothing: widened globs and a trimmed revocation list fail closed', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const a = await ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/team/*'], rootPassphrase: ROOT_PASS });
    const b = await ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/b/*'], rootPassphrase: ROOT_PASS });
    await ks.revoke(b.id, { rootPassphrase: ROOT_PASS });
    const path = join(home, 'trust', 'trust.json');
    const original = await readFile(path, 'utf8');

    const widened = JSON.parse(original);
    for (const c of widened.certifications) if (c.statement.keyId === a.id) c.statement.repositories = ['**'];
    await writeFile(path, JSON.stringify(widened));
    assert.equal(await ks.isAuthorized(a.id, 'registry.example/other/x'), false);
    assert.equal(await ks.isAuthorized(a.id, 'registry.example/team/app'), false, 'a broken certification is no certification');

    const trimmed = JSON.parse(original);
    trimmed.revocations.statement.revoked = [];
    await writeFile(path, JSON.stringify(trimmed));
    assert.equal(await ks.isAuthorized(b.id, 'registry.example/b/app'), false);
    assert.equal((await ks.checkAuthorization(a.id, 'registry.example/team/app')).reason, 'revocation-list-invalid');

    await writeFile(path, '{not json');
    await assert.rejects(ks.list(), isCode('STORE_CORRUPT'));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('rotate: the new key takes over the globs; the old one is revoked, or kept with keepOld', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const old = await ks.generate({ role: 'repository', algorithm: 'ed25519', passphrase: REPO_PASS, repositories: ['registry.example/team/*'], rootPassphrase: ROOT_PASS });
    const { newKey, oldKey } = await ks.rotate(old.id, { passphrase: REPO_PASS, rootPassphrase: ROOT_PASS });
    assert.notEqual(newKey.id, old.id);
    assert.equal(newKey.algorithm, 'ed25519');
    assert.deepEqual(newKey.repositories, ['registry.example/team/*']);
    assert.equal(oldKey.revoked, true);
    assert.equal(await ks.isAuthorized(newKey.id, 'registry.example/team/app'), true);
    assert.equal(await ks.isAuthorized(old.id, 'registry.example/team/app'), false);
    await assert.rejects(ks.rotate(old.id, { passphrase: REPO_PASS, rootPassphrase: ROOT_PASS }), isCode('KEY_REVOKED'));

    const kept = await ks.rotate(newKey.id, { passphrase: REPO_PASS, rootPassphrase: ROOT_PASS, keepOld: true, algorithm: 'ecdsa-p256' });
    assert.equal(kept.oldKey.revoked, false);
    assert.equal(kept.newKey.algorithm, 'ecdsa-p256');
    assert.equal(await ks.isAuthorized(newKey.id, 'registry.example/team/app'), true);
    assert.equal(await ks.isAuthorized(kept.newKey.id, 'registry.example/team/app'), true);

    const bare = await ks.generate({ role: 'repository', passphrase: REPO_PASS });
    await assert.rejects(ks.rotate(bare.id, { passphrase: REPO_PASS, rootPassphrase: ROOT_PASS }), isCode('ARGUMENT_INVALID'));
    await assertNoSecretsIn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('import a cosign key into the store, certify it, sign, verify with the published cosign.pub', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    await assert.rejects(ks.importKey(POLICY_CONTROLLER_COSIGN_KEY, { passphrase: '' }), isCode('PASSPHRASE_REQUIRED'));
    const info = await ks.importKey(POLICY_CONTROLLER_COSIGN_KEY, {
      passphrase: '',
      newPassphrase: IMPORT_PASS,
      repositories: ['registry.example/team/*'],
      rootPassphrase: ROOT_PASS,
    });
    assert.equal(info.source, 'imported');
    assert.equal(info.role, 'repository');
    assert.equal(info.hasPrivateKey, true);
    assert.equal(await ks.exportPublic(info.id), POLICY_CONTROLLER_COSIGN_PUB);
    assert.equal(await ks.isAuthorized(info.id, 'registry.example/team/app'), true);
    const { privateKey } = await ks.unlock(info.id, IMPORT_PASS);
    const msg = Buffer.from('payload');
    assert.equal(verifyBytes(POLICY_CONTROLLER_COSIGN_PUB, msg, signBytes(privateKey, msg)), true);
    await assert.rejects(ks.unlock(info.id, ''), isCode('PASSPHRASE_REQUIRED'));
    await assert.rejects(ks.importKey(POLICY_CONTROLLER_COSIGN_KEY, { passphrase: '', newPassphrase: IMPORT_PASS }), isCode('KEY_EXISTS'));
    await assertNoSecretsIn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('public-only imports: export works, unlock says PRIVATE_KEY_MISSING, the private half can be added later', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    const info = await ks.importKey(Buffer.from(POLICY_CONTROLLER_COSIGN_PUB));
    assert.equal(info.hasPrivateKey, false);
    assert.equal(await ks.exportPublic(info.id.slice(0, 12)), POLICY_CONTROLLER_COSIGN_PUB);
    await assert.rejects(ks.unlock(info.id, IMPORT_PASS), isCode('PRIVATE_KEY_MISSING'));
    await assert.rejects(ks.importKey(POLICY_CONTROLLER_COSIGN_PUB), isCode('KEY_EXISTS'));
    const upgraded = await ks.importKey(POLICY_CONTROLLER_COSIGN_KEY, { passphrase: '', newPassphrase: IMPORT_PASS });
    assert.equal(upgraded.id, info.id);
    assert.equal(upgraded.hasPrivateKey, true);
    await ks.unlock(info.id, IMPORT_PASS);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('a private key file or directory readable by others is refused (STORE_INSECURE)', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    const root = await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const file = join(home, 'trust', 'private', `${root.id}.key`);
    await chmod(file, 0o644);
    await assert.rejects(ks.unlock('root', ROOT_PASS), isCode('STORE_INSECURE'));
    await chmod(file, 0o600);
    await chmod(join(home, 'trust', 'private'), 0o755);
    await assert.rejects(ks.unlock('root', ROOT_PASS), isCode('STORE_INSECURE'));
    await chmod(join(home, 'trust', 'private'), 0o700);
    await ks.unlock('root', ROOT_PASS);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('a whole workflow writes no passphrase to stdout or stderr', async () => {
  const home = await tempHome();
  const captured: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const tap = (original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = tap(originals.out);
  process.stderr.write = tap(originals.err);
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const repo = await ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/team/*'], rootPassphrase: ROOT_PASS });
    await ks.unlock(repo.id, ROOT_PASS).catch(() => undefined);
    await ks.rotate(repo.id, { passphrase: REPO_PASS, rootPassphrase: ROOT_PASS });
    await ks.importKey(POLICY_CONTROLLER_COSIGN_KEY, { passphrase: '', newPassphrase: IMPORT_PASS });
    await ks.exportBackup();
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    await rm(home, { recursive: true, force: true });
  }
  const text = captured.join('');
  for (const s of SECRETS) assert.ok(!text.includes(s), 'a passphrase reached stdout/stderr');
});

test('an invalid glob at generation is refused before any file is written', async () => {
  const home = await tempHome();
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const before = (await allFiles(home)).sort();
    await assert.rejects(
      ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/team/*', 'no spaces/allowed'], rootPassphrase: ROOT_PASS }),
      isCode('GLOB_INVALID'),
    );
    assert.deepEqual((await allFiles(home)).sort(), before);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
