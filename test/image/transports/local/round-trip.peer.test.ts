import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parseImageConfig, parseManifest } from '../../../../src/core/oci.js';
import { copyImage } from '../../../../src/image/copy.js';
import { dockerArchiveTransport } from '../../../../src/image/transports/docker-archive/transport.js';
import { ociArchiveTransport } from '../../../../src/image/transports/oci-archive/transport.js';
import { ociLayoutTransport } from '../../../../src/image/transports/oci-layout/transport.js';
import type { Transport } from '../../../../src/image/types.js';
import { peerImages, type PeerImages } from '../../../support/peers.js';
import { readAll, skopeo, tempDir } from './helpers.js';

let images: PeerImages;
before(async () => {
  images = await peerImages('tiny');
});

const transports: Record<string, Transport> = { oci: ociLayoutTransport, 'oci-archive': ociArchiveTransport, 'docker-archive': dockerArchiveTransport };

function split(name: string): [Transport, string] {
  const colon = name.indexOf(':');
  return [transports[name.slice(0, colon)]!, name.slice(colon + 1)];
}

async function identity(name: string): Promise<{ manifest: string; config: string; diffIds: string[] }> {
  const [transport, within] = split(name);
  const source = await transport.parseReference(within).newSource({});
  const manifest = await source.getManifest();
  const parsed = parseManifest(manifest.bytes);
  const config = parseImageConfig(await readAll(await source.getBlob(parsed.config)));
  await source.close();
  return { manifest: manifest.digest, config: parsed.config.digest, diffIds: config.rootfs.diff_ids };
}

test('oci → oci-archive → docker-archive → oci keeps what skopeo’s own round trip keeps', async (t) => {
  const dir = await tempDir(t);
  const ours = [images.tinyOci, `oci-archive:${join(dir, 'ours.tar')}:x`, `docker-archive:${join(dir, 'ours-docker.tar')}:peers/tiny:rt`, `oci:${join(dir, 'ours-layout')}:back`];
  const theirs = [images.tinyOci, `oci-archive:${join(dir, 'theirs.tar')}:x`, `docker-archive:${join(dir, 'theirs-docker.tar')}:peers/tiny:rt`, `oci:${join(dir, 'theirs-layout')}:back`];
  for (let i = 1; i < ours.length; i++) {
    const [ft, fw] = split(ours[i - 1]!);
    const [tt, tw] = split(ours[i]!);
    const source = await ft.parseReference(fw).newSource({});
    const destination = await tt.parseReference(tw).newDestination({});
    await copyImage(source, destination);
    await destination.close();
    await source.close();
    await skopeo(['copy', theirs[i - 1]!, theirs[i]!]);
  }
  const start = await identity(images.tinyOci);
  const oursIds = await Promise.all(ours.map(identity));
  const theirsIds = await Promise.all(theirs.slice(0, 3).map(identity));
  // config digest and diff_ids survive every hop, in both round trips
  for (const id of [...oursIds, ...theirsIds]) {
    assert.equal(id.config, start.config);
    assert.deepEqual(id.diffIds, start.diffIds);
  }
  // the manifest digest where the format stores manifests as they are: oci → oci-archive
  assert.equal(oursIds[1]!.manifest, start.manifest);
  assert.equal(theirsIds[1]!.manifest, start.manifest);
  // docker-archive synthesises its manifest: ours and skopeo's archives give the same one
  assert.equal(oursIds[2]!.manifest, theirsIds[2]!.manifest);
  // skopeo's final layout (it converts to OCI and recompresses) still has the same config
  const theirLast = JSON.parse(await skopeo(['inspect', '--config', '--raw', theirs[3]!])) as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(theirLast.rootfs.diff_ids, start.diffIds);
});
