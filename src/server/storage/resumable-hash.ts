/**
 * A SHA-256 whose running state can be saved into an upload's state object and
 * picked up by another request, on another process: what lets an S3 upload be
 * hashed while it streams in, PATCH by PATCH, and verified at the closing PUT
 * without reading a byte back from the bucket.
 *
 * Why hash-wasm: Node's `crypto.Hash` cannot export its internal state, and a
 * hand-written SHA-256 would be slower and ours to keep correct; hash-wasm's
 * `save()`/`load()` exports exactly the compression state (a few hundred
 * bytes). Only SHA-256 is kept this way (what every client sends); an upload
 * closed with another algorithm is verified by reading it back (s3.ts).
 */
import { createSHA256, type IHasher } from 'hash-wasm';

export const RESUMABLE_ALGORITHM = 'sha256';

export class ResumableHash {
  private constructor(private readonly hasher: IHasher) {}

  /** A fresh hash, or one continuing from `saved` (base64 from `save`). */
  static async open(saved?: string): Promise<ResumableHash> {
    const hasher = await createSHA256();
    hasher.init();
    if (saved !== undefined) hasher.load(Buffer.from(saved, 'base64'));
    return new ResumableHash(hasher);
  }

  update(bytes: Uint8Array): void {
    // hash-wasm copies its input into WASM memory in one piece; slices keep that copy small.
    for (let at = 0; at < bytes.length; at += SLICE) this.hasher.update(bytes.subarray(at, Math.min(at + SLICE, bytes.length)));
  }

  /** The state so far, as base64 for a JSON state object. */
  save(): string {
    return Buffer.from(this.hasher.save()).toString('base64');
  }

  /** `sha256:<hex>` of everything given so far (the state itself is then spent). */
  digest(): string {
    return `${RESUMABLE_ALGORITHM}:${this.hasher.digest('hex')}`;
  }
}

const SLICE = 1024 * 1024;
