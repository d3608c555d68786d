/**
 * What a manifest is, from its content: every shape a pusher can give an
 * image or an accessory, stored in a real blob store, classified, with the
 * evidence named. An image stays an image whatever it declares; accessories
 * (cosign signatures, attestations, SBOMs, Helm charts) stay accessories.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sha256Digest, type Digest } from '../../src/core/digest.js';
import { classifyStoredManifest } from '../../src/server/artifact.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';
import { tarOf } from '../support/oci-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-artifact-'));
const blobs = new FilesystemBlobStore(join(dir, 'blobs'));
after(async () => {
  await blobs.close();
  rmSync(dir, { recursive: true, force: true });
});

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const IMAGE_CONFIG = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const COSIGN_CONFIG = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: ['sha256:00'] }, config: {} }));
const EMPTY_CONFIG = Buffer.from('{}');
const HELM_CONFIG = Buffer.from(JSON.stringify({ name: 'chart', version: '1.0.0', apiVersion: 'v2' }));

async function put(bytes: Buffer): Promise<{ digest: Digest; size: number }> {
  const digest = sha256Digest(bytes);
  await blobs.putBytes(digest, bytes);
  return { digest, size: bytes.length };
}

async function classify(config: { bytes: Buffer; mediaType: string }, layers: ReadonlyArray<{ bytes?: Buffer; mediaType: string; absent?: boolean }>, extra: Record<string, unknown> = {}) {
  const layerDescriptors = [];
  for (const layer of layers) {
    const bytes = layer.bytes ?? Buffer.from('x');
    layerDescriptors.push({ mediaType: layer.mediaType, ...(layer.absent ? { digest: sha256Digest(bytes), size: bytes.length, urls: ['https://example.invalid/l'] } : await put(bytes)) });
  }
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: config.mediaType, ...(await put(config.bytes)) }, layers: layerDescriptors, ...extra }));
  const { digest } = await put(manifest);
  return classifyStoredManifest({ mediaType: OCI_MANIFEST, digest }, blobs);
}

const tar = await tarOf([{ name: 'bin/sh', body: 'x' }]);
const zstdTar = execFileSync('zstd', ['-q', '-c', '-'], { input: tar });
const json = Buffer.from(JSON.stringify({ critical: { identity: {} } }));

test('images, whatever they declare', async () => {
  const cases: Array<[string, Awaited<ReturnType<typeof classify>>, RegExp]> = [
    ['plain', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: gzipSync(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]), /declared a filesystem layer/],
    [
      'artifactType and an artifact config type declared',
      await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.example.sbom.config+json' }, [{ bytes: gzipSync(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }], { artifactType: 'application/vnd.example.sbom' }),
      /declared a filesystem layer/,
    ],
    ['gzip tar under an unknown type', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: gzipSync(tar), mediaType: 'application/vnd.example.data' }]), /is a tar stream despite its media type/],
    ['zstd tar under a JSON type', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: zstdTar, mediaType: 'application/json' }]), /is a tar stream/],
    ['plain tar as a cosign payload type', await classify({ bytes: COSIGN_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: tar, mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }]), /is a tar stream/],
    ['a JSON layer beside a real one', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: json, mediaType: 'application/json' }, { bytes: tar, mediaType: 'application/x-thing' }]), /layer 1 is a tar stream/],
    ['an absent foreign layer of unknown type', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ mediaType: 'application/x-thing', absent: true }]), /not stored here/],
    ['no layers, an image config', await classify({ bytes: IMAGE_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, []), /no layers/],
    ['an oversized config counts as an image config', await classify({ bytes: Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(2 * 1024 * 1024, 0x61), Buffer.from('"}')]), mediaType: 'application/x-config' }, [{ bytes: tar, mediaType: 'application/x-thing' }]), /tar stream/],
  ];
  for (const [what, result, evidence] of cases) {
    assert.equal(result.kind, 'image', what);
    assert.match(result.evidence, evidence, what);
  }
});

test('accessories stay accessories', async () => {
  const cases: Array<[string, Awaited<ReturnType<typeof classify>>]> = [
    ['cosign signature', await classify({ bytes: COSIGN_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: json, mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }])],
    ['in-toto attestation', await classify({ bytes: COSIGN_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: json, mediaType: 'application/vnd.dsse.envelope.v1+json' }])],
    ['SBOM artifact with the empty config', await classify({ bytes: EMPTY_CONFIG, mediaType: 'application/vnd.oci.empty.v1+json' }, [{ bytes: json, mediaType: 'application/spdx+json' }], { artifactType: 'application/spdx+json' })],
    ['a gzip of JSON under an unknown type', await classify({ bytes: COSIGN_CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, [{ bytes: gzipSync(json), mediaType: 'application/x-report+gzip' }])],
    ['Helm chart (a tarball, but a chart config)', await classify({ bytes: HELM_CONFIG, mediaType: 'application/vnd.cncf.helm.config.v1+json' }, [{ bytes: gzipSync(tar), mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }])],
    ['no layers, the empty config', await classify({ bytes: EMPTY_CONFIG, mediaType: 'application/vnd.oci.empty.v1+json' }, [])],
  ];
  for (const [what, result] of cases) assert.equal(result.kind, 'accessory', `${what}: ${result.evidence}`);
});

test('a blob listed 2,000 times is read once; a different blob after them is still read (and makes it an image)', async () => {
  const reads = new Map<string, number>();
  const counting = new Proxy(blobs, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== 'read') return bound;
      return (digest: string, ...rest: unknown[]) => {
        reads.set(digest, (reads.get(digest) ?? 0) + 1);
        return bound(digest, ...rest);
      };
    },
  });
  const repeated = await put(json);
  const hidden = await put(tar);
  const layers = [...Array.from({ length: 2000 }, () => ({ mediaType: 'application/octet-stream', ...repeated })), { mediaType: 'application/octet-stream', ...hidden }];
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(IMAGE_CONFIG)) }, layers }));
  const { digest } = await put(manifest);
  const result = await classifyStoredManifest({ mediaType: OCI_MANIFEST, digest }, counting);
  assert.equal(result.kind, 'image');
  assert.match(result.evidence, /^an image config, and layer 2000 is a tar stream despite its media type application\/octet-stream$/);
  assert.equal(reads.get(repeated.digest), 1, 'the repeated blob is sniffed once, not 2,000 times');
  assert.equal(reads.get(hidden.digest), 1);
});
