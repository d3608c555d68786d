/**
 * Wrapping a raw stream in a DigestVerifier so that destroying either end
 * releases the other (pipeline), and the consumer sees the verification error.
 */
import { pipeline, type Readable } from 'node:stream';
import { DigestVerifier, verifiedDigestOf, type Digest } from '../../../core/index.js';

export function verifiedStream(raw: Readable, digest: Digest, size: number | undefined, what = `blob ${digest}`): Readable {
  if (verifiedDigestOf(raw) === digest) return raw; // already fails on a mismatch: no second hash
  const verifier = new DigestVerifier(digest, size === undefined || size < 0 ? { what } : { size, what });
  // Errors reach the consumer through the verifier; the callback only keeps pipeline from throwing.
  return pipeline(raw, verifier, () => undefined);
}
