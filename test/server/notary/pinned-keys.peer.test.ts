/**
 * `serve --require-signature` with a trust policy that pins Notary keys
 * (`notary.rootKeys`, `notary.signers`), driven by the real notary CLI and
 * pulled by real skopeo. Without pins, anyone with push rights could `notary
 * init` a GUN with their own root and sign their own image; with them: the
 * owner's image (root pinned by its canonical id, as `notary key generate`
 * prints it; tag signed in targets/releases by the pinned delegation key) is
 * served; mallory's GUN, initialised with her own root, is refused naming
 * her root key and the pinned one; a target signed by a delegation key the
 * owner added but the policy does not pin is refused naming that key.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeKey } from '../../../src/trust/tuf/index.js';
import { makeTls, notaryCli, type CliTarget } from '../../support/notary.js';
import { peerImages, runCommand } from '../../support/peers.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

let work: string;
let serve: ServeProcess;
let ca: string;
let tinyOci: string;
let host: string;
let rootId: string;
let aliceId: string;

const trustDir = (who: string) => join(work, `notary-${who}`);
const target = (who: string): CliTarget => ({ server: serve.url, trustDir: trustDir(who), ca });

async function notaryOk(who: string, args: readonly string[]): Promise<string> {
  const r = await notaryCli(target(who), args);
  assert.equal(r.code, 0, `${who}: notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

/** An ECDSA key and a self-signed certificate for it, as `notary delegation add` takes; returns the certificate's key id. */
async function delegationKey(name: string): Promise<{ key: string; cert: string; id: string }> {
  const key = join(work, `${name}.key`);
  const cert = join(work, `${name}.crt`);
  assert.equal((await runCommand('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key])).code, 0);
  assert.equal((await runCommand('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`])).code, 0);
  return { key, cert, id: makeKey('ecdsa-x509', await readFile(cert)).id };
}

/** Pushes the tiny image as `repository:tag`; the manifest's hex digest and size as stored. */
async function push(repository: string, tag: string): Promise<{ hex: string; size: number }> {
  const r = await runCommand('skopeo', ['copy', '-q', '--dest-tls-verify=false', tinyOci, `docker://${host}/${repository}:${tag}`]);
  assert.equal(r.code, 0, r.stderr);
  const head = await runCommand('curl', ['-sf', '--cacert', ca, '-H', 'Accept: application/vnd.oci.image.manifest.v1+json', '-I', `${serve.url}/v2/${repository}/manifests/${tag}`]);
  const hex = /docker-content-digest: sha256:([0-9a-f]{64})/i.exec(head.stdout)?.[1];
  const size = Number(/content-length: (\d+)/i.exec(head.stdout)?.[1]);
  assert.ok(hex && size > 0, head.stdout + head.stderr);
  return { hex, size };
}

async function pull(reference: string): Promise<{ code: number; stderr: string }> {
  const r = await runCommand('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${host}/${reference}`, `oci:${join(work, `out-${Math.random().toString(36).slice(2)}`)}:x`]);
  return { code: r.code, stderr: r.stderr };
}

let alice: { key: string; cert: string; id: string };

before(async () => {
  tinyOci = (await peerImages('tiny')).tinyOci;
  work = await mkdtemp(join(tmpdir(), 'serve-pins-'));
  const tls = await makeTls(join(work, 'tls'));
  ca = tls.ca;
  // The owner's root key exists before the GUN does (notary init uses it): its canonical id is what the operator pins.
  await mkdir(trustDir('owner'), { recursive: true });
  const generated = await notaryCli({ server: 'https://127.0.0.1:1', trustDir: trustDir('owner'), ca }, ['key', 'generate', 'ecdsa', '--role', 'root']);
  rootId = /keyID: ([0-9a-f]{64})/.exec(generated.stdout + generated.stderr)?.[1] ?? '';
  assert.match(rootId, /^[0-9a-f]{64}$/, generated.stdout + generated.stderr);
  alice = await delegationKey('alice');
  aliceId = alice.id;
  const policy = join(work, 'policy.yaml');
  await writeFile(policy, `version: 1\nrepositories:\n  - match: "**"\n    sources: [notary]\n    notary:\n      rootKeys: [${rootId}]\n      signers: [${aliceId}]\n`);
  serve = await startServeProcess(
    ['--root', join(work, 'root'), '--no-scan', '--require-signature', '--policy', policy, '--tls-cert', join(work, 'tls', 'server.crt'), '--tls-key', join(work, 'tls', 'server.key')],
    { env: { HOME: join(work, 'home') } },
  );
  host = new URL(serve.url).host;
});

after(async () => {
  await serve?.stop();
});

test('the owner\'s image, signed under the pinned root by the pinned delegation key, is served', async () => {
  const gun = `${host}/team/app`;
  const m = await push('team/app', 'v1');
  assert.match(await notaryOk('owner', ['init', gun]), new RegExp(`Root key found, using: ${rootId}`));
  await notaryOk('owner', ['delegation', 'add', gun, 'targets/releases', alice.cert, '--all-paths']);
  await notaryOk('owner', ['key', 'import', alice.key, '-r', 'targets/releases']);
  await notaryOk('owner', ['addhash', gun, 'v1', String(m.size), '--sha256', m.hex, '-r', 'targets/releases']);
  await notaryOk('owner', ['publish', gun]);
  assert.deepEqual(await pull('team/app:v1'), { code: 0, stderr: '' });
});

test('a GUN initialised by another user with their own root is refused, naming that root key and the pinned one', async () => {
  const gun = `${host}/team/evil`;
  const m = await push('team/evil', 'v1');
  await notaryOk('mallory', ['init', gun]);
  await notaryOk('mallory', ['addhash', gun, 'v1', String(m.size), '--sha256', m.hex]);
  await notaryOk('mallory', ['publish', gun]);
  // `notary key list` names keys by their canonical ids: mallory's root row.
  const malloryRoot = /^\s*root\s+([0-9a-f]{64})\s/m.exec(await notaryOk('mallory', ['key', 'list']))?.[1] ?? '';
  assert.match(malloryRoot, /^[0-9a-f]{64}$/);
  const r = await pull('team/evil:v1');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`content trust: the Notary root of ${gun} is signed by root key [0-9a-f]{64} \\(canonical ${malloryRoot}\\), not by a pinned one \\(notary\\.rootKeys: ${rootId}\\)`));
});

test('a target signed by a delegation key the policy does not pin is refused, naming that key and the pinned signer', async () => {
  const gun = `${host}/team/app`;
  const carol = await delegationKey('carol');
  const m = await push('team/app', 'carol');
  await notaryOk('owner', ['delegation', 'add', gun, 'targets/carol', carol.cert, '--all-paths']);
  await notaryOk('owner', ['key', 'import', carol.key, '-r', 'targets/carol']);
  await notaryOk('owner', ['addhash', gun, 'carol', String(m.size), '--sha256', m.hex, '-r', 'targets/carol']);
  await notaryOk('owner', ['publish', gun]);
  const r = await pull('team/app:carol');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`content trust: targets/carol of ${gun} is signed by key ${carol.id} \\(canonical [0-9a-f]{64}\\), not by a pinned signer \\(notary\\.signers: ${aliceId}\\)`));
  assert.deepEqual(await pull('team/app:v1'), { code: 0, stderr: '' }, 'the pinned signer\'s tag is still served');
});
