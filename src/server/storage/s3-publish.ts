/**
 * The last step of an S3 upload: a server-side copy of the upload's completed
 * multipart object onto the blob's content-addressed key — but only of the
 * object completed from the parts whose bytes were hashed. Why it needs care:
 * S3 (and Swift) accept CompleteMultipartUpload again on a completed upload,
 * with another part list, so a second finish of the same upload racing this
 * one could replace the object between our complete and our copy.
 *
 * The copy is conditional on the ETag S3 gives an object completed from our
 * parts (`x-amz-copy-source-if-match`). Swift's s3api refuses that condition
 * on multipart objects (412 even when it holds), but keeps the multipart ETag
 * on the copy; there the copy is made unconditionally and its ETag checked,
 * and a copy of other bytes is deleted at once and the finish fails.
 */
import { createHash } from 'node:crypto';
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { ServeError } from '../errors.js';
import { s3Call } from './s3-client.js';
import type { UploadedPart } from './s3-multipart.js';
import { deleteKeys, type BucketRef } from './s3-objects.js';

/** S3's ETag of an object completed from `parts`: the MD5 of their MD5s, then the part count. */
export function multipartEtag(parts: readonly UploadedPart[]): string {
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag.replaceAll('"', ''), 'hex')));
  return `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
}

export class PublishingCopies {
  /** Until the server shows it refuses the condition on an object that does match it (Swift). */
  private conditional = true;

  async publish(ref: BucketRef, source: string, key: string, etag: string): Promise<void> {
    const copy = (condition: boolean): Promise<string | undefined> =>
      s3Call(`CopyObject of ${source} to ${key} in bucket ${ref.bucket}`, async () => {
        const out = await ref.client.send(
          new CopyObjectCommand({ Bucket: ref.bucket, Key: key, CopySource: `${ref.bucket}/${source}`, ...(condition ? { CopySourceIfMatch: etag } : {}) }),
        );
        return out.CopyObjectResult?.ETag;
      });
    if (this.conditional) {
      try {
        await copy(true);
        return;
      } catch (error) {
        if (!/PreconditionFailed/.test((error as Error).message)) throw error;
      }
    }
    if ((await copy(false)) !== etag) {
      await deleteKeys(ref, [key]).catch(() => undefined);
      throw new ServeError('INTERNAL', `S3 copy onto ${key} did not copy the object this upload completed: it changed while being finished`);
    }
    // The condition failed though the object was ours: this server does not support it on multipart objects.
    this.conditional = false;
  }
}
