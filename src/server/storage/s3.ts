/**
 * S3-compatible object storage for the registry's blobs: the BlobStore for
 * many machines. Every `portcullis serve` process pointed at one bucket sees
 * the same blobs and the same uploads, because nothing of an upload lives in
 * a process or on a local disk — a PATCH may land on any machine.
 *
 * Layout under `prefix`:
 *   blobs/<algorithm>/<hex>        a verified blob (visible only once verified)
 *   uploads/<id>/state.json        {startedAt, updatedAt, size, chunks: [{key, size}], owner?}
 *   uploads/<id>/<seq>-<token>     the bytes of one append (a large append: pieces of `chunkBytes`)
 *
 * Why this shape: S3 objects cannot be appended to, so each append is its own
 * object and the state object says which objects, in which order, make the
 * upload. The random token means two racing appends at one offset never
 * overwrite each other's bytes: whichever state write lands last names a
 * consistent set. S3 cannot hash for us, so `finishUpload` streams the chunks
 * once, in order, through the digest into a multipart upload (one part
 * buffered at a time) and completes it — makes the blob visible — only after
 * the digest matched; on a mismatch it aborts it and deletes the chunks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createDigestHash, digestAlgorithm, digestHex, isDigest, type Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { parseUploadOwner, type BlobInfo, type BlobStore, type ByteRange, type StoredBlob, type UploadOwner, type UploadState } from './blob-store.js';
import { createS3Client, describeS3Error, s3Call, s3CallOrMissing, type S3Connection } from './s3-client.js';
import { MIN_PART_BYTES, MultipartWriter } from './s3-multipart.js';

export interface S3BlobStoreConfig extends S3Connection {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `registry` (no leading or trailing slash needed). */
  readonly prefix?: string;
  /** Multipart part size when finishing an upload, ≥ 5 MiB (default 8 MiB): the most `finishUpload` buffers. */
  readonly partBytes?: number;
  /** Largest chunk object one append writes (default 8 MiB): the most `appendUpload` buffers. */
  readonly chunkBytes?: number;
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  readonly listPageSize?: number;
}

interface ChunkRef { readonly key: string; readonly size: number }
interface StoredUpload { readonly startedAt: string; readonly updatedAt: string; readonly size: number; readonly chunks: readonly ChunkRef[]; readonly owner?: UploadOwner }

const MiB = 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

export class S3BlobStore implements BlobStore {
  readonly driver = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private readonly chunkBytes: number;
  private readonly listPageSize: number;

  constructor(config: S3BlobStoreConfig) {
    this.bucket = config.bucket;
    const trimmed = (config.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
    this.partBytes = config.partBytes ?? 8 * MiB;
    this.chunkBytes = config.chunkBytes ?? 8 * MiB;
    this.listPageSize = config.listPageSize ?? 1000;
    if (this.partBytes < MIN_PART_BYTES) throw new ServeError('CONFIG_INVALID', `S3 part size must be at least ${MIN_PART_BYTES} bytes`);
    if (!(this.chunkBytes >= 1)) throw new ServeError('CONFIG_INVALID', 'S3 chunk size must be positive');
    this.client = createS3Client(config);
  }

  /** Builds the store and checks that the bucket answers with these credentials (CONFIG_INVALID otherwise). */
  static async open(config: S3BlobStoreConfig): Promise<S3BlobStore> {
    const store = new S3BlobStore(config);
    try {
      await store.client.send(new HeadBucketCommand({ Bucket: config.bucket }));
    } catch (error) {
      store.client.destroy();
      throw new ServeError('CONFIG_INVALID', `S3 bucket "${config.bucket}" is not usable: ${describeS3Error(error)}`, { cause: error });
    }
    return store;
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    const key = this.blobKey(digest);
    const head = await this.maybe('HeadObject', key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    return head === undefined ? undefined : { digest, size: head.ContentLength ?? 0 };
  }

  async read(digest: Digest, range?: ByteRange): Promise<Readable> {
    const key = this.blobKey(digest);
    if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end >= range.start)) {
      throw new ServeError('RANGE_INVALID', `invalid range ${range.start}-${range.end}`);
    }
    const out = await this.maybe('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) })),
    );
    if (out === undefined) throw new ServeError('BLOB_UNKNOWN', `blob ${digest} is not stored`, { detail: { digest } });
    const body = out.Body;
    if (!(body instanceof Readable)) throw new ServeError('INTERNAL', `S3 GetObject of ${key} returned no stream`);
    if (range) {
      // S3 clips a range that runs past the end; the contract calls that outside the blob.
      const total = Number(/\/(\d+)$/.exec(out.ContentRange ?? '')?.[1] ?? NaN);
      if (!(range.end < total)) {
        body.destroy();
        throw new ServeError('RANGE_INVALID', `range ${range.start}-${range.end} is outside blob ${digest} (${total} bytes)`);
      }
    }
    return body;
  }

  async putBytes(digest: Digest, bytes: Buffer): Promise<BlobInfo> {
    const actual = hashOf(digest, bytes);
    if (actual !== digest) throw digestInvalid(digest, actual);
    const key = this.blobKey(digest);
    await this.call('PutObject', key, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentLength: bytes.length })));
    return { digest, size: bytes.length };
  }

  async delete(digest: Digest): Promise<boolean> {
    if ((await this.stat(digest)) === undefined) return false;
    const key = this.blobKey(digest);
    await this.call('DeleteObject', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    return true;
  }

  async *list(): AsyncIterable<StoredBlob> {
    const base = `${this.prefix}blobs/`;
    for await (const object of this.objects(base)) {
      const [algorithm, hex, extra] = object.key.slice(base.length).split('/');
      const digest = `${algorithm}:${hex}`;
      if (extra === undefined && isDigest(digest)) yield { digest, size: object.size, modifiedAt: object.modifiedAt };
    }
  }

  async startUpload(owner?: UploadOwner): Promise<UploadState> {
    const id = randomUUID().replaceAll('-', '');
    const now = new Date().toISOString();
    const stored: StoredUpload = { startedAt: now, updatedAt: now, size: 0, chunks: [], ...(owner ? { owner } : {}) };
    await this.writeState(id, stored);
    return toState(id, stored);
  }

  async uploadState(id: string): Promise<UploadState | undefined> {
    const stored = await this.readState(id);
    return stored && toState(id, stored);
  }

  async appendUpload(id: string, offset: number, content: Readable, options?: { maxBytes?: number }): Promise<UploadState> {
    const stored = await this.requireState(id);
    if (offset !== stored.size) throw new ServeError('RANGE_INVALID', `upload ${id} is at offset ${stored.size}, not ${offset}`, { detail: { size: stored.size } });
    const maxBytes = options?.maxBytes ?? Number.POSITIVE_INFINITY;
    const written: ChunkRef[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = stored.size;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const name = `${String(stored.chunks.length + written.length).padStart(6, '0')}-${randomBytes(6).toString('hex')}`;
      const key = this.uploadKey(id, name);
      written.push({ key: name, size: body.length });
      await this.call('PutObject', key, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length })));
    };
    try {
      for await (const piece of content) {
        const buffer = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array | string);
        total += buffer.length;
        if (total > maxBytes) throw new ServeError('SIZE_INVALID', `upload ${id} is larger than the limit of ${maxBytes} bytes`);
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= this.chunkBytes) await flush();
      }
      await flush();
      const next: StoredUpload = { ...stored, size: total, updatedAt: new Date().toISOString(), chunks: [...stored.chunks, ...written] };
      await this.writeState(id, next);
      return toState(id, next);
    } catch (error) {
      // Leave the upload exactly as it was before this append.
      await this.deleteKeys(written.map((chunk) => this.uploadKey(id, chunk.key))).catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('BLOB_UPLOAD_INVALID', `upload ${id}: the request body ended early: ${(error as Error).message}`, { cause: error });
    }
  }

  async finishUpload(id: string, digest: Digest): Promise<BlobInfo> {
    const stored = await this.requireState(id);
    let hash;
    try {
      hash = createDigestHash(digest);
    } catch (error) {
      throw new ServeError('DIGEST_INVALID', `unsupported digest ${digest}`, { cause: error, detail: { digest } });
    }
    const key = this.blobKey(digest);
    // A large blob that already exists (a re-push) only needs the upload verified, not written again; for a
    // small one the extra HEAD would cost about what the write does.
    const exists = stored.size > this.partBytes && (await this.stat(digest)) !== undefined;
    const writer = exists ? undefined : new MultipartWriter(this.client, this.bucket, key, this.partBytes);
    let seen = 0;
    try {
      for (const chunk of stored.chunks) {
        const chunkKey = this.uploadKey(id, chunk.key);
        const out = await this.call('GetObject', chunkKey, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: chunkKey })));
        if (!(out.Body instanceof Readable)) throw new ServeError('INTERNAL', `S3 GetObject of ${chunkKey} returned no stream`);
        for await (const piece of out.Body as AsyncIterable<Buffer>) {
          hash.update(piece);
          seen += piece.length;
          if (writer) await writer.write(piece);
        }
      }
      if (seen !== stored.size) throw new ServeError('INTERNAL', `upload ${id} holds ${seen} bytes, its state says ${stored.size}`);
      const actual = `${digestAlgorithm(digest)}:${hash.digest('hex')}`;
      if (actual !== digest) {
        await writer?.abort();
        // Best effort: the client must hear DIGEST_INVALID; what a failed removal leaves, staleUploads finds.
        await this.removeUpload(id, stored).catch(() => undefined);
        throw digestInvalid(digest, actual);
      }
      await writer?.complete();
    } catch (error) {
      await writer?.abort().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('INTERNAL', `S3 read of upload ${id} failed: ${(error as Error).message}`, { cause: error });
    }
    await this.removeUpload(id, stored);
    return { digest, size: seen };
  }

  async cancelUpload(id: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) return;
    // Everything under the upload's folder, listed: also chunks a lost append race or a crash left without a state.
    const keys: string[] = [];
    for await (const key of this.keys(this.uploadKey(id, ''))) keys.push(key);
    await this.deleteKeys(keys);
  }

  async staleUploads(before: Date): Promise<string[]> {
    const base = `${this.prefix}uploads/`;
    const ids = new Set<string>();
    for await (const key of this.keys(base)) {
      const id = key.slice(base.length).split('/')[0] ?? '';
      if (UPLOAD_ID.test(id)) ids.add(id);
    }
    const stale: string[] = [];
    for (const id of ids) {
      const stored = await this.readState(id);
      // Chunks without a state are the remains of an interrupted removal: stale too.
      if (stored === undefined || Date.parse(stored.updatedAt) < before.getTime()) stale.push(id);
    }
    return stale.sort();
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private blobKey(digest: Digest): string {
    if (!isDigest(digest)) throw new ServeError('DIGEST_INVALID', `invalid digest "${String(digest).slice(0, 80)}"`);
    return `${this.prefix}blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
  }

  private uploadKey(id: string, name: string): string {
    return `${this.prefix}uploads/${id}/${name}`;
  }

  private async readState(id: string): Promise<StoredUpload | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    const key = this.uploadKey(id, 'state.json');
    const out = await this.maybe('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    if (out?.Body === undefined) return undefined;
    const parsed = JSON.parse(await out.Body.transformToString()) as StoredUpload;
    if (typeof parsed.size !== 'number' || !Array.isArray(parsed.chunks)) throw new ServeError('INTERNAL', `S3 object ${key} is not an upload state`);
    return parsed;
  }

  private async requireState(id: string): Promise<StoredUpload> {
    const stored = await this.readState(id);
    if (stored === undefined) throw new ServeError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not known`, { detail: { id } });
    return stored;
  }

  private async writeState(id: string, stored: StoredUpload): Promise<void> {
    const key = this.uploadKey(id, 'state.json');
    const body = Buffer.from(JSON.stringify(stored));
    await this.call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: 'application/json' })),
    );
  }

  /**
   * Deletes the upload's chunks and state in one request. Anything this misses (a partial failure, chunks of a
   * lost append race) has no state left, which staleUploads reports and cancelUpload removes by listing.
   */
  private async removeUpload(id: string, stored: StoredUpload): Promise<void> {
    await this.deleteKeys([...stored.chunks.map((chunk) => this.uploadKey(id, chunk.key)), this.uploadKey(id, 'state.json')]);
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.call('DeleteObjects', batch[0] ?? '', () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const failed = out.Errors?.[0];
      if (failed) throw new ServeError('INTERNAL', `S3 DeleteObjects of ${failed.Key ?? '?'} in bucket ${this.bucket} failed: ${failed.Code ?? 'unknown'}`);
    }
  }

  /** Every key under `base`, page by page. */
  private async *keys(base: string): AsyncIterable<string> {
    for await (const object of this.objects(base)) yield object.key;
  }

  /** Every object under `base` with its size and last write time, page by page. */
  private async *objects(base: string): AsyncIterable<{ key: string; size: number; modifiedAt: Date }> {
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', base, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, MaxKeys: this.listPageSize, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const object of page.Contents ?? []) {
        // An object without a date is judged as written now: never old enough to be swept as garbage.
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date() };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    return s3Call(`${operation} of ${key} in bucket ${this.bucket}`, run);
  }

  private maybe<T>(operation: string, key: string, run: () => Promise<T>): Promise<T | undefined> {
    return s3CallOrMissing(`${operation} of ${key} in bucket ${this.bucket}`, run);
  }
}

function toState(id: string, stored: StoredUpload): UploadState {
  const owner = parseUploadOwner(stored.owner);
  return { id, size: stored.size, startedAt: new Date(stored.startedAt), ...(owner ? { owner } : {}) };
}

function hashOf(digest: Digest, bytes: Buffer): string {
  try {
    return `${digestAlgorithm(digest)}:${createDigestHash(digest).update(bytes).digest('hex')}`;
  } catch (error) {
    throw new ServeError('DIGEST_INVALID', `unsupported digest ${digest}`, { cause: error, detail: { digest } });
  }
}

function digestInvalid(expected: Digest, actual: string): ServeError {
  return new ServeError('DIGEST_INVALID', `content does not match digest ${expected} (got ${actual})`, { detail: { digest: expected } });
}
