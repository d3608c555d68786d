/**
 * An ImageSource over the registry's own storage, so the scan worker reads a
 * pushed image exactly as the CLI reads any other transport (same resolver,
 * same layer walk, same cataloguers) without a round trip through HTTP.
 * Every blob still streams through a DigestVerifier: storage is not trusted
 * more than a network peer.
 */
import type { Readable } from 'node:stream';
import { DigestVerifier, type Digest, readAllBounded, MAX_MANIFEST_BYTES, type Descriptor, verifyBytes } from '../core/index.js';
import type { ImageReference, ImageSource, ManifestBlob, Transport } from '../image/index.js';
import { ServeError } from './errors.js';
import type { MetadataStore } from './metadata/store.js';
import type { BlobStore } from './storage/blob-store.js';

export interface StoredImage {
  readonly repository: string;
  readonly digest: Digest;
}

/** Names stored images in messages (`registry-storage:repo@digest`); cannot be opened by name. */
const storageTransport: Transport = {
  name: 'registry-storage',
  parseReference(within: string): ImageReference {
    throw new ServeError('UNSUPPORTED', `registry-storage:${within} can only be opened by the registry itself`);
  },
};

export function openStoredImage(image: StoredImage, stores: { blobs: BlobStore; metadata: MetadataStore }): ImageSource {
  const reference: ImageReference = {
    transport: storageTransport,
    within: `${image.repository}@${image.digest}`,
    newSource: async () => openStoredImage(image, stores),
    newDestination: async () => {
      throw new ServeError('UNSUPPORTED', 'registry storage is written through the registry API only');
    },
  };

  async function getManifest(digest: Digest = image.digest): Promise<ManifestBlob> {
    const record = await stores.metadata.getManifest(image.repository, digest);
    if (!record) throw new ServeError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${image.repository}`);
    const bytes = await readAllBounded(await stores.blobs.read(digest), MAX_MANIFEST_BYTES, `manifest ${digest}`);
    verifyBytes(bytes, digest, `manifest ${digest}`);
    return { bytes, mediaType: record.mediaType, digest };
  }

  async function getBlob(descriptor: Descriptor): Promise<Readable> {
    if (!(await stores.metadata.isBlobLinked(image.repository, descriptor.digest))) {
      throw new ServeError('BLOB_UNKNOWN', `blob ${descriptor.digest} is not in ${image.repository}`);
    }
    const raw = await stores.blobs.read(descriptor.digest);
    const verifier = new DigestVerifier(descriptor.digest, { size: descriptor.size, what: `blob ${descriptor.digest}` });
    raw.on('error', (error) => verifier.destroy(error));
    return raw.pipe(verifier);
  }

  return { reference, getManifest, getBlob, close: async () => {} };
}
