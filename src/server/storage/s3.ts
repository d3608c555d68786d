/**
 * S3-compatible object storage for the registry's blobs: the BlobStore for
 * many machines. Every `portcullis serve` process pointed at one bucket sees
 * the same blobs and the same uploads, because nothing of an upload lives in
 * a process or on a local disk — a PATCH may land on any machine.
 *
 * Layout under `prefix`:
 *   blobs/<algorithm>/<hex>   a blob; written only with bytes already verified against <hex>
 *   uploads/<id>/state.json   what the upload holds (s3-upload-state.ts)
 *   uploads/<id>/data         the upload's S3 multipart upload (its parts ≥ 5 MiB), completed at finish
 *   uploads/<id>/tail-<rand>  bytes after the parts, when too many to keep inline in the state
 *
 * How an upload streams: each PATCH continues the multipart upload, cutting
 * parts of `partBytes` as the body arrives (a few in flight, s3-multipart.ts)
 * and hashing each part as it is cut (resumable-hash.ts; the hash state is
 * saved in the state object), so finishing needs no second read: the closing
 * PUT hashes only the tail and compares.
 *
 * Why a blob is never published unverified, with no conditional writes (Swift
 * 2.30 has none): a blob's key is written only (1) by PutObject of bytes this
 * process hashed in memory, or (2) by a server-side copy of the upload's
 * completed object, after the digest over exactly the bytes sent as its parts
 * matched; CompleteMultipartUpload refuses parts whose ETag (MD5) changed since
 * they were sent, and the copy is conditional on the completed object's ETag
 * (x-amz-copy-source-if-match; where Swift refuses that condition, the
 * copy's ETag is checked and a wrong copy removed), so a racing request on
 * the same upload cannot swap bytes in between. Two processes pushing one blob each upload to their
 * own upload's keys and copy the same verified bytes onto the blob's key: last
 * writer wins, both wrote the right bytes. What remains (an MD5 collision
 * forged by the upload's own owner, bit rot, someone writing to the bucket
 * directly) is caught when the blob is read: whole reads are verified and a
 * mismatch is never served complete (s3-read.ts) and is reported (`onCorrupt`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createDigestHash, digestAlgorithm, digestHex, isDigest, type Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { BlobInfo, BlobStore, ByteRange, StoredBlob, UploadOwner, UploadState } from './blob-store.js';
import { PartBuffer } from './part-buffer.js';
import { RESUMABLE_ALGORITHM, ResumableHash } from './resumable-hash.js';
import { createS3Client, describeS3Error, s3Call, s3CallOrMissing, type S3Connection } from './s3-client.js';
import { abortMultipart, completeMultipart, MIN_PART_BYTES, PartUploader, type MultipartTarget } from './s3-multipart.js';
import { deleteKeys, listMultipartUploads, listObjects, type BucketRef } from './s3-objects.js';
import { multipartEtag, PublishingCopies } from './s3-publish.js';
import { readObject } from './s3-read.js';
import { INLINE_TAIL_BYTES, parseStoredUpload, toUploadState, type StoredTail, type StoredUpload } from './s3-upload-state.js';

export interface CorruptBlob {
  readonly digest: Digest;
  readonly key: string;
  /** What the stored bytes hash to. */
  readonly actual: string;
  readonly size: number;
}

export interface S3BlobStoreConfig extends S3Connection {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `registry` (no leading or trailing slash needed). */
  readonly prefix?: string;
  /** Multipart part size, ≥ 5 MiB (default 8 MiB). */
  readonly partBytes?: number;
  /** Parts in flight per upload (default 3): an upload buffers at most this many parts plus one. */
  readonly partConcurrency?: number;
  /** Bytes per ranged GET when reading a blob (default 16 MiB: on Swift, fewer larger ranges read faster). */
  readonly readRangeBytes?: number;
  /** Ranged GETs requested ahead per read (default 2). */
  readonly readConcurrency?: number;
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  readonly listPageSize?: number;
  /** Blob GETs are answered with a redirect to a presigned URL of this lifetime, in seconds (off when absent). */
  readonly redirectSeconds?: number;
  /** Told when a whole read finds a blob whose bytes do not match its digest (the read then fails). */
  readonly onCorrupt?: (blob: CorruptBlob) => void;
}

const MiB = 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

export class S3BlobStore implements BlobStore {
  readonly driver = 's3';
  /** Every stat is a request: the API answers HEAD from the metadata's recorded size instead. */
  readonly remote = true;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private readonly partConcurrency: number;
  private readonly ref: BucketRef;
  private readonly copies = new PublishingCopies();

  constructor(private readonly config: S3BlobStoreConfig) {
    this.bucket = config.bucket;
    const trimmed = (config.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
    this.partBytes = config.partBytes ?? 8 * MiB;
    this.partConcurrency = config.partConcurrency ?? 3;
    if (this.partBytes < MIN_PART_BYTES) throw new ServeError('CONFIG_INVALID', `S3 part size must be at least ${MIN_PART_BYTES} bytes`);
    for (const [name, value] of [['part concurrency', this.partConcurrency], ['read range', config.readRangeBytes ?? 1], ['read concurrency', config.readConcurrency ?? 1]] as const) {
      if (!(Number.isSafeInteger(value) && value >= 1)) throw new ServeError('CONFIG_INVALID', `S3 ${name} must be a positive whole number`);
    }
    this.client = createS3Client(config);
    this.ref = { client: this.client, bucket: this.bucket, pageSize: config.listPageSize ?? 1000 };
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
    const target = { client: this.client, bucket: this.bucket, key, rangeBytes: this.config.readRangeBytes ?? 16 * MiB, concurrency: this.config.readConcurrency ?? 2 };
    const onMismatch = (actual: string, size: number): void => this.config.onCorrupt?.({ digest, key, actual, size });
    const out = await readObject(target, range ?? { start: 0 }, range ? undefined : { digest, onMismatch });
    if (out === undefined) throw new ServeError('BLOB_UNKNOWN', `blob ${digest} is not stored`, { detail: { digest } });
    return out;
  }

  /** With `redirectSeconds`: a presigned GET URL of the blob's object (S3 answers 404 when it is absent); else undefined. */
  async redirectUrl(digest: Digest): Promise<string | undefined> {
    const expiresIn = this.config.redirectSeconds;
    if (expiresIn === undefined) return undefined;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.blobKey(digest) }), { expiresIn });
  }

  async putBytes(digest: Digest, bytes: Buffer): Promise<BlobInfo> {
    const actual = hashOf(digest, bytes);
    if (actual !== digest) throw digestInvalid(digest, actual);
    await this.putObject(this.blobKey(digest), bytes);
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
    for await (const object of listObjects(this.ref, base)) {
      const [algorithm, hex, extra] = object.key.slice(base.length).split('/');
      const digest = `${algorithm}:${hex}`;
      if (extra === undefined && isDigest(digest)) yield { digest, size: object.size, modifiedAt: object.modifiedAt };
    }
  }

  async startUpload(owner?: UploadOwner): Promise<UploadState> {
    const id = randomUUID().replaceAll('-', '');
    const now = new Date().toISOString();
    const stored: StoredUpload = { startedAt: now, updatedAt: now, size: 0, parts: [], ...(owner ? { owner } : {}) };
    await this.writeState(id, stored);
    return toUploadState(id, stored);
  }

  async uploadState(id: string): Promise<UploadState | undefined> {
    const stored = await this.readState(id);
    return stored && toUploadState(id, stored);
  }

  async appendUpload(id: string, offset: number, content: Readable, options?: { maxBytes?: number }): Promise<UploadState> {
    const stored = await this.requireState(id);
    if (offset !== stored.size) throw new ServeError('RANGE_INVALID', `upload ${id} is at offset ${stored.size}, not ${offset}`, { detail: { size: stored.size } });
    const maxBytes = options?.maxBytes ?? Number.POSITIVE_INFINITY;
    const pending = new PartBuffer();
    pending.add(await this.readTail(id, stored.tail));
    const hash = await ResumableHash.open(stored.hash);
    const uploader = new PartUploader(this.dataTarget(id), stored.multipart, stored.parts.length + 1, this.partConcurrency);
    const sendPart = async (bytes: Buffer): Promise<void> => {
      hash.update(bytes);
      await uploader.add(bytes);
    };
    let total = stored.size;
    let tailObject: string | undefined;
    let next: StoredUpload;
    try {
      for await (const piece of content) {
        const buffer = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array | string);
        total += buffer.length;
        if (total > maxBytes) throw new ServeError('SIZE_INVALID', `upload ${id} is larger than the limit of ${maxBytes} bytes`);
        pending.add(buffer);
        while (pending.size >= this.partBytes) await sendPart(pending.take(this.partBytes));
      }
      if (pending.size >= MIN_PART_BYTES) await sendPart(pending.takeAll());
      const sent = await uploader.drain();
      const rest = pending.takeAll();
      let tail: StoredTail | undefined;
      if (rest.length > INLINE_TAIL_BYTES) {
        tailObject = `tail-${randomBytes(8).toString('hex')}`;
        await this.putObject(this.uploadKey(id, tailObject), rest);
        tail = { size: rest.length, object: tailObject };
      } else if (rest.length > 0) {
        tail = { size: rest.length, inline: rest.toString('base64') };
      }
      const multipart = uploader.id;
      next = {
        startedAt: stored.startedAt,
        updatedAt: new Date().toISOString(),
        size: total,
        ...(stored.owner ? { owner: stored.owner } : {}),
        ...(multipart ? { multipart } : {}),
        parts: [...stored.parts, ...sent],
        hash: hash.save(),
        ...(tail ? { tail } : {}),
      };
      await this.writeState(id, next);
    } catch (error) {
      // Leave the upload exactly as it was before this append: parts past its list are replaced by the next append.
      await uploader.drain().catch(() => undefined);
      const created = uploader.created ? uploader.id : undefined;
      if (created) await abortMultipart(this.dataTarget(id), created).catch(() => undefined);
      if (tailObject) await deleteKeys(this.ref, [this.uploadKey(id, tailObject)]).catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('BLOB_UPLOAD_INVALID', `upload ${id}: the request body ended early: ${(error as Error).message}`, { cause: error });
    }
    // The former tail is in a part or in the new tail now; what a failure leaves, cancelUpload removes by listing.
    if (stored.tail?.object) await deleteKeys(this.ref, [this.uploadKey(id, stored.tail.object)]).catch(() => undefined);
    return toUploadState(id, next);
  }

  async finishUpload(id: string, digest: Digest): Promise<BlobInfo> {
    const stored = await this.requireState(id);
    hashOf(digest, Buffer.alloc(0)); // DIGEST_INVALID for an algorithm we cannot check
    const tail = await this.readTail(id, stored.tail);
    if (stored.parts.length === 0 || stored.multipart === undefined) {
      // Everything is in the tail: hashed here, and written straight to the blob's key once it matched.
      const actual = hashOf(digest, tail);
      if (actual !== digest) return this.refuse(id, stored, digest, actual);
      await this.putObject(this.blobKey(digest), tail);
      await this.removeUpload(id, stored, false);
      return { digest, size: tail.length };
    }
    const streamed = digestAlgorithm(digest) === RESUMABLE_ALGORITHM && stored.hash !== undefined;
    if (streamed) {
      const hash = await ResumableHash.open(stored.hash);
      hash.update(tail);
      const actual = hash.digest();
      if (actual !== digest) return this.refuse(id, stored, digest, actual);
    }
    const data = this.dataTarget(id);
    const uploader = new PartUploader(data, stored.multipart, stored.parts.length + 1, 1);
    if (tail.length > 0) await uploader.add(tail);
    const parts = [...stored.parts, ...(await uploader.drain())];
    const etag = multipartEtag(parts);
    if ((await completeMultipart(data, stored.multipart, parts)) !== etag) throw new ServeError('INTERNAL', `upload ${id} changed while it was being finished`);
    if (!streamed) {
      // Another algorithm than the one hashed while streaming: the completed object is read back through it.
      const actual = await this.hashObject(data.key, digest);
      if (actual !== digest) return this.refuse(id, stored, digest, actual, true);
    }
    await this.copies.publish(this.ref, data.key, this.blobKey(digest), etag);
    await this.removeUpload(id, stored, true);
    return { digest, size: stored.size };
  }

  async cancelUpload(id: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) return;
    const folder = this.uploadKey(id, '');
    // Listed, not read from the state: also what a lost race or a crash left without one.
    for await (const pending of listMultipartUploads(this.ref, folder)) await abortMultipart({ ...this.ref, key: pending.key }, pending.uploadId);
    const keys: string[] = [];
    for await (const object of listObjects(this.ref, folder)) keys.push(object.key);
    await deleteKeys(this.ref, keys);
  }

  async staleUploads(before: Date): Promise<string[]> {
    const base = `${this.prefix}uploads/`;
    const ids = new Set<string>();
    const idOf = (key: string): string => key.slice(base.length).split('/')[0] ?? '';
    for await (const object of listObjects(this.ref, base)) if (UPLOAD_ID.test(idOf(object.key))) ids.add(idOf(object.key));
    for await (const pending of listMultipartUploads(this.ref, base)) if (UPLOAD_ID.test(idOf(pending.key))) ids.add(idOf(pending.key));
    const stale: string[] = [];
    for (const id of ids) {
      const stored = await this.readState(id);
      // Objects without a (readable) state are the remains of an interrupted removal or a crash: stale too.
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

  private dataTarget(id: string): MultipartTarget {
    return { client: this.client, bucket: this.bucket, key: this.uploadKey(id, 'data') };
  }

  private async readState(id: string): Promise<StoredUpload | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    const key = this.uploadKey(id, 'state.json');
    const out = await this.maybe('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    if (out?.Body === undefined) return undefined;
    const text = await out.Body.transformToString();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    return parseStoredUpload(parsed);
  }

  private async requireState(id: string): Promise<StoredUpload> {
    const stored = await this.readState(id);
    if (stored === undefined) throw new ServeError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not known`, { detail: { id } });
    return stored;
  }

  private async writeState(id: string, stored: StoredUpload): Promise<void> {
    await this.putObject(this.uploadKey(id, 'state.json'), Buffer.from(JSON.stringify(stored)), 'application/json');
  }

  private async readTail(id: string, tail: StoredTail | undefined): Promise<Buffer> {
    if (tail === undefined) return Buffer.alloc(0);
    if (tail.inline !== undefined) return Buffer.from(tail.inline, 'base64');
    const key = this.uploadKey(id, tail.object ?? '');
    const out = await this.call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    const bytes = out.Body === undefined ? Buffer.alloc(0) : Buffer.from(await out.Body.transformToByteArray());
    if (bytes.length !== tail.size) throw new ServeError('INTERNAL', `S3 object ${key} holds ${bytes.length} bytes, the upload's state says ${tail.size}`);
    return bytes;
  }

  private async hashObject(key: string, digest: Digest): Promise<string> {
    const hash = createDigestHash(digest);
    const out = await readObject({ client: this.client, bucket: this.bucket, key, rangeBytes: 8 * MiB, concurrency: 2 }, { start: 0 });
    if (out === undefined) throw new ServeError('INTERNAL', `S3 object ${key} vanished while the upload was finished`);
    for await (const piece of out as AsyncIterable<Buffer>) hash.update(piece);
    return `${digestAlgorithm(digest)}:${hash.digest('hex')}`;
  }

  /** Removes the upload after a digest mismatch and throws DIGEST_INVALID. */
  private async refuse(id: string, stored: StoredUpload, expected: Digest, actual: string, completed = false): Promise<never> {
    // Best effort: the client must hear DIGEST_INVALID; what a failed removal leaves, staleUploads finds.
    await this.removeUpload(id, stored, completed).catch(() => undefined);
    throw digestInvalid(expected, actual);
  }

  /** Drops the upload's multipart upload (or, once completed, its object), tail and state. */
  private async removeUpload(id: string, stored: StoredUpload, completed: boolean): Promise<void> {
    if (stored.multipart !== undefined && !completed) await abortMultipart(this.dataTarget(id), stored.multipart);
    const keys = [this.uploadKey(id, 'state.json'), ...(stored.tail?.object ? [this.uploadKey(id, stored.tail.object)] : [])];
    if (completed) keys.unshift(this.uploadKey(id, 'data'));
    await deleteKeys(this.ref, keys);
  }

  private async putObject(key: string, body: Buffer, contentType?: string): Promise<void> {
    await this.call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ...(contentType ? { ContentType: contentType } : {}) })),
    );
  }

  private call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    return s3Call(`${operation} of ${key} in bucket ${this.bucket}`, run);
  }

  private maybe<T>(operation: string, key: string, run: () => Promise<T>): Promise<T | undefined> {
    return s3CallOrMissing(`${operation} of ${key} in bucket ${this.bucket}`, run);
  }
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
