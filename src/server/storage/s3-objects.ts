/**
 * Bucket-wide chores of the S3 blob store, page by page so that no listing is
 * held whole in memory: the objects under a prefix, the multipart uploads
 * still pending under a prefix (a crash between starting one and recording it
 * leaves one no state names), and deleting keys a thousand per request.
 */
import { DeleteObjectsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ServeError } from '../errors.js';
import { s3Call } from './s3-client.js';

export interface BucketRef {
  readonly client: S3Client;
  readonly bucket: string;
  /** Keys per listing page (S3's maximum is 1000). */
  readonly pageSize: number;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/** Every object under `base` with its size and last write time. */
export async function* listObjects(ref: BucketRef, base: string): AsyncIterable<ListedObject> {
  const { client, bucket: Bucket } = ref;
  let token: string | undefined;
  do {
    const page = await s3Call(`ListObjectsV2 of ${base} in bucket ${Bucket}`, () =>
      client.send(new ListObjectsV2Command({ Bucket, Prefix: base, MaxKeys: ref.pageSize, ...(token ? { ContinuationToken: token } : {}) })),
    );
    for (const object of page.Contents ?? []) {
      // An object without a date is judged as written now: never old enough to be swept as garbage.
      if (object.Key) yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date() };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Every pending multipart upload under `base`: its key and upload id. */
export async function* listMultipartUploads(ref: BucketRef, base: string): AsyncIterable<{ key: string; uploadId: string }> {
  const { client, bucket: Bucket } = ref;
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    const page = await s3Call(`ListMultipartUploads of ${base} in bucket ${Bucket}`, () =>
      client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: base, MaxUploads: ref.pageSize, ...(KeyMarker ? { KeyMarker } : {}), ...(UploadIdMarker ? { UploadIdMarker } : {}) })),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key && upload.UploadId) yield { key: upload.Key, uploadId: upload.UploadId };
    }
    if (!page.IsTruncated || (page.NextKeyMarker === KeyMarker && page.NextUploadIdMarker === UploadIdMarker)) return;
    KeyMarker = page.NextKeyMarker;
    UploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Deletes `keys` (missing ones are not an error), a thousand per request. */
export async function deleteKeys(ref: BucketRef, keys: readonly string[]): Promise<void> {
  const { client, bucket: Bucket } = ref;
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await s3Call(`DeleteObjects of ${batch[0] ?? ''} in bucket ${Bucket}`, () =>
      client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
    );
    const failed = out.Errors?.[0];
    if (failed) throw new ServeError('INTERNAL', `S3 DeleteObjects of ${failed.Key ?? '?'} in bucket ${Bucket} failed: ${failed.Code ?? 'unknown'}`);
  }
}
