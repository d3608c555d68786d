/**
 * `portcullis copy` between all transports and a real registry: digests are
 * preserved where the format stores manifests as they are, and what we write
 * is read back by the real skopeo with the same digests skopeo's own copies
 * have.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InspectReport } from '../../src/engine/inspect.js';
import { runCli } from '../support/cli.js';
import { peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../support/peers.js';
import { skopeoInspect, skopeoRaw } from '../support/skopeo.js';

let images: PeerImages;
let registry: RegistryPeer;
let work: string;

before(async () => {
  images = await peerImages('all');
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'portcullis-copy-'));
});

after(async () => {
  await registry?.stop();
});

async function copy(src: string, dest: string, ...flags: string[]): Promise<string> {
  const result = await runCli(['copy', src, dest, '--tls-verify=false', '-q', '--format', 'json', ...flags]);
  assert.equal(result.code, 0, `copy ${src} → ${dest}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { digest: string }).digest;
}

async function inspectJson(name: string): Promise<InspectReport> {
  const result = await runCli(['inspect', name, '--format', 'json', '--tls-verify=false', '--no-measure']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as InspectReport;
}

describe('copy', () => {
  test('oci → registry → oci-archive → oci keeps the manifest digest, as skopeo sees it', async () => {
    const original = await skopeoInspect(images.tinyOci);
    const remote = `docker://${registry.host}/copy/tiny:1`;
    assert.equal(await copy(images.tinyOci, remote), original.Digest);
    assert.equal((await skopeoInspect(remote)).Digest, original.Digest);

    const archive = `oci-archive:${join(work, 'tiny-oci.tar')}:v1`;
    assert.equal(await copy(remote, archive), original.Digest);
    assert.equal((await skopeoInspect(archive)).Digest, original.Digest);

    const layout = `oci:${join(work, 'layout')}:again`;
    assert.equal(await copy(archive, layout), original.Digest);
    assert.equal((await skopeoInspect(layout)).Digest, original.Digest);
    assert.deepEqual((await skopeoInspect(layout)).Layers, original.Layers);
  });

  test('a second copy to the same registry repository moves no blob again', async () => {
    const remote = `docker://${registry.host}/copy/again:1`;
    await copy(images.tinyOci, remote);
    const result = await runCli(['copy', images.tinyOci, `docker://${registry.host}/copy/again:2`, '--tls-verify=false', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const stats = JSON.parse(result.stdout) as { blobsCopied: number; blobsSkipped: number };
    assert.equal(stats.blobsCopied, 0);
    assert.equal(stats.blobsSkipped, 5, 'config and four layers were already there');
  });

  test('blobs are mounted across repositories of the same registry', async () => {
    const from = `docker://${registry.host}/mount/src:1`;
    await copy(images.tinyOci, from);
    const result = await runCli(['copy', from, `docker://${registry.host}/mount/dst:1`, '--tls-verify=false', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const stats = JSON.parse(result.stdout) as { blobsCopied: number; blobsMounted: number };
    assert.equal(stats.blobsCopied, 0);
    assert.equal(stats.blobsMounted, 5);
  });

  test('docker-archive round trips keep the config digest and diffIDs, like skopeo', async () => {
    const ours = join(work, 'ours.tar');
    await copy(images.debianOci, `docker-archive:${ours}:peers/debian:bookworm`);
    const theirsConfig = JSON.parse(await skopeoRaw(images.debianOci, true)) as { rootfs: { diff_ids: string[] } };
    const oursConfigRaw = await skopeoRaw(`docker-archive:${ours}`, true);
    const oursConfig = JSON.parse(oursConfigRaw) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(oursConfig.rootfs.diff_ids, theirsConfig.rootfs.diff_ids);
    const originalManifest = JSON.parse(await skopeoRaw(images.debianOci)) as { config: { digest: string } };
    const archived = await inspectJson(`docker-archive:${ours}`);
    assert.equal(archived.config.digest, originalManifest.config.digest);

    // Back to OCI: the manifest becomes OCI (skopeo and umoci read only OCI types from a
    // layout), blobs stay as they are. skopeo recompresses the layers on the same copy, so
    // its manifest digest differs; the config and the diffIDs must not.
    const target = `oci:${join(work, 'from-archive')}:x`;
    await copy(`docker-archive:${ours}`, target);
    const readBack = await skopeoInspect(target);
    const backConfig = JSON.parse(await skopeoRaw(target, true)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(backConfig.rootfs.diff_ids, theirsConfig.rootfs.diff_ids);
    const backManifest = JSON.parse(await skopeoRaw(target)) as { mediaType: string; config: { digest: string }; layers: Array<{ mediaType: string; digest: string }> };
    assert.equal(backManifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(backManifest.config.digest, originalManifest.config.digest);
    assert.deepEqual(backManifest.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar']);
    assert.deepEqual(readBack.Layers, theirsConfig.rootfs.diff_ids, 'uncompressed layers keep their diffID as digest');
  });

  test('the docker-archive we write names the tag it was given', async () => {
    const file = join(work, 'tagged.tar');
    await copy(images.tinyOci, `docker-archive:${file}:example.org/team/tiny:2.0`);
    const tagged = await runCli(['inspect', `docker-archive:${file}:example.org/team/tiny:2.0`, '--no-measure']);
    assert.equal(tagged.code, 0, tagged.stderr);
    const missing = await runCli(['inspect', `docker-archive:${file}:example.org/team/tiny:9.9`, '--no-measure']);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /tiny:9\.9/);
    assert.equal(missing.stderr.trim().split('\n').length, 1, 'one line');
  });

  test('an existing docker-archive is not overwritten', async () => {
    const file = join(work, 'exists.tar');
    await copy(images.tinyOci, `docker-archive:${file}`);
    const before = await readFile(file);
    const again = await runCli(['copy', images.tinyOci, `docker-archive:${file}`, '-q']);
    assert.equal(again.code, 9, again.stderr);
    assert.deepEqual(await readFile(file), before);
  });
});
