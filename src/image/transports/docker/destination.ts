/**
 * ImageDestination over a registry. Blobs already present (HEAD) are not
 * sent again; instance manifests of an index go by digest, the top-level
 * manifest by tag (or by digest when the reference has only a digest).
 */
import type { Readable } from 'node:stream';
import type { Descriptor, ImageRef } from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageDestination, ImageReference, ManifestBlob, PutManifestOptions } from '../../types.js';
import type { RegistryClient } from './client.js';
import type { PutBlobOptions } from './upload.js';

export class DockerImageDestination implements ImageDestination {
  constructor(
    readonly reference: ImageReference,
    private readonly ref: ImageRef,
    readonly client: RegistryClient,
    private readonly uploadOptions: PutBlobOptions = {},
  ) {}

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    const head = await this.client.headBlob(this.ref.repository, descriptor.digest);
    return head !== undefined && (head.size < 0 || descriptor.size < 0 || head.size === descriptor.size);
  }

  // No HEAD first: callers ask hasBlob themselves (copyImage does), and the
  // registry accepts a blob it already has, so a second round trip buys nothing.
  async putBlob(descriptor: Descriptor, content: Readable): Promise<void> {
    await this.client.putBlob(this.ref.repository, descriptor, content, this.uploadOptions);
  }

  mountBlob(descriptor: Descriptor, fromRepository: string): Promise<boolean> {
    return this.client.mountBlob(this.ref.repository, descriptor.digest, fromRepository);
  }

  async putManifest(manifest: ManifestBlob, options: PutManifestOptions = {}): Promise<void> {
    const { tag, digest } = this.ref;
    if (options.instance) {
      await this.client.putManifest(this.ref.repository, manifest.digest, manifest);
      return;
    }
    if (digest !== undefined && digest !== manifest.digest) {
      throw new ImageError('DESTINATION_EXISTS', `destination ${this.reference.within} names digest ${digest}, but the manifest is ${manifest.digest}`);
    }
    await this.client.putManifest(this.ref.repository, tag ?? manifest.digest, manifest);
  }

  /**
   * Nothing to do: a registry push becomes visible the moment the manifest
   * PUT succeeds (blobs alone are unreachable), so there is no separate
   * commit step and nothing to roll back.
   */
  async commit(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close();
  }
}
