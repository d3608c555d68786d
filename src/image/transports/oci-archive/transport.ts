/**
 * `oci-archive:FILE[:REF]` — a tar of an OCI image layout, as skopeo writes
 * it. Read in place (never extracted); written as a new tar next to FILE and
 * renamed over it on commit.
 *
 * The reader and the writer load on first use, as the docker transport's
 * do: naming an image does not load every transport's code.
 */
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../../types.js';
import { INDEX_FILE, LAYOUT_FILE, parseLayoutWithin, type LayoutLocation } from '../oci-layout/layout.js';

export class OciArchiveReference implements ImageReference {
  readonly transport: Transport = ociArchiveTransport;

  constructor(
    readonly within: string,
    readonly location: LayoutLocation,
  ) {}

  /** Absolute path of the archive file. */
  get path(): string {
    return this.location.path;
  }

  get ref(): string | undefined {
    return this.location.ref;
  }

  async newSource(_context: SystemContext): Promise<ImageSource> {
    const { openOciArchiveSource } = await import('./source.js');
    return openOciArchiveSource(this);
  }

  async newDestination(_context: SystemContext): Promise<ImageDestination> {
    const { openOciArchiveDestination } = await import('./destination.js');
    return openOciArchiveDestination(this);
  }
}

export const ociArchiveTransport: Transport = {
  name: 'oci-archive',
  parseReference(within: string): OciArchiveReference {
    return new OciArchiveReference(within, parseLayoutWithin('oci-archive', within));
  },
  plainPath: {
    description: 'an OCI archive (a tar with index.json, oci-layout)',
    claims: async (probe) => probe.kind === 'tar' && ((await probe.has(INDEX_FILE)) || (await probe.has(LAYOUT_FILE))),
  },
};
