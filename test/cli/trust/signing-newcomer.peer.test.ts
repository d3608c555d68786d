/**
 * Signing as a newcomer coming from cosign meets it: `sign --key cosign.key`
 * (cosign's encrypted key file, COSIGN_PASSWORD or the prompt), `key
 * generate` saying where the keys went, a CI run without a terminal told
 * which variable to set, and `verify --key other.pub` on the signer's own
 * machine showing that the store key's valid signature did not count.
 * Against the real docker-registry on loopback (plain HTTP: no flag needed).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VerifyReport } from '../../../src/engine/trust/index.js';
import { parseKeyMaterial, publicKeyPem } from '../../../src/trust/keys/index.js';
import { CLI } from '../../support/paths.js';
import { peerImages, runCommand, startRegistry, type PeerImages, type RegistryPeer } from '../../support/peers.js';
import { skopeoCopy } from '../../support/skopeo.js';
import {
  COSIGN_TEST_SIGSTORE_KEY,
  COSIGN_TEST_SIGSTORE_PASSWORD,
  POLICY_CONTROLLER_COSIGN_KEY,
  POLICY_CONTROLLER_COSIGN_PUB,
} from '../../trust/keys/fixtures.js';
import { cli, trustHome } from './helpers.js';

let images: PeerImages;
let registry: RegistryPeer;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  images = await peerImages('tiny');
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'portcullis-signing-newcomer-'));
  env = await trustHome();
  const generated = await cli(['key', 'generate'], env);
  assert.equal(generated.code, 0, generated.stderr);
  await writeFile(join(work, 'cosign.key'), POLICY_CONTROLLER_COSIGN_KEY, { mode: 0o600 });
  await writeFile(join(work, 'cosign.pub'), POLICY_CONTROLLER_COSIGN_PUB);
  await writeFile(join(work, 'hello.key'), COSIGN_TEST_SIGSTORE_KEY, { mode: 0o600 });
  const parsed = await parseKeyMaterial(COSIGN_TEST_SIGSTORE_KEY, { passphrase: COSIGN_TEST_SIGSTORE_PASSWORD });
  await writeFile(join(work, 'hello.pub'), publicKeyPem(parsed.publicKey));
});
after(async () => {
  await registry?.stop();
});

async function push(repo: string): Promise<string> {
  const ref = `${registry.host}/${repo}`;
  await skopeoCopy(images.tinyOci, `docker://${ref}`);
  return ref;
}

/** The CLI in a new session: no controlling terminal, as in CI (the prompt cannot open /dev/tty). */
function withoutTerminal(args: readonly string[], extraEnv: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  for (const name of ['PORTCULLIS_ROOT_PASSPHRASE', 'PORTCULLIS_REPOSITORY_PASSPHRASE', 'COSIGN_PASSWORD']) if (!(name in extraEnv)) delete clean[name];
  return runCommand('setsid', [process.execPath, CLI, ...args], { env: clean, cwd: work, timeoutMs: 60_000 });
}

describe('sign --key FILE', () => {
  test('a cosign key file signs (COSIGN_PASSWORD, empty allowed); the public key beside it verifies', async () => {
    const ref = await push('cosign/app:1');
    const keyFile = join(work, 'cosign.key');
    const signed = await cli(['sign', ref, '--key', keyFile], { ...env, COSIGN_PASSWORD: '' });
    assert.equal(signed.code, 0, signed.stderr);
    const digest = signed.stdout.trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(signed.stderr, new RegExp(`Signed ${ref.replace(/:1$/, '').replace(/[.]/g, '\\.')}@${digest} with key [0-9a-f]{12} from ${keyFile.replace(/[.]/g, '\\.')} \\(tag \\+ bundle layout\\)`));
    assert.ok(signed.stderr.includes(`Verify with: portcullis verify ${ref.replace(/:1$/, '')}@${digest} --key ${join(work, 'cosign.pub')}\n`), signed.stderr);
    const stranger = await trustHome();
    const verified = await cli(['verify', ref, '--key', join(work, 'cosign.pub'), '--format', 'json'], stranger);
    assert.equal(verified.code, 0, verified.stderr);
    const report = JSON.parse(verified.stdout) as VerifyReport;
    assert.deepEqual(report.signatures.map((s) => `${s.layout}:${s.status}:${String(s.counted)}`).sort(), ['bundle:verified:true', 'tag:verified:true']);
  });

  test('a wrong COSIGN_PASSWORD is a wrong passphrase (exit 4); a missing file, a public key: clear errors', async () => {
    const ref = await push('cosign/wrong:1');
    const wrong = await cli(['sign', ref, '--key', join(work, 'hello.key')], { ...env, COSIGN_PASSWORD: 'not-hello' });
    assert.equal(wrong.code, 4, wrong.stderr);
    const right = await cli(['sign', ref, '--key', join(work, 'hello.key')], { ...env, COSIGN_PASSWORD: COSIGN_TEST_SIGSTORE_PASSWORD });
    assert.equal(right.code, 0, right.stderr);
    const missing = await cli(['sign', ref, '--key', join(work, 'nope.key')], env);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, `portcullis: --key ${join(work, 'nope.key')}: no such key file, and not a key id (ids are hex: see "portcullis key list")\n`);
    const pub = await cli(['sign', ref, '--key', join(work, 'cosign.pub')], env);
    assert.equal(pub.code, 2);
    assert.match(pub.stderr, /is a public key: sign with the private key \(cosign\.key\), verify with the public one/);
    // The store key is still reachable by name.
    const byName = await cli(['sign', ref, '--key', 'repository'], env);
    assert.equal(byName.code, 0, byName.stderr);
  });

  test('attest --key takes the cosign key file too', async () => {
    const ref = await push('cosign/attest:1');
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ note: 'hello' }));
    const r = await cli(['attest', ref, '--key', join(work, 'cosign.key'), '--type', 'custom', '--predicate-type', 'https://example.com/note', '--predicate', predicate], {
      ...env,
      COSIGN_PASSWORD: '',
    });
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('passphrases in CI (no terminal)', () => {
  test('sign with a store key names PORTCULLIS_REPOSITORY_PASSPHRASE; with a cosign key, COSIGN_PASSWORD', async () => {
    const ref = await push('ci/app:1');
    const home = { PORTCULLIS_HOME: env.PORTCULLIS_HOME!, PORTCULLIS_TEST_SCRYPT_N: '16384' };
    const store = await withoutTerminal(['sign', ref], home);
    assert.equal(store.code, 4);
    assert.equal(store.stderr, 'portcullis: no terminal to ask for the passphrase of the repository key: set PORTCULLIS_REPOSITORY_PASSPHRASE or give --passphrase-file\n');
    const cosign = await withoutTerminal(['sign', ref, '--key', 'cosign.key'], home);
    assert.equal(cosign.code, 4);
    assert.equal(cosign.stderr, 'portcullis: no terminal to ask for the passphrase of the cosign key cosign.key: set COSIGN_PASSWORD or give --passphrase-file\n');
  });

  test('key generate on a new store names both variables at once', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'portcullis-ci-home-'));
    const r = await withoutTerminal(['key', 'generate'], { PORTCULLIS_HOME: fresh, PORTCULLIS_TEST_SCRYPT_N: '16384' });
    assert.equal(r.code, 4);
    assert.equal(
      r.stderr,
      'portcullis: no terminal to ask for the passphrase of the root key: set PORTCULLIS_ROOT_PASSPHRASE or give --root-passphrase-file; ' +
        'the new repository key needs PORTCULLIS_REPOSITORY_PASSPHRASE (or --passphrase-file) as well\n',
    );
  });
});

test('key generate says where the keys went and how to get the public key', async () => {
  const home = await trustHome();
  const r = await cli(['key', 'generate'], home);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const dir = join(home.PORTCULLIS_HOME!, 'trust');
  assert.ok(r.stderr.includes(`Keys are in ${dir}: private keys encrypted under private/, public keys under public/ (repository key: public/${id}.pub).\n`), r.stderr);
  assert.ok(r.stderr.includes('Public key for verifiers (same file as cosign.pub): portcullis key export > repository.pub\n'), r.stderr);
  assert.ok(existsSync(join(dir, 'public', `${id}.pub`)));
  assert.ok(existsSync(join(dir, 'private', `${id}.key`)));
});

test('verify --key other.pub on the signer\'s machine: the store key\'s valid signature is shown as not counted', async () => {
  const ref = await push('counted/app:1');
  const signed = await cli(['sign', ref], env);
  assert.equal(signed.code, 0, signed.stderr);
  const table = await cli(['verify', ref, '--key', join(work, 'cosign.pub')], env);
  assert.equal(table.code, 1);
  assert.match(table.stdout, /UNMET signature/);
  const rows = table.stdout.split('\n').filter((l) => /^(valid|verified)/.test(l));
  assert.equal(rows.length, 2, table.stdout);
  for (const row of rows) {
    assert.match(row, /^valid, not counted\s/);
    assert.match(row, /valid signature by a key not accepted here \(not a --key key\)/);
  }
  assert.doesNotMatch(table.stdout, /verified, counted/);
  const json = await cli(['verify', ref, '--key', join(work, 'cosign.pub'), '--format', 'json'], env);
  const report = JSON.parse(json.stdout) as VerifyReport;
  assert.deepEqual(report.signatures.map((s) => [s.status, s.counted]), [['verified', false], ['verified', false]]);
  // Without --key the store's default policy counts them.
  const plain = await cli(['verify', ref], env);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.split('\n').filter((l) => l.startsWith('verified, counted ')).length, 2, plain.stdout);
});
