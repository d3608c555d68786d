/**
 * Checks on manifest bytes a registry returned: the digest they must have,
 * the media type they really are (schema 1 refused), and their subject.
 */
import { digestOf, isDigest, verifyBytes, type Digest, SCHEMA1_MEDIA_TYPES, manifestKind, type Descriptor } from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import { RegistryError } from './errors.js';

export function checkManifestDigest(bytes: Buffer, reference: string, answered: string | undefined, what: string): Digest {
  if (isDigest(reference)) {
    verifyBytes(bytes, reference, what);
    return reference;
  }
  if (answered !== undefined && answered !== '') {
    if (!isDigest(answered)) throw new RegistryError('PROTOCOL', `${what}: invalid Docker-Content-Digest header "${answered.slice(0, 80)}"`);
    verifyBytes(bytes, answered, what);
    return answered;
  }
  return digestOf(bytes);
}

export function manifestMediaType(bytes: Buffer, contentType: string, what: string): string {
  if (SCHEMA1_MEDIA_TYPES.includes(contentType) || looksLikeSchema1(bytes)) {
    throw new ImageError(
      'MANIFEST_UNSUPPORTED',
      `${what} is a Docker schema 1 manifest, which is unsupported (deprecated since 2017); re-push the image with a current client`,
    );
  }
  try {
    return manifestKind(bytes, contentType || undefined).mediaType;
  } catch (error) {
    throw new ImageError('MANIFEST_INVALID', `${what}: ${(error as Error).message}`, { cause: error });
  }
}

function looksLikeSchema1(bytes: Buffer): boolean {
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof json === 'object' && json !== null && (json as { schemaVersion?: unknown }).schemaVersion === 1;
  } catch {
    return false;
  }
}

export function manifestSubject(bytes: Buffer): Descriptor | undefined {
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof json !== 'object' || json === null) return undefined;
    const subject = (json as { subject?: unknown }).subject;
    if (typeof subject !== 'object' || subject === null) return undefined;
    const { digest, mediaType, size } = subject as Record<string, unknown>;
    if (typeof digest !== 'string' || !isDigest(digest) || typeof mediaType !== 'string' || typeof size !== 'number') return undefined;
    return { digest, mediaType, size };
  } catch {
    return undefined;
  }
}
