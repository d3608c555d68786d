/**
 * `oci:DIR[:REF]` — an OCI image layout directory, as skopeo and umoci read
 * and write it. REF is the `org.opencontainers.image.ref.name` annotation of an
 * index.json entry; without REF the layout must hold exactly one entry.
 *
 * The reader and the writer load on first use, as the docker transport's
 * do: naming an image does not load every transport's code.
 */
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../../types.js';
import { INDEX_FILE, LAYOUT_FILE, parseLayoutWithin, type LayoutLocation } from './layout.js';

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

  async newSource(_context: SystemContext): Promise<ImageSource> {
    const { openOciLayoutSource } = await import('./source.js');
    return openOciLayoutSource(this);
  }

  async newDestination(_context: SystemContext): Promise<ImageDestination> {
    const { openOciLayoutDestination } = await import('./destination.js');
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
