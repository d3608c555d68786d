/**
 * Writes one S3 object from a stream of unknown length, holding at most one
 * part in memory, and makes it visible only when told to. Why: finishing an
 * upload must stream the upload's bytes through the digest check and into the
 * blob's object at once (reading them twice doubles the traffic), yet the blob
 * may appear only after the digest matched. A multipart upload gives exactly
 * that: parts go up while the hash runs; `complete` publishes, `abort` leaves
 * nothing. Content smaller than one part skips multipart: one PutObject at
 * `complete`.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ServeError } from '../errors.js';
import { s3Call } from './s3-client.js';

/** S3's smallest part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export class MultipartWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private readonly where: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partBytes: number,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new ServeError('CONFIG_INVALID', `S3 part size must be at least ${MIN_PART_BYTES} bytes`);
    this.where = `of ${key} in bucket ${bucket}`;
  }

  /** Buffers `piece`; every time a whole part is buffered, uploads it (awaiting, so the caller's stream waits). */
  async write(piece: Buffer): Promise<void> {
    this.buffered.push(piece);
    this.bufferedBytes += piece.length;
    while (this.bufferedBytes >= this.partBytes) {
      const all = Buffer.concat(this.buffered, this.bufferedBytes);
      const rest = Buffer.from(all.subarray(this.partBytes));
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
      await this.uploadPart(all.subarray(0, this.partBytes));
    }
  }

  /** Publishes the object: one PutObject when it fit in a part, else the last part and CompleteMultipartUpload. */
  async complete(): Promise<void> {
    const tail = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    const { client, bucket: Bucket, key: Key } = this;
    if (this.uploadId === undefined) {
      await s3Call(`PutObject ${this.where}`, () => client.send(new PutObjectCommand({ Bucket, Key, Body: tail, ContentLength: tail.length })));
      return;
    }
    if (tail.length > 0) await this.uploadPart(tail);
    const UploadId = this.uploadId;
    const Parts = this.parts;
    await s3Call(`CompleteMultipartUpload ${this.where}`, () =>
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })),
    );
    this.uploadId = undefined;
  }

  /** Drops what was buffered and aborts the multipart upload, if one was started; safe to call twice. */
  async abort(): Promise<void> {
    this.buffered = [];
    this.bufferedBytes = 0;
    const UploadId = this.uploadId;
    if (UploadId === undefined) return;
    this.uploadId = undefined;
    const { client, bucket: Bucket, key: Key } = this;
    await s3Call(`AbortMultipartUpload ${this.where}`, () => client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })));
  }

  private async uploadPart(body: Buffer): Promise<void> {
    const { client, bucket: Bucket, key: Key } = this;
    if (this.uploadId === undefined) {
      const created = await s3Call(`CreateMultipartUpload ${this.where}`, () => client.send(new CreateMultipartUploadCommand({ Bucket, Key })));
      if (!created.UploadId) throw new ServeError('INTERNAL', `S3 CreateMultipartUpload ${this.where} returned no upload id`);
      this.uploadId = created.UploadId;
    }
    const UploadId = this.uploadId;
    const PartNumber = this.parts.length + 1;
    const out = await s3Call(`UploadPart ${PartNumber} ${this.where}`, () =>
      client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length })),
    );
    this.parts.push({ PartNumber, ETag: out.ETag });
  }
}
