/**
 * `docker-archive:FILE[:NAME:TAG | :@N]` — the tar `docker save` writes (and
 * `skopeo copy … docker-archive:`). NAME:TAG picks the image whose RepoTags
 * has that tag (normalised the docker way: `peers/tiny:latest` is
 * `docker.io/peers/tiny:latest`); `@N` picks the N-th image (0-based, as in
 * containers/image). Without either, the archive must hold one image.
 *
 * The reader and the writer load on first use, as the docker transport's
 * do: naming an image does not load every transport's code.
 */
import { formatImageRef, parseImageRef, type ImageRef } from '../../../core/index.js';
import { resolve } from 'node:path';
import { ImageError } from '../../errors.js';
import { MANIFEST_FILE } from './archive.js';
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../../types.js';
import type { DockerArchiveDestinationOptions } from './destination.js';

export class DockerArchiveReference implements ImageReference {
  readonly transport: Transport = dockerArchiveTransport;

  constructor(
    readonly within: string,
    /** Absolute path of the archive. */
    readonly path: string,
    /** The tagged name, when given (normalised). */
    readonly tagged?: ImageRef,
    /** The image position, when given as `@N`. */
    readonly sourceIndex?: number,
  ) {}

  /** `docker.io/peers/tiny:latest`, as RepoTags stores it. */
  get tag(): string | undefined {
    return this.tagged ? formatImageRef(this.tagged) : undefined;
  }

  async newSource(_context: SystemContext): Promise<ImageSource> {
    const { openDockerArchiveSource } = await import('./source.js');
    return openDockerArchiveSource(this);
  }

  /** `options.overwrite` replaces an existing FILE instead of failing with DESTINATION_EXISTS. */
  async newDestination(_context: SystemContext, options: DockerArchiveDestinationOptions = {}): Promise<ImageDestination> {
    const { openDockerArchiveDestination } = await import('./destination.js');
    return openDockerArchiveDestination(this, options);
  }
}

export function parseDockerArchiveWithin(within: string): DockerArchiveReference {
  const colon = within.indexOf(':');
  const rawPath = colon >= 0 ? within.slice(0, colon) : within;
  const rest = colon >= 0 ? within.slice(colon + 1) : '';
  if (rawPath === '') throw new ImageError('REFERENCE_INVALID', `invalid docker-archive reference "${within}": expected docker-archive:FILE[:NAME:TAG|:@N]`);
  const path = resolve(rawPath);
  if (rest === '') return new DockerArchiveReference(within, path);
  if (rest.startsWith('@')) {
    const text = rest.slice(1);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new ImageError('REFERENCE_INVALID', `invalid docker-archive reference "${within}": bad image index "${rest}"`);
    }
    return new DockerArchiveReference(within, path, undefined, Number(text));
  }
  let ref: ImageRef;
  try {
    ref = parseImageRef(rest);
  } catch (error) {
    throw new ImageError('REFERENCE_INVALID', `invalid docker-archive reference "${within}": ${(error as Error).message}`, { cause: error });
  }
  if (ref.digest !== undefined) {
    throw new ImageError('REFERENCE_INVALID', `invalid docker-archive reference "${within}": docker-archive does not support digest references`);
  }
  return new DockerArchiveReference(within, path, ref);
}

export const dockerArchiveTransport: Transport = {
  name: 'docker-archive',
  parseReference: parseDockerArchiveWithin,
  plainPath: {
    description: 'a docker save archive (a tar with manifest.json)',
    claims: async (probe) => probe.kind === 'tar' && (await probe.has(MANIFEST_FILE)),
  },
};
