/**
 * `oci:DIR[:REF]` — an OCI image layout directory, as skopeo and umoci read
 * and write it. REF is the `org.opencontainers.image.ref.name` annotation of an
 * index.json entry; without REF the layout must hold exactly one entry.
 */
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../../types.js';
import { INDEX_FILE, LAYOUT_FILE, parseLayoutWithin, type LayoutLocation } from './layout.js';
import { openOciLayoutSource } from './source.js';
import { openOciLayoutDestination } from './destination.js';

export class OciLayoutReference implements ImageReference {
  readonly transport: Transport = ociLayoutTransport;

  constructor(
    readonly within: string,
    readonly location: LayoutLocation,
  ) {}

  /** Absolute path of the layout directory. */
  get path(): string {
    return this.location.path;
  }

  /** The ref name, when the reference has one. */
  get ref(): string | undefined {
    return this.location.ref;
  }

  newSource(_context: SystemContext): Promise<ImageSource> {
    return openOciLayoutSource(this);
  }

  newDestination(_context: SystemContext): Promise<ImageDestination> {
    return openOciLayoutDestination(this);
  }
}

export const ociLayoutTransport: Transport = {
  name: 'oci',
  parseReference(within: string): OciLayoutReference {
    return new OciLayoutReference(within, parseLayoutWithin('oci', within));
  },
  plainPath: {
    description: 'an OCI layout directory (oci-layout, index.json)',
    claims: async (probe) => probe.kind === 'directory' && ((await probe.has(LAYOUT_FILE)) || (await probe.has(INDEX_FILE))),
  },
};
