/**
 * What the directory (`oci:`) and the tar (`oci-archive:`) forms of an OCI
 * image layout share: the reference syntax `PATH[:REF]`, ref-name rules,
 * choosing the index.json entry, reading blobs by digest with verification,
 * and merging a new entry into index.json.
 * Spec: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  readAllBounded,
  digestAlgorithm,
  digestHex,
  isDigest,
  type Digest,
  CoreError,
  MAX_MANIFEST_BYTES,
  manifestKind,
  parseIndex,
  type Descriptor,
  type ImageIndex,
} from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageReference, ImageSource, ManifestBlob } from '../../types.js';
import { verifiedStream } from '../local/verify.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const LAYOUT_VERSION = '1.0.0';
export const LAYOUT_BYTES = `{"imageLayoutVersion":"${LAYOUT_VERSION}"}`;

// The annotation's grammar from the image-spec (annotations.md, ref.name).
const ALNUM = '[A-Za-z0-9]+';
const SEPARATOR = '(?:[-._:@+]|--)';
const COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REF_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

export interface LayoutLocation {
  /** The path as typed. */
  readonly rawPath: string;
  /** Absolute path. */
  readonly path: string;
  /** The ref name, when given. */
  readonly ref?: string;
}

/** Parses `PATH[:REF]` (split at the first colon, as containers/image does). */
export function parseLayoutWithin(transport: string, within: string): LayoutLocation {
  const colon = within.indexOf(':');
  const rawPath = colon >= 0 ? within.slice(0, colon) : within;
  const ref = colon >= 0 ? within.slice(colon + 1) : undefined;
  if (rawPath === '') throw new ImageError('REFERENCE_INVALID', `invalid ${transport} reference "${within}": empty path; expected ${transport}:PATH[:REF]`);
  if (ref !== undefined && ref !== '') {
    if (ref.startsWith('@')) {
      throw new ImageError(
        'REFERENCE_INVALID',
        `invalid ${transport} reference "${within}": "${ref}" is a digest; ${transport} takes a ref name (the ${REF_NAME_ANNOTATION} annotation)`,
      );
    }
    if (!REF_NAME.test(ref)) throw new ImageError('REFERENCE_INVALID', `invalid ${transport} reference "${within}": bad ref name "${ref}"`);
    return { rawPath, path: resolve(rawPath), ref };
  }
  return { rawPath, path: resolve(rawPath) };
}

/** `blobs/<alg>/<hex>`, for a digest already known to be well-formed. */
export function blobPath(digest: Digest): string {
  if (!isDigest(digest)) throw new ImageError('REFERENCE_INVALID', `invalid digest "${String(digest)}"`);
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

/** Parses index.json bytes; malformed content is MANIFEST_INVALID naming the layout. */
export function parseLayoutIndex(bytes: Buffer, where: string): ImageIndex {
  try {
    return parseIndex(bytes);
  } catch (error) {
    if (error instanceof CoreError) throw new ImageError('MANIFEST_INVALID', `${where}: index.json: ${error.message}`, { cause: error });
    throw error;
  }
}

export function checkLayoutFile(bytes: Buffer | undefined, where: string): void {
  if (bytes === undefined) throw new ImageError('ARCHIVE_INVALID', `${where} is not an OCI image layout (no oci-layout file)`);
  let version: unknown;
  try {
    version = (JSON.parse(bytes.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (error) {
    throw new ImageError('MANIFEST_INVALID', `${where}: oci-layout is not valid JSON`, { cause: error });
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new ImageError('MANIFEST_UNSUPPORTED', `${where}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
}

/** The index.json entry a reference designates. */
export function chooseIndexEntry(index: ImageIndex, ref: string | undefined, where: string): Descriptor {
  if (ref === undefined || ref === '') {
    if (index.manifests.length === 1) return index.manifests[0] as Descriptor;
    if (index.manifests.length === 0) throw new ImageError('NOT_FOUND', `${where} holds no images (index.json is empty)`);
    const names = index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
    throw new ImageError(
      'REFERENCE_AMBIGUOUS',
      `${where} holds ${index.manifests.length} images; choose one with :REF${names.length > 0 ? ` (${names.join(', ')})` : ''}`,
    );
  }
  const matches = index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref);
  if (matches.length === 0) throw new ImageError('NOT_FOUND', `${where} has no image named "${ref}"`);
  if (matches.length > 1) throw new ImageError('REFERENCE_AMBIGUOUS', `${where} has ${matches.length} entries named "${ref}"`);
  return matches[0] as Descriptor;
}

/**
 * index.json after adding `entry`: an entry with the same ref name loses it
 * (and is dropped; its blobs stay until garbage collection), an unnamed entry
 * with the same digest is replaced, everything else is kept in order.
 */
export function mergeIndex(existing: ImageIndex | undefined, entry: Descriptor, refName: string | undefined): Record<string, unknown> {
  const kept: Descriptor[] = [];
  for (const m of existing?.manifests ?? []) {
    const name = m.annotations?.[REF_NAME_ANNOTATION];
    if (refName !== undefined && name === refName) continue;
    if (name === undefined && m.digest === entry.digest) continue;
    kept.push(m);
  }
  const out: Record<string, unknown> = { schemaVersion: 2 };
  if (existing?.mediaType !== undefined) out.mediaType = existing.mediaType;
  else out.mediaType = 'application/vnd.oci.image.index.v1+json';
  out.manifests = [...kept, entry];
  if (existing?.annotations) out.annotations = existing.annotations;
  return out;
}

/** The descriptor index.json gets for a manifest written to a layout. */
export function indexEntryFor(manifest: ManifestBlob, refName: string | undefined): Descriptor {
  const entry: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
  if (refName !== undefined) entry.annotations = { [REF_NAME_ANNOTATION]: refName };
  return entry;
}

/** How a layout's files are reached: a directory on disk or entries of a tar. */
export interface LayoutReader {
  /** `oci layout /x`, `oci-archive /x.tar`: used in messages. */
  readonly what: string;
  /** A small file at the layout root, undefined when missing. */
  readFile(name: string, maxBytes: number): Promise<Buffer | undefined>;
  /** A blob's raw bytes (unverified), undefined when missing. */
  openBlob(digest: Digest): Promise<Readable | undefined>;
  close(): Promise<void>;
}

/** The ImageSource of a layout, whatever holds it. */
export class LayoutSource implements ImageSource {
  private constructor(
    readonly reference: ImageReference,
    private readonly reader: LayoutReader,
    private readonly entry: Descriptor,
  ) {}

  static async open(reference: ImageReference, reader: LayoutReader, ref: string | undefined): Promise<LayoutSource> {
    try {
      checkLayoutFile(await reader.readFile(LAYOUT_FILE, 4096), reader.what);
      const indexBytes = await reader.readFile(INDEX_FILE, MAX_MANIFEST_BYTES);
      if (indexBytes === undefined) throw new ImageError('NOT_FOUND', `${reader.what} has no index.json`);
      const index = parseLayoutIndex(indexBytes, reader.what);
      return new LayoutSource(reference, reader, chooseIndexEntry(index, ref, reader.what));
    } catch (error) {
      await reader.close();
      throw error;
    }
  }

  /** The index.json entry this source reads. */
  get descriptor(): Descriptor {
    return this.entry;
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    const descriptor = digest === undefined || digest === this.entry.digest ? this.entry : undefined;
    const size = descriptor?.size;
    const target = digest ?? this.entry.digest;
    if (size !== undefined && size > MAX_MANIFEST_BYTES) {
      throw new ImageError('MANIFEST_INVALID', `${this.reader.what}: manifest ${target} is ${size} bytes, over the limit`);
    }
    const stream = await this.open(target, size);
    const bytes = await readAllBounded(stream, MAX_MANIFEST_BYTES, `manifest ${target}`);
    let mediaType: string;
    try {
      mediaType = manifestKind(bytes, descriptor?.mediaType).mediaType;
    } catch (error) {
      if (error instanceof CoreError) throw new ImageError('MANIFEST_INVALID', `${this.reader.what}: manifest ${target}: ${error.message}`, { cause: error });
      throw error;
    }
    return { bytes, mediaType: descriptor?.mediaType ?? mediaType, digest: target };
  }

  async getBlob(descriptor: Descriptor): Promise<Readable> {
    return this.open(descriptor.digest, descriptor.size);
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  private async open(digest: Digest, size: number | undefined): Promise<Readable> {
    const raw = await this.reader.openBlob(digest);
    if (!raw) throw new ImageError('NOT_FOUND', `${this.reader.what} has no blob ${digest}`);
    return verifiedStream(raw, digest, size);
  }
}
