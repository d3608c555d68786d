/**
 * Signed advisory databases through the real docker-registry (issue #13):
 * `db push --sign` signs the artifact as an image is signed; `db pull`
 * verifies before it reads the database and refuses unsigned, untrusted and
 * tampered artifacts, leaving the database in place byte for byte;
 * `--insecure-skip-verify` pulls anyway and says so loudly.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { VULNDATA } from '../support/paths.js';
import { startRegistry, type RegistryPeer } from '../support/peers.js';
import { cli, trustHome } from './trust/helpers.js';

let dir: string;
let registry: RegistryPeer;
let env: NodeJS.ProcessEnv;
/** Alpine v3.4 advisories: what gets signed. */
let alpineDb: string;
/** Debian tracker advisories: the database already in place on the pulling side. */
let localDb: string;
const TLS = '--tls-verify=false';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-db-signed-'));
  alpineDb = join(dir, 'alpine.sqlite');
  await importPaths(alpineDb, [join(VULNDATA, 'alpine-secdb/yaml/v3.4')]);
  localDb = join(dir, 'local.sqlite');
  await importPaths(localDb, [join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json')]);
  registry = await startRegistry();
  env = await trustHome();
  const gen = await cli(['key', 'generate'], env);
  assert.equal(gen.code, 0, gen.stderr);
});
after(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh copy of the local database, and a check that it is still byte-identical. */
function target(name: string): { path: string; untouched: () => void } {
  const path = join(dir, `${name}.sqlite`);
  copyFileSync(localDb, path);
  const bytes = readFileSync(path);
  return { path, untouched: () => assert.ok(readFileSync(path).equals(bytes), `${name}: the database in place changed`) };
}

async function advisories(db: string): Promise<number> {
  const r = await cli(['db', 'status', '--db', db, '--format', 'json'], env);
  return (JSON.parse(r.stdout) as { advisories: number }).advisories;
}

test('db push --sign, db pull: verified by the trust store key, then swapped in', async () => {
  const ref = `docker://${registry.host}/portcullis/db:signed`;
  const push = await cli(['db', 'push', ref, '--db', alpineDb, '--sign', TLS, '--format', 'json'], env);
  assert.equal(push.code, 0, push.stderr);
  const pushed = JSON.parse(push.stdout) as { manifestDigest: string; signature: { digest: string; pushed: { layout: string }[] } };
  assert.equal(pushed.signature.digest, pushed.manifestDigest, 'the manifest digest is what is signed');
  assert.deepEqual(pushed.signature.pushed.map((p) => p.layout), ['tag', 'bundle']);
  // `portcullis verify` accepts it like a signed image.
  const verify = await cli(['verify', ref, TLS], env);
  assert.equal(verify.code, 0, verify.stderr);

  const t = target('verified');
  const pull = await cli(['db', 'pull', ref, '--db', t.path, TLS], env);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`^pulled ${ref}@${pushed.manifestDigest} into .*, verified \\(policy `));
  assert.equal(await advisories(t.path), await advisories(alpineDb));
});

test('db pull refuses an unsigned artifact (exit 8) and leaves the database byte-identical; --insecure-skip-verify pulls it, loudly', async () => {
  const ref = `docker://${registry.host}/portcullis/db:unsigned`;
  assert.equal((await cli(['db', 'push', ref, '--db', alpineDb, TLS], env)).code, 0);
  const t = target('unsigned');
  const pull = await cli(['db', 'pull', ref, '--db', t.path, TLS], env);
  assert.equal(pull.code, 8, pull.stderr);
  assert.match(pull.stderr, /^portcullis: remote trust data does not exist for .*portcullis\/db\n$/);
  t.untouched();

  const skip = await cli(['db', 'pull', ref, '--db', t.path, TLS, '--insecure-skip-verify'], env);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /^portcullis: WARNING: --insecure-skip-verify: the advisory database from .* is used WITHOUT verifying its signature/);
  assert.match(skip.stdout, /, NOT verified\n$/);
  assert.equal(await advisories(t.path), await advisories(alpineDb));
});

test('db pull refuses a signature by a key it does not trust (another trust store, or --key naming another key)', async () => {
  const ref = `docker://${registry.host}/portcullis/db:signed-elsewhere`;
  const other = await trustHome();
  assert.equal((await cli(['key', 'generate'], other)).code, 0);
  const push = await cli(['db', 'push', ref, '--db', alpineDb, '--sign', TLS], other);
  assert.equal(push.code, 0, push.stderr);
  const t = target('untrusted');
  const pull = await cli(['db', 'pull', ref, '--db', t.path, TLS], env);
  assert.equal(pull.code, 8, pull.stderr);
  assert.match(pull.stderr, /content trust refused|remote trust data does not exist/);
  t.untouched();
  // The signer's public key given explicitly: accepted.
  const pub = join(dir, 'other.pub');
  writeFileSync(pub, (await cli(['key', 'export'], other)).stdout);
  const byKey = await cli(['db', 'pull', ref, '--db', t.path, TLS, '--key', pub], env);
  assert.equal(byKey.code, 0, byKey.stderr);
  // And our own key's signature is not counted when --key asks for the other one.
  const ours = `docker://${registry.host}/portcullis/db:signed`;
  const wrong = await cli(['db', 'pull', ours, '--db', t.path, TLS, '--key', pub], env);
  assert.equal(wrong.code, 8, wrong.stderr);
});

test('a manifest changed after signing (another artifact pushed under the signed tag) is refused', async () => {
  const ref = `docker://${registry.host}/portcullis/db:moved`;
  assert.equal((await cli(['db', 'push', ref, '--db', alpineDb, '--sign', TLS], env)).code, 0);
  // Someone with push rights but not the key replaces the tag with another database.
  assert.equal((await cli(['db', 'push', ref, '--db', localDb, TLS], env)).code, 0);
  const t = target('moved');
  const pull = await cli(['db', 'pull', ref, '--db', t.path, TLS], env);
  assert.equal(pull.code, 8, pull.stderr);
  t.untouched();
});

test('changed layer bytes in the registry are refused while streaming (exit 6), and the database stays', async () => {
  const ref = `docker://${registry.host}/portcullis/db:tampered`;
  const push = await cli(['db', 'push', ref, '--db', alpineDb, '--sign', TLS, '--format', 'json'], env);
  assert.equal(push.code, 0, push.stderr);
  const layer = (JSON.parse(push.stdout) as { layer: { digest: string } }).layer.digest.slice('sha256:'.length);
  // The registry's own storage: the layer blob now holds other (valid gzip) bytes of the same length or not.
  const blob = join(registry.data, 'docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data');
  const original = readFileSync(blob);
  const evil = Buffer.from(original);
  const middle = Math.floor(evil.length / 2);
  evil[middle] = (evil[middle] ?? 0) ^ 0xff;
  writeFileSync(blob, evil);
  try {
    const t = target('tampered');
    // A cache of its own: the blob cache already holds the good layer from the first test (content-addressed, verified).
    const pull = await cli(['db', 'pull', ref, '--db', t.path, TLS], { ...env, PORTCULLIS_CACHE_DIR: join(dir, 'fresh-cache') });
    assert.equal(pull.code, 6, pull.stderr);
    assert.match(pull.stderr, /digest/i);
    t.untouched();
  } finally {
    writeFileSync(blob, original);
  }
});

test('db pull from an OCI layout cannot be verified: refused without --insecure-skip-verify; --sign needs a registry', async () => {
  const layout = `oci:${join(dir, 'layout')}:db`;
  assert.equal((await cli(['db', 'push', layout, '--db', alpineDb], env)).code, 0);
  const t = target('layout');
  const pull = await cli(['db', 'pull', layout, '--db', t.path], env);
  assert.equal(pull.code, 8, pull.stderr);
  assert.match(pull.stderr, /cannot verify oci:.*signatures live in a registry/);
  t.untouched();
  const sign = await cli(['db', 'push', `oci:${join(dir, 'layout2')}:db`, '--db', alpineDb, '--sign'], env);
  assert.equal(sign.code, 7, sign.stderr);
  assert.match(sign.stderr, /not a registry image/);
});

test('scan --db-repository: a first run pulls the signed database (verified first); an unsigned one is refused and no file is left', async () => {
  const rootfs = join(dir, 'empty-rootfs');
  mkdirSync(rootfs, { recursive: true });
  const signed = `docker://${registry.host}/portcullis/db:signed`;
  const db = join(dir, 'scan-pulled', 'advisories.sqlite');
  const r = await cli(['scan', '--rootfs', rootfs, '--db', db, '--db-repository', signed, TLS, '--format', 'json'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^portcullis: no advisory database at ${db}: downloading it \\(portcullis db pull ${signed}\\)`));
  assert.deepEqual((JSON.parse(r.stdout) as { database: { sources: string[] } }).database.sources, ['alpine-secdb']);

  const unsigned = `docker://${registry.host}/portcullis/db:unsigned`;
  const other = join(dir, 'scan-refused', 'advisories.sqlite');
  const refused = await cli(['scan', '--rootfs', rootfs, '--db', other, '--db-repository', unsigned, TLS], env);
  assert.equal(refused.code, 11, refused.stderr);
  assert.match(refused.stderr, /could not be downloaded: remote trust data does not exist for .*portcullis\/db\. Without a network/);
  assert.equal(existsSync(other), false);
});
