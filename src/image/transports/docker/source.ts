/** ImageSource over a registry: manifests verified by digest (or against Docker-Content-Digest), blobs verified while streaming. */
import type { Readable } from 'node:stream';
import { type Digest, type Descriptor, manifestReference, type ImageRef } from '../../../core/index.js';
import type { ImageReference, ImageSource, ManifestBlob } from '../../types.js';
import type { RegistryClient } from './client.js';

export class DockerImageSource implements ImageSource {
  constructor(
    readonly reference: ImageReference,
    private readonly ref: ImageRef,
    readonly client: RegistryClient,
  ) {}

  getManifest(digest?: Digest): Promise<ManifestBlob> {
    return this.client.getManifest(this.ref.repository, digest ?? manifestReference(this.ref));
  }

  getBlob(descriptor: Descriptor): Promise<Readable> {
    return this.client.getBlob(this.ref.repository, descriptor);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
