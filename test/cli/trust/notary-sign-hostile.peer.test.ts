/**
 * `sign --notary` against what it must refuse before publishing anything: a
 * Notary server handing out a bad snapshot key for a new GUN (a key that does
 * not parse, one carrying a private part, a certificate), a repository key
 * the root has not certified for the repository, an Ed25519 root (Notary
 * roots are ECDSA or RSA certificates). A stand-in Notary server on loopback
 * records every request, so "nothing published" is a count of POSTs; the
 * image lives in `portcullis serve` (plain HTTP on loopback). Also an RSA
 * store against the real notary-server: rsa-x509 root, rsapss signatures.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateSigningKey, parseRootMetadata, publicKeyJson } from '../../../src/trust/tuf/index.js';
import { notaryCli, parseNotaryList, startNotaryPeer, uniqueGun } from '../../support/notary.js';
import { peerImages, runCommand, type PeerImages } from '../../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { skopeoCopy } from '../../support/skopeo.js';
import { cli, trustHome } from './helpers.js';

let images: PeerImages;
let registry: PortcullisRegistry;
let fake: Server;
let fakeUrl: string;
let snapshotKeyAnswer = '';
const requests: string[] = [];
const timestampKey = JSON.stringify(publicKeyJson(generateSigningKey('ed25519').public));

before(async () => {
  images = await peerImages('tiny');
  registry = await startPortcullisRegistry();
  fake = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    req.resume();
    const path = req.url ?? '';
    if (req.method === 'GET' && path.endsWith('/timestamp.key')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(timestampKey);
    if (req.method === 'GET' && path.endsWith('/snapshot.key')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(snapshotKeyAnswer);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":null}]}');
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const address = fake.address();
  fakeUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  await registry?.close();
  await new Promise((resolve) => fake?.close(resolve));
});

async function pushed(repository: string): Promise<string> {
  const ref = `${registry.host}/${repository}:v1`;
  await skopeoCopy(images.tinyOci, `docker://${ref}`);
  return ref;
}

async function tagsOf(repository: string): Promise<string[]> {
  const answer = await fetch(`${registry.url}/v2/${repository}/tags/list`);
  return ((await answer.json()) as { tags: string[] }).tags.sort();
}

const badSnapshotKeys: Array<[string, string]> = [
  ['an ed25519 key of 3 bytes', JSON.stringify({ keytype: 'ed25519', keyval: { private: null, public: 'AAAA' } })],
  ['a key with its private part', JSON.stringify({ keytype: 'ed25519', keyval: { private: 'c2VjcmV0', public: Buffer.alloc(32, 7).toString('base64') } })],
  ['an unknown key type', JSON.stringify({ keytype: 'dsa', keyval: { private: null, public: 'AAAA' } })],
  ['not JSON', '<html>snapshot</html>'],
];

for (const [index, [what, answer]] of badSnapshotKeys.entries()) {
  test(`a new GUN whose server hands out ${what} as snapshot key is not published`, async () => {
    const env = await trustHome();
    assert.equal((await cli(['key', 'generate'], env)).code, 0);
    const repository = `hostile/snapshot-key-${index}`;
    const ref = await pushed(repository);
    snapshotKeyAnswer = answer;
    requests.length = 0;
    const r = await cli(['sign', ref, '--notary', '--tls-verify=false'], { ...env, PORTCULLIS_CONTENT_TRUST_SERVER: fakeUrl });
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /snapshot key for .* is not a usable public key/);
    assert.deepEqual(requests.filter((line) => !line.startsWith('GET ')), []);
    assert.ok(requests.some((line) => line.endsWith('/snapshot.key')), requests.join('\n'));
    assert.deepEqual(await tagsOf(repository), ['v1'], 'no cosign signature pushed either');
  });
}

test('a repository key not certified for the repository is refused before anything is fetched or pushed', async () => {
  const env = await trustHome();
  assert.equal((await cli(['key', 'generate', '--repositories', 'elsewhere.example/**'], env)).code, 0);
  const ref = await pushed('hostile/uncertified');
  requests.length = 0;
  const r = await cli(['sign', ref, '--notary', '--notary-server', fakeUrl], env);
  assert.equal(r.code, 8, r.stderr);
  assert.match(r.stderr, /may not sign for .*hostile\/uncertified \(repository-not-covered\)/);
  assert.deepEqual(requests, []);
  assert.deepEqual(await tagsOf('hostile/uncertified'), ['v1']);
});

test('an Ed25519 root cannot be a Notary root: refused, nothing published', async () => {
  const env = await trustHome();
  assert.equal((await cli(['key', 'generate', '--algorithm', 'ed25519'], env)).code, 0);
  const ref = await pushed('hostile/ed25519');
  requests.length = 0;
  const r = await cli(['sign', ref, '--notary', '--notary-server', fakeUrl], env);
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /Notary root keys are ECDSA or RSA certificates/);
  assert.deepEqual(requests.filter((line) => !line.startsWith('GET ')), []);
});

test('--notary needs a tag and a store key', async () => {
  const env = await trustHome();
  const digestOnly = await cli(['sign', `${registry.host}/hostile/x@sha256:${'a'.repeat(64)}`, '--notary', '--notary-server', fakeUrl], env);
  assert.equal(digestOnly.code, 2, digestOnly.stderr);
  assert.match(digestOnly.stderr, /Notary signs tags/);
  const file = await cli(['sign', `${registry.host}/hostile/x:v1`, '--notary', '--key', './cosign.key'], env);
  assert.equal(file.code, 2, file.stderr);
  assert.match(file.stderr, /--key must name a store key/);
  const badServer = await cli(['sign', `${registry.host}/hostile/x:v1`, '--notary-server', 'ftp://127.0.0.1/'], env);
  assert.equal(badServer.code, 2, badServer.stderr);
});

test('an RSA store signs for the real notary-server (its CA from --cert-dir, refused without): rsa-x509 root, rsapss signatures, notary list reads it', async () => {
  const peer = await startNotaryPeer();
  const env = await trustHome();
  assert.equal((await cli(['key', 'generate', '--algorithm', 'rsa-3072'], env)).code, 0);
  const repository = `rsa-${uniqueGun('x').split('/')[2] ?? ''}/app`;
  const ref = await pushed(repository);
  const certs = await mkdtemp(join(tmpdir(), 'portcullis-notary-rsa-'));
  await mkdir(join(certs, 'd'));
  await copyFile(peer.ca, join(certs, 'd', 'ca.crt'));
  const untrusted = await cli(['sign', ref, '--notary'], { ...env, DOCKER_CONTENT_TRUST_SERVER: peer.url });
  assert.equal(untrusted.code, 5, untrusted.stderr); // the notary-server's CA is not trusted without --cert-dir
  assert.match(untrusted.stderr, /TLS/);
  const r = await cli(['sign', ref, '--notary', '--cert-dir', join(certs, 'd'), '--format', 'json'], { ...env, DOCKER_CONTENT_TRUST_SERVER: peer.url });
  assert.equal(r.code, 0, r.stderr);
  const digest = (JSON.parse(r.stdout) as { digest: string }).digest;
  const gun = `${registry.host}/${repository}`;
  const listed = await notaryCli({ server: peer.url, trustDir: join(certs, 'trust'), ca: peer.ca }, ['list', gun]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(parseNotaryList(listed.stdout).map((row) => [row.name, `sha256:${row.digest}`, row.role]), [['v1', digest, 'targets']]);
  const root = await runCommand('curl', ['-sf', '--cacert', peer.ca, `${peer.url}/v2/${gun}/_trust/tuf/root.json`], {});
  assert.equal(root.code, 0, root.stderr);
  const parsed = parseRootMetadata(Buffer.from(root.stdout, 'utf8'));
  const rootKey = parsed.signed.keys.get(parsed.signed.roles.get('root')?.keyids[0] ?? '');
  assert.equal(rootKey?.keytype, 'rsa-x509');
  assert.equal(rootKey?.certificate?.commonName, gun);
  assert.deepEqual(parsed.signatures.map((sig) => sig.method), ['rsapss']);
});
