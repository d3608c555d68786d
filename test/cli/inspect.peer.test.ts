/**
 * `portcullis inspect` over all five transports, against the real skopeo on
 * the same images: digest, platform, layers, created, env names and labels
 * must agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InspectReport } from '../../src/engine/inspect.js';
import { runCli, runCliProcess } from '../support/cli.js';
import { peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../support/peers.js';
import { skopeoCopy, skopeoInspect } from '../support/skopeo.js';

let images: PeerImages;
let registry: RegistryPeer;

before(async () => {
  images = await peerImages('all');
  registry = await startRegistry();
  await skopeoCopy(images.tinyOci, `docker://${registry.host}/peers/tiny:latest`);
  await skopeoCopy(images.debianOci, `docker://${registry.host}/peers/debian:bookworm`);
});

after(async () => {
  await registry?.stop();
});

function names(): Array<[string, string]> {
  return [
    ['oci', images.tinyOci],
    ['oci-archive', `oci-archive:${images.tinyOciArchive}`],
    ['docker-archive', `docker-archive:${images.tinyDockerArchive}`],
    ['docker', `docker://${registry.host}/peers/tiny:latest`],
    ['bare docker reference', `${registry.host}/peers/tiny:latest`],
    ['oci (debian)', images.debianOci],
    ['docker-archive (debian)', `docker-archive:${images.debianDockerArchive}`],
    ['docker (debian)', `docker://${registry.host}/peers/debian:bookworm`],
  ];
}

describe('inspect agrees with skopeo', () => {
  test('on every transport', async () => {
    for (const [label, name] of names()) {
      const ours = await runCli(['inspect', name, '--format', 'json', '--tls-verify=false', '--verify-layers']);
      assert.equal(ours.code, 0, `${label}: ${ours.stderr}`);
      const report = JSON.parse(ours.stdout) as InspectReport;
      const theirs = await skopeoInspect(name.includes('://') || name.includes(':/') ? name : `docker://${name}`);
      assert.equal(report.digest, theirs.Digest, `${label}: digest`);
      assert.deepEqual(
        report.layers.map((l) => l.digest),
        theirs.Layers,
        `${label}: layers`,
      );
      assert.equal(report.platform?.architecture, theirs.Architecture, `${label}: architecture`);
      assert.equal(report.platform?.os, theirs.Os, `${label}: os`);
      if (theirs.Created) assert.equal(new Date(report.created ?? 0).getTime(), new Date(theirs.Created).getTime(), `${label}: created`);
      assert.deepEqual(report.config.env, (theirs.Env ?? []).map((e) => e.split('=')[0]), `${label}: env names`);
      assert.deepEqual(report.config.labels, theirs.Labels ?? {}, `${label}: labels`);
      // --verify-layers streamed every layer: uncompressed sizes and diffIDs are known.
      assert.ok(report.layers.every((l) => typeof l.uncompressedSize === 'number' && l.diffId?.startsWith('sha256:')), label);
      assert.equal(report.size, report.layers.reduce((s, l) => s + l.size, 0));
    }
  });

  test('the table form names the layers and their history', async () => {
    const result = await runCli(['inspect', images.tinyOci]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Digest:\s+sha256:[0-9a-f]{64}$/m);
    assert.match(result.stdout, /^Platform:\s+linux\/amd64$/m);
    assert.match(result.stdout, /#\s+LAYER\s+SIZE\s+CREATED BY/);
    const verified = await runCli(['inspect', images.tinyOci, '--verify-layers']);
    assert.match(verified.stdout, /#\s+LAYER\s+SIZE\s+UNCOMPRESSED\s+CREATED BY/);
    assert.equal(result.stdout.match(/^\d+\s+sha256:/gm)?.length, 4, 'four layer rows');
    assert.doesNotMatch(result.stdout, /\u001b\[/, 'no colour when piped');
  });

  test('by default no layer is read (--no-measure, the old spelling, too)', async () => {
    for (const flags of [[], ['--no-measure']]) {
      const result = await runCli(['inspect', images.debianOci, '--format', 'json', ...flags]);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as InspectReport;
      assert.equal(report.uncompressedSize, undefined);
      assert.ok(report.layers.every((l) => l.uncompressedSize === undefined));
    }
  });

  test('the installed executable runs and exits 0', async () => {
    const result = await runCliProcess(['inspect', 'oci:examples/hello:latest', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as InspectReport;
    assert.equal(report.layers.length, 2);
    assert.equal(report.config.labels['org.opencontainers.image.title'], 'portcullis hello example');
  });
});
