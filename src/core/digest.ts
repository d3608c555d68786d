/**
 * OCI content digests (`algorithm:encoded`), and a pass-through stream that
 * verifies bytes against a digest and size while they flow: a mismatch is an
 * error raised before the consumer sees the end of the stream, never a silent
 * success.
 * Spec: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CoreError } from './errors.js';

export type Digest = `${string}:${string}`;

const ALGORITHMS: Record<string, { hash: string; hexLength: number }> = {
  sha256: { hash: 'sha256', hexLength: 64 },
  sha512: { hash: 'sha512', hexLength: 128 },
};

export function isDigest(value: string): value is Digest {
  const at = value.indexOf(':');
  if (at <= 0) return false;
  const algo = ALGORITHMS[value.slice(0, at)];
  if (!algo) return false;
  const hex = value.slice(at + 1);
  return hex.length === algo.hexLength && /^[a-f0-9]+$/.test(hex);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw new CoreError('DIGEST_INVALID', `invalid digest "${truncate(value)}"`);
  return value;
}

export function digestAlgorithm(digest: Digest): string {
  return digest.slice(0, digest.indexOf(':'));
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestOf(data: Uint8Array, algorithm = 'sha256'): Digest {
  const algo = ALGORITHMS[algorithm];
  if (!algo) throw new CoreError('DIGEST_INVALID', `unsupported digest algorithm "${algorithm}"`);
  return `${algorithm}:${createHash(algo.hash).update(data).digest('hex')}` as Digest;
}

export function createDigestHash(digest: Digest): Hash {
  const algo = ALGORITHMS[digestAlgorithm(digest)];
  if (!algo) throw new CoreError('DIGEST_INVALID', `unsupported digest algorithm in "${digest}"`);
  return createHash(algo.hash);
}

/** Throws DIGEST_MISMATCH unless `data` hashes to `expected`. */
export function verifyBytes(data: Uint8Array, expected: Digest, what = 'content'): void {
  const actual = createDigestHash(expected).update(data).digest('hex');
  if (actual !== digestHex(expected)) {
    throw new CoreError(
      'DIGEST_MISMATCH',
      `${what} does not match its digest: expected ${expected}, got ${digestAlgorithm(expected)}:${actual}`,
    );
  }
}

export interface VerifyOptions {
  /** Expected byte count; -1 or undefined when unknown. */
  size?: number;
  /** Names the content in error messages, e.g. "blob sha256:…". */
  what?: string;
}

const VERIFIED_DIGEST = Symbol('portcullis.verifiedDigest');

/**
 * Marks a stream as one that fails (before its end) unless its bytes hash to
 * `digest`, so a consumer that would verify the same digest again can skip
 * the second hash. Only DigestVerifier and pass-through wrappers of one set it.
 */
export function markVerified<T extends object>(stream: T, digest: Digest): T {
  Object.defineProperty(stream, VERIFIED_DIGEST, { value: digest, enumerable: false });
  return stream;
}

/** The digest a stream is already verified against, if any (see markVerified). */
export function verifiedDigestOf(stream: object): Digest | undefined {
  return (stream as { [VERIFIED_DIGEST]?: Digest })[VERIFIED_DIGEST];
}

/**
 * A Transform that passes bytes through unchanged and fails the stream when the
 * total size or digest differs from what was expected. Size overflow fails as
 * soon as it happens, so a hostile server cannot make us read forever.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private seen = 0;

  constructor(
    private readonly expected: Digest,
    private readonly options: VerifyOptions = {},
  ) {
    super();
    this.hash = createDigestHash(expected);
    markVerified(this, expected);
  }

  get bytesSeen(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    const size = this.options.size;
    if (size !== undefined && size >= 0 && this.seen > size) {
      done(new CoreError('SIZE_MISMATCH', `${this.what()} is larger than its declared size ${size}`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const size = this.options.size;
    if (size !== undefined && size >= 0 && this.seen !== size) {
      done(new CoreError('TRUNCATED', `${this.what()} is truncated: ${this.seen} of ${size} bytes`));
      return;
    }
    const actual = this.hash.digest('hex');
    if (actual !== digestHex(this.expected)) {
      done(
        new CoreError(
          'DIGEST_MISMATCH',
          `${this.what()} does not match its digest: got ${digestAlgorithm(this.expected)}:${actual}`,
        ),
      );
      return;
    }
    done();
  }

  private what(): string {
    return this.options.what ?? this.expected;
  }
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
