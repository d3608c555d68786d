/**
 * inspect and copy against a real registry over TLS (CA from --cert-dir) and
 * with the Bearer token flow, agreeing with skopeo on the same images.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InspectReport } from '../../src/engine/inspect.js';
import { runCli } from '../support/cli.js';
import { peerImages, runCommand, startRegistry, type PeerImages, type RegistryPeer } from '../support/peers.js';
import { skopeoInspect } from '../support/skopeo.js';
import { PASSWORD, startTokenRegistry, USER, type TokenRegistry } from '../support/token-registry.js';

let images: PeerImages;
let tls: RegistryPeer;
let bearer: TokenRegistry;
let certDir: string;
let work: string;

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-access-'));
  tls = await startRegistry({ tls: true });
  certDir = join(work, 'certs');
  await mkdir(certDir);
  await copyFile(tls.ca ?? '', join(certDir, 'ca.crt'));
  bearer = await startTokenRegistry(join(work, 'bearer'));
});

after(async () => {
  await tls?.stop();
  await bearer?.stop();
});

describe('TLS', () => {
  test('copy pushes and inspect reads with the CA from --cert-dir, as skopeo does', async () => {
    const remote = `docker://${tls.host}/tls/tiny:1`;
    const pushed = await runCli(['copy', images.tinyOci, remote, '--cert-dir', certDir, '-q', '--format', 'json']);
    assert.equal(pushed.code, 0, pushed.stderr);
    const ours = await runCli(['inspect', remote, '--cert-dir', certDir, '--format', 'json', '-q']);
    assert.equal(ours.code, 0, ours.stderr);
    const report = JSON.parse(ours.stdout) as InspectReport;
    const theirs = await runCommand('skopeo', ['inspect', '--cert-dir', certDir, remote]);
    assert.equal(theirs.code, 0, theirs.stderr);
    const parsed = JSON.parse(theirs.stdout) as { Digest: string; Layers: string[] };
    assert.equal(report.digest, parsed.Digest);
    assert.deepEqual(report.layers.map((l) => l.digest), parsed.Layers);
    assert.equal(report.digest, (await skopeoInspect(images.tinyOci)).Digest, 'digest preserved by the push');
  });

  test('without the CA the certificate is refused (exit 5); --tls-verify=false skips the check', async () => {
    const remote = `docker://${tls.host}/tls/tiny:1`;
    const refused = await runCli(['inspect', remote, '--no-measure', '-q']);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /certificate|TLS/i);
    const unverified = await runCli(['inspect', remote, '--no-measure', '-q', '--tls-verify=false']);
    assert.equal(unverified.code, 0, unverified.stderr);
  });
});

describe('Bearer tokens', () => {
  test('copy pushes with credentials through the token flow; inspect reads anonymously', async () => {
    const remote = `docker://${bearer.host}/bearer/tiny:1`;
    const pushed = await runCli(['copy', images.tinyOci, remote, '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, '-q']);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.ok(bearer.tokenRequests.some((r) => r.user === USER && r.scopes.some((s) => s.includes('push'))), 'a push token was requested with the user');
    const ours = await runCli(['inspect', remote, '--tls-verify=false', '--format', 'json', '-q', '--creds', `${USER}:${PASSWORD}`]);
    assert.equal(ours.code, 0, ours.stderr);
    const report = JSON.parse(ours.stdout) as InspectReport;
    assert.equal(report.digest, (await skopeoInspect(images.tinyOci)).Digest);
    const skopeo = await runCommand('skopeo', ['inspect', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, remote]);
    assert.equal(skopeo.code, 0, skopeo.stderr);
    assert.equal((JSON.parse(skopeo.stdout) as { Digest: string }).Digest, report.digest);
  });

  test('a wrong password is refused by the token issuer (exit 4)', async () => {
    const result = await runCli(['inspect', `docker://${bearer.host}/bearer/tiny:1`, '--tls-verify=false', '--creds', `${USER}:not-alices-password-7f3a`, '--no-measure', '-q']);
    assert.equal(result.code, 4, result.stderr);
    assert.doesNotMatch(result.stderr, /not-alices-password-7f3a/);
  });
});
