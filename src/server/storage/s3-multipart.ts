/**
 * The parts of one S3 multipart upload, sent while the request that carries
 * them is still streaming: at most `concurrency` parts in flight (each a
 * buffer of one part), the caller's stream waiting when that many are — so
 * memory stays at (concurrency + 1) parts per upload however large the blob.
 * Why several in flight: one PUT at a time leaves the link idle while S3
 * acknowledges each part; two or three keep it busy.
 *
 * A registry upload spans many requests (PATCH chunks, possibly on other
 * machines), so the multipart upload outlives each PartUploader: its id
 * and the parts sent so far live in the upload's state object (s3.ts), and a
 * PartUploader continues from them.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ServeError } from '../errors.js';
import { s3Call } from './s3-client.js';

/** S3's smallest part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest part number. */
const MAX_PARTS = 10_000;

export interface UploadedPart {
  /** Part number, from 1. */
  readonly n: number;
  /** As S3 returned it (the part's MD5, quoted): CompleteMultipartUpload refuses a part whose bytes changed since. */
  readonly etag: string;
  readonly size: number;
}

export interface MultipartTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
}

export class PartUploader {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sent: UploadedPart[] = [];
  private failure: { error: unknown } | undefined;
  private createdHere = false;

  constructor(
    private readonly target: MultipartTarget,
    private uploadId: string | undefined,
    private nextPart: number,
    private readonly concurrency: number,
  ) {}

  /** The multipart upload's id, once there is one. */
  get id(): string | undefined {
    return this.uploadId;
  }

  /** True when this uploader started the multipart upload (so a failed request must abort it). */
  get created(): boolean {
    return this.createdHere;
  }

  /** Queues `body` as the next part; resolves once it is in flight (waiting while `concurrency` parts are). */
  async add(body: Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.nextPart > MAX_PARTS) throw new ServeError('SIZE_INVALID', `upload to ${this.target.key} needs more than ${MAX_PARTS} S3 parts`);
    const uploadId = await this.ensureStarted();
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const n = this.nextPart++;
    const sending: Promise<void> = this.send(uploadId, n, body).then(
      (part) => void this.sent.push(part),
      (error: unknown) => void (this.failure ??= { error }),
    );
    const tracked = sending.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Waits for every part in flight; the parts this uploader sent, in order (throws the first failure). */
  async drain(): Promise<UploadedPart[]> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    return [...this.sent].sort((a, b) => a.n - b.n);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private async ensureStarted(): Promise<string> {
    if (this.uploadId !== undefined) return this.uploadId;
    const { client, bucket: Bucket, key: Key } = this.target;
    const created = await s3Call(`CreateMultipartUpload of ${Key} in bucket ${Bucket}`, () => client.send(new CreateMultipartUploadCommand({ Bucket, Key })));
    if (!created.UploadId) throw new ServeError('INTERNAL', `S3 CreateMultipartUpload of ${Key} in bucket ${Bucket} returned no upload id`);
    this.uploadId = created.UploadId;
    this.createdHere = true;
    return created.UploadId;
  }

  private async send(UploadId: string, PartNumber: number, body: Buffer): Promise<UploadedPart> {
    const { client, bucket: Bucket, key: Key } = this.target;
    const out = await s3Call(`UploadPart ${PartNumber} of ${Key} in bucket ${Bucket}`, () =>
      client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length })),
    );
    if (!out.ETag) throw new ServeError('INTERNAL', `S3 UploadPart ${PartNumber} of ${Key} in bucket ${Bucket} returned no ETag`);
    return { n: PartNumber, etag: out.ETag, size: body.length };
  }
}

/** Publishes the object from exactly these parts (S3 refuses a part whose ETag changed); returns the object's ETag. */
export async function completeMultipart(target: MultipartTarget, uploadId: string, parts: readonly UploadedPart[]): Promise<string> {
  const { client, bucket: Bucket, key: Key } = target;
  const out = await s3Call(`CompleteMultipartUpload of ${Key} in bucket ${Bucket}`, () =>
    client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) } }),
    ),
  );
  if (!out.ETag) throw new ServeError('INTERNAL', `S3 CompleteMultipartUpload of ${Key} in bucket ${Bucket} returned no ETag`);
  return out.ETag;
}

/** Drops a multipart upload and its parts; a missing one is not an error. */
export async function abortMultipart(target: MultipartTarget, uploadId: string): Promise<void> {
  const { client, bucket: Bucket, key: Key } = target;
  try {
    await s3Call(`AbortMultipartUpload of ${Key} in bucket ${Bucket}`, () => client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })));
  } catch (error) {
    const name = ((error as { cause?: { name?: string } }).cause ?? {}).name;
    if (name !== 'NoSuchUpload') throw error;
  }
}
