/**
 * `portcullis serve --require-signature` (its own process, HTTPS) satisfied
 * by its OWN Notary data: the real notary CLI and `docker trust sign`
 * publish to it, and real skopeo pulls. A tag signed for the manifest it
 * names is served, by tag and by digest; an unsigned tag is refused; a tag
 * moved to another manifest after signing is refused with a message naming
 * both digests; a tag signed only by `docker trust sign` (the
 * targets/releases and targets/<signer> delegations) is served, and the
 * image page shows those roles and the signer's key; the images of a signed
 * multi-platform index are served by digest through it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { imagePath } from '../../../src/server/ui/paths.js';
import { makeTls, notaryCli, parseNotaryList, type CliTarget } from '../../support/notary.js';
import { peerImages, runCommand } from '../../support/peers.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

const ROOT_PASS = 'root-pass-123';
/** One passphrase for targets, snapshot and delegation keys: docker's "repository" passphrase covers all three. */
const REPO_PASS = 'repo-pass-123';
const NOTARY_ENV = { NOTARY_ROOT_PASSPHRASE: ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS, NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };

let work: string;
let serve: ServeProcess;
let ca: string;
let tinyOci: string;
let gun: string;
let notary: CliTarget;
let dockerEnv: NodeJS.ProcessEnv;

interface Manifest {
  readonly digest: string;
  readonly hex: string;
  readonly size: number;
}

async function ok(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<string> {
  const r = await runCommand(file, args, { env, ...(cwd ? { cwd } : {}) });
  assert.equal(r.code, 0, `${file} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

async function notaryOk(args: readonly string[]): Promise<string> {
  const r = await notaryCli(notary, args, { env: NOTARY_ENV });
  assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

/** Pushes the tiny image as `tag` (`v2s2`: converted to a Docker manifest, another digest); returns the manifest as stored. */
async function push(tag: string, format?: 'v2s2'): Promise<Manifest> {
  await ok('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...(format ? ['--format', format] : []), tinyOci, `docker://${gun}:${tag}`]);
  const r = await runCommand('curl', ['-sf', '--cacert', ca, '-H', 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json', '-I', `${serve.url}/v2/team/app/manifests/${tag}`]);
  const digest = /docker-content-digest: (sha256:[0-9a-f]{64})/i.exec(r.stdout)?.[1];
  const size = Number(/content-length: (\d+)/i.exec(r.stdout)?.[1]);
  assert.ok(digest && size > 0, `HEAD ${tag}: ${r.stdout}${r.stderr}`);
  return { digest, hex: digest.slice(7), size };
}

async function putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<void> {
  const put = await runCommand('curl', ['-sf', '--cacert', ca, '-X', 'PUT', '-H', `Content-Type: ${mediaType}`, '--data-binary', '@-', `${serve.url}/v2/team/app/manifests/${tag}`], { input: bytes.toString('utf8') });
  assert.equal(put.code, 0, put.stderr);
}

/** skopeo pulling from the registry: its exit code and what it said. */
async function pull(reference: string): Promise<{ code: number; stderr: string }> {
  const dest = join(work, `out-${createHash('sha256').update(reference).digest('hex').slice(0, 8)}`);
  const r = await runCommand('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${gun}${reference}`, `oci:${dest}:x`]);
  return { code: r.code, stderr: r.stderr };
}

before(async () => {
  tinyOci = (await peerImages('tiny')).tinyOci;
  work = await mkdtemp(join(tmpdir(), 'serve-dct-'));
  const tls = await makeTls(join(work, 'tls'));
  ca = tls.ca;
  serve = await startServeProcess(
    ['--root', join(work, 'root'), '--no-scan', '--require-signature', '--tls-cert', join(work, 'tls', 'server.crt'), '--tls-key', join(work, 'tls', 'server.key')],
    { env: { HOME: join(work, 'home') } },
  );
  gun = `${new URL(serve.url).host}/team/app`;
  const dockerConfig = join(work, 'docker');
  notary = { server: serve.url, trustDir: join(dockerConfig, 'trust'), ca };
  dockerEnv = {
    ...process.env,
    DOCKER_CONFIG: dockerConfig,
    DOCKER_CONTENT_TRUST_SERVER: serve.url,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS,
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS,
  };
});

after(async () => {
  await serve?.stop();
});

let signed: Manifest;

test('the notary CLI signs v1: served by tag and by digest; an unsigned tag of the same manifest is refused', async () => {
  signed = await push('v1');
  await push('unsigned');
  await push('moved');
  assert.match((await pull(':v1')).stderr, /denied: remote trust data does not exist/, 'nothing is served before anything is signed');
  await notaryOk(['init', gun]);
  for (const tag of ['v1', 'moved']) await notaryOk(['addhash', gun, tag, String(signed.size), '--sha256', signed.hex]);
  await notaryOk(['publish', gun]);
  assert.deepEqual(await pull(':v1'), { code: 0, stderr: '' });
  assert.deepEqual(await pull(`@${signed.digest}`), { code: 0, stderr: '' });
  const unsigned = await pull(':unsigned');
  assert.notEqual(unsigned.code, 0);
  assert.match(unsigned.stderr, new RegExp(`denied: remote trust data does not exist for ${gun}; content trust: tag unsigned is not signed in the Notary trust data for ${gun}`));
});

test('a tag moved to another manifest after signing is refused, naming the signed and the served digest', async () => {
  const moved = await push('moved', 'v2s2');
  assert.notEqual(moved.digest, signed.digest);
  const r = await pull(':moved');
  assert.notEqual(r.code, 0);
  assert.ok(
    r.stderr.includes(`content trust: tag moved is signed (targets) for ${signed.digest} (${signed.size} bytes), but the registry has ${moved.digest} (${moved.size} bytes) under it`),
    r.stderr,
  );
  const byDigest = await pull(`@${moved.digest}`);
  assert.match(byDigest.stderr, new RegExp(`no target signed in the Notary trust data for ${gun} has digest ${moved.digest}`));
});

test('a tag signed only by docker trust sign (targets/releases, targets/alice) is served, and the image page shows those signers', async () => {
  const v2 = await push('v2', 'v2s2');
  // docker trust sign needs a daemon to push a tag Notary does not know yet; for a known tag it only signs. So
  // the CLI signs v2 in targets, docker signs it as alice, then the CLI takes it out of targets: only docker's signature is left.
  await notaryOk(['addhash', gun, 'v2', String(v2.size), '--sha256', v2.hex]);
  await notaryOk(['publish', gun]);
  const keys = join(work, 'keys');
  await mkdir(keys, { recursive: true });
  await ok('docker', ['trust', 'key', 'generate', 'alice'], dockerEnv, keys);
  await ok('docker', ['trust', 'signer', 'add', '--key', join(keys, 'alice.pub'), 'alice', gun], dockerEnv);
  assert.match(await ok('docker', ['trust', 'sign', `${gun}:v2`], dockerEnv), /Successfully signed/);
  await notaryOk(['remove', gun, 'v2', '-r', 'targets']);
  await notaryOk(['publish', gun]);
  // `list -r targets` walks targets and the roles it delegates to: v2 is there, but no longer signed by targets itself.
  const v2Rows = parseNotaryList(await notaryOk(['list', gun, '-r', 'targets'])).filter((t) => t.name === 'v2');
  assert.ok(v2Rows.length > 0 && v2Rows.every((t) => t.role !== 'targets'), JSON.stringify(v2Rows));
  assert.deepEqual(parseNotaryList(await notaryOk(['list', gun, '-r', 'targets/releases'])), [{ name: 'v2', digest: v2.hex, size: v2.size, role: 'targets/releases' }]);
  assert.deepEqual(await pull(':v2'), { code: 0, stderr: '' });

  const inspect = JSON.parse(await ok('docker', ['trust', 'inspect', gun], dockerEnv)) as Array<{ Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }> }>;
  const aliceKey = inspect[0]?.Signers.find((s) => s.Name === 'alice')?.Keys[0]?.ID ?? '';
  assert.match(aliceKey, /^[0-9a-f]{64}$/);
  const page = await ok('curl', ['-sf', '--cacert', ca, `${serve.url}${imagePath('team/app', v2.digest)}`]);
  assert.match(page, /<p id="trust-summary" data-signature="trusted">Signed with Docker Content Trust/);
  for (const role of ['targets/releases', 'targets/alice']) {
    assert.match(page, new RegExp(`<tr data-role="${role}"><td><code>${role}</code></td><td><code title="${aliceKey}" data-key-id="${aliceKey}">`), role);
  }
});

test('a signed multi-platform index: its images, fetched by digest, are served through it (skopeo copy --all)', async () => {
  // Another manifest of the same blobs: the signed v1 manifest with an annotation.
  const v1 = JSON.parse(await ok('curl', ['-sf', '--cacert', ca, '-H', 'Accept: application/vnd.oci.image.manifest.v1+json', `${serve.url}/v2/team/app/manifests/v1`])) as Record<string, unknown>;
  const childBytes = Buffer.from(JSON.stringify({ ...v1, annotations: { 'org.example.variant': 'child' } }));
  await putManifest('child', childBytes, 'application/vnd.oci.image.manifest.v1+json');
  const child = { digest: `sha256:${createHash('sha256').update(childBytes).digest('hex')}`, size: childBytes.length };
  assert.match((await pull(`@${child.digest}`)).stderr, /no target signed in the Notary trust data/);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: child.size, platform: { architecture: 'amd64', os: 'linux' } }],
    }),
  );
  await putManifest('multi', index, 'application/vnd.oci.image.index.v1+json');
  const indexHex = createHash('sha256').update(index).digest('hex');
  await notaryOk(['addhash', gun, 'multi', String(index.length), '--sha256', indexHex]);
  await notaryOk(['publish', gun]);
  const dest = join(work, 'multi');
  const all = await runCommand('skopeo', ['copy', '-q', '--all', '--src-tls-verify=false', `docker://${gun}:multi`, `oci:${dest}:multi`]);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(await pull(`@${child.digest}`), { code: 0, stderr: '' });
  assert.notEqual((await pull(':child')).code, 0, 'by tag, the tag itself must be signed');
});
