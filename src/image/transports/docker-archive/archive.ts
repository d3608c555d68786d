/**
 * The `docker save` format's manifest.json (an array, one item per image:
 * Config, RepoTags, Layers) and how an image is chosen from it.
 * Format: https://github.com/moby/moby/blob/master/image/spec/v1.2.md
 */
import { isRecord, formatImageRef, parseImageRef } from '../../../core/index.js';
import { ImageError } from '../../errors.js';

export interface ArchiveImage {
  readonly config: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly string[];
}

export const MANIFEST_FILE = 'manifest.json';
export const REPOSITORIES_FILE = 'repositories';
/** manifest.json of a multi-image archive can list many images; still, a cap. */
export const MAX_ARCHIVE_MANIFEST_BYTES = 16 * 1024 * 1024;

export function parseArchiveManifest(bytes: Buffer, what: string): ArchiveImage[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(json)) throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json is not an array`);
  return json.map((item, i) => {
    if (!isRecord(item)) throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json item ${i} is not an object`);
    const { Config, RepoTags, Layers } = item;
    if (typeof Config !== 'string' || Config === '') throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json item ${i} has no Config`);
    if (!Array.isArray(Layers) || !Layers.every((l): l is string => typeof l === 'string')) {
      throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json item ${i} has no Layers list`);
    }
    if (RepoTags !== undefined && RepoTags !== null && (!Array.isArray(RepoTags) || !RepoTags.every((t) => typeof t === 'string'))) {
      throw new ImageError('MANIFEST_INVALID', `${what}: manifest.json item ${i} has bad RepoTags`);
    }
    return { config: Config, repoTags: (RepoTags ?? []) as string[], layers: Layers };
  });
}

/** A RepoTags entry in its fully qualified form, or undefined when it is not a valid name:tag. */
export function normaliseRepoTag(tag: string): string | undefined {
  try {
    const ref = parseImageRef(tag);
    return ref.digest === undefined ? formatImageRef(ref) : undefined;
  } catch {
    return undefined;
  }
}

export function chooseArchiveImage(
  images: readonly ArchiveImage[],
  selector: { tag?: string; sourceIndex?: number; display?: string },
  what: string,
): ArchiveImage {
  if (selector.sourceIndex !== undefined) {
    const image = images[selector.sourceIndex];
    if (!image) throw new ImageError('NOT_FOUND', `${what} has no image @${selector.sourceIndex} (it holds ${images.length})`);
    return image;
  }
  if (selector.tag !== undefined) {
    const matches = images.filter((image) => image.repoTags.some((t) => normaliseRepoTag(t) === selector.tag));
    if (matches.length === 0) throw new ImageError('NOT_FOUND', `${what} has no image tagged ${selector.display ?? selector.tag}`);
    if (matches.length > 1) throw new ImageError('REFERENCE_AMBIGUOUS', `${what} has ${matches.length} images tagged ${selector.display ?? selector.tag}`);
    return matches[0] as ArchiveImage;
  }
  if (images.length === 1) return images[0] as ArchiveImage;
  if (images.length === 0) throw new ImageError('NOT_FOUND', `${what} holds no images (manifest.json is empty)`);
  const tags = images.map((image, i) => (image.repoTags.length > 0 ? image.repoTags.join(', ') : `@${i} (untagged)`));
  throw new ImageError('REFERENCE_AMBIGUOUS', `${what} holds ${images.length} images; choose one with :NAME:TAG or :@N: ${tags.join('; ')}`);
}
