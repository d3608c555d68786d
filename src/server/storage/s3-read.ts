/**
 * Reading a blob's object back from S3 as one stream: ranged GETs of
 * `rangeBytes`, the next `concurrency` requested ahead and their bodies read
 * in order (one GET at a time leaves the link idle between S3's answers); a
 * body waiting its turn is held back by TCP, not buffered here.
 *
 * A whole-blob read is verified: every byte goes through the digest and the
 * stream's last piece is held back until the digest matched. Bytes that do not
 * match (an object corrupted or replaced in the bucket) therefore never reach
 * a client as a complete blob: the stream fails before its end, the response
 * is cut short of its Content-Length, and `onMismatch` reports it. A range
 * cannot be checked on its own; a client resuming with ranges checks the whole.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createDigestHash, type Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { s3Call, s3CallOrMissing } from './s3-client.js';

export interface ObjectReadTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly rangeBytes: number;
  readonly concurrency: number;
}

export interface Verification {
  readonly digest: Digest;
  /** Told when the object's bytes hash to something else (`actual`), before the stream fails. */
  readonly onMismatch: (actual: string, size: number) => void;
}

/**
 * The object's bytes from `start` to `end` (inclusive; default its end), or undefined when there is no
 * such object. RANGE_INVALID when the range is outside it.
 */
export async function readObject(target: ObjectReadTarget, window: { start: number; end?: number }, verify?: Verification): Promise<Readable | undefined> {
  const { client, bucket: Bucket, key: Key, rangeBytes } = target;
  const firstEnd = window.start + rangeBytes - 1;
  const what = `GetObject of ${Key} in bucket ${Bucket}`;
  const range = `bytes=${window.start}-${window.end === undefined ? firstEnd : Math.min(firstEnd, window.end)}`;
  let first;
  try {
    first = await s3CallOrMissing(what, () => client.send(new GetObjectCommand({ Bucket, Key, Range: range })));
  } catch (error) {
    // S3 refuses every range of an empty object: a whole read of one asks again without.
    if (!(error instanceof ServeError && error.code === 'RANGE_INVALID' && window.start === 0 && window.end === undefined)) throw error;
    first = await s3CallOrMissing(what, () => client.send(new GetObjectCommand({ Bucket, Key })));
  }
  if (first === undefined) return undefined;
  const body = first.Body;
  if (!(body instanceof Readable)) throw new ServeError('INTERNAL', `S3 GetObject of ${Key} returned no stream`);
  const total = Number(/\/(\d+)$/.exec(first.ContentRange ?? '')?.[1] ?? first.ContentLength ?? NaN);
  const last = window.end ?? total - 1;
  // S3 clips a range that runs past the end; the contract calls that outside the blob.
  if (!(last < total)) {
    body.destroy();
    throw new ServeError('RANGE_INVALID', `range ${window.start}-${last} is outside ${Key} (${total} bytes)`);
  }
  return Readable.from(pieces(target, body, Math.min(firstEnd, last) + 1, last, verify), { objectMode: false });
}

async function* pieces(target: ObjectReadTarget, first: Readable, from: number, last: number, verify?: Verification): AsyncGenerator<Buffer> {
  const hash = verify ? createDigestHash(verify.digest) : undefined;
  // Requests for the next ranges go out early; their bodies wait, held back by TCP, until their turn.
  const ahead: Array<{ body: Promise<Readable>; size: number }> = [];
  let next = from;
  const requestAhead = (): void => {
    while (ahead.length < target.concurrency && next <= last) {
      const end = Math.min(next + target.rangeBytes - 1, last);
      const body = requestRange(target, next, end);
      body.catch(() => undefined); // awaited in turn; a read abandoned early must not leave it unhandled
      ahead.push({ body, size: end - next + 1 });
      next = end + 1;
    }
  };
  let held: Buffer | undefined;
  let seen = 0;
  let current: Readable | undefined = first;
  try {
    requestAhead();
    let expected: number | undefined;
    for (;;) {
      let got = 0;
      for await (const piece of current as AsyncIterable<Buffer>) {
        hash?.update(piece);
        got += piece.length;
        if (held) yield held;
        held = piece;
      }
      if (expected !== undefined && got !== expected) {
        throw new ServeError('INTERNAL', `S3 GetObject of ${target.key} returned ${got} bytes of a ${expected}-byte range: the object changed while read`);
      }
      seen += got;
      const following = ahead.shift();
      if (following === undefined) break;
      current = await following.body;
      expected = following.size;
      requestAhead();
    }
  } finally {
    current?.destroy();
    for (const pending of ahead) void pending.body.then((body) => body.destroy(), () => undefined);
  }
  if (verify && hash) {
    const actual = `${verify.digest.slice(0, verify.digest.indexOf(':'))}:${hash.digest('hex')}`;
    if (actual !== verify.digest) {
      verify.onMismatch(actual, seen);
      throw new ServeError('INTERNAL', `blob ${verify.digest} in S3 (${target.key}) does not match its digest (got ${actual}): not served`);
    }
  }
  if (held) yield held;
}

async function requestRange(target: ObjectReadTarget, start: number, end: number): Promise<Readable> {
  const { client, bucket: Bucket, key: Key } = target;
  const out = await s3Call(`GetObject of ${Key} in bucket ${Bucket}`, () => client.send(new GetObjectCommand({ Bucket, Key, Range: `bytes=${start}-${end}` })));
  if (!(out.Body instanceof Readable)) throw new ServeError('INTERNAL', `S3 GetObject of ${Key} returned no stream`);
  return out.Body;
}
