/**
 * `HEAD|GET|DELETE /v2/<name>/blobs/<digest>`. A blob is served only to a
 * repository it is linked to: content addressing would let anyone read any
 * blob by digest otherwise, across repositories they may not pull from.
 * DELETE unlinks it from the repository (the spec's blob delete: 202, then
 * 404 through that repository at once); garbage collection removes the bytes
 * once nothing links or references them.
 * Bytes stream from the store — or, for a GET when the store redirects (S3
 * with `--s3-redirect`), the client gets a 307 to a presigned URL and fetches
 * them from S3 itself, as distribution's `redirect` does; a store whose every
 * stat is a request (S3) is asked nothing for a HEAD, which the metadata's
 * recorded size answers. Single byte ranges (`bytes=a-b`, `a-`, `-n`)
 * get 206, anything else a Range header asks for that the blob cannot give is
 * 416 with `Content-Range: bytes *\/size`.
 */
import type { FastifyReply } from 'fastify';
import type { Digest } from '../../../core/index.js';
import { ServeError } from '../../errors.js';
import type { ByteRange } from '../../storage/blob-store.js';
import { sendEmpty, StatusServeError, type V2Context } from './context.js';
import { linkFreshness } from '../../gc/index.js';

export async function blob(ctx: V2Context, name: string, digest: Digest): Promise<FastifyReply> {
  const { metadata, blobs } = ctx.services;
  if (ctx.method === 'DELETE') {
    // Unlinks the blob from this repository (the spec's blob delete); its bytes go when nothing else holds it.
    if (!(await metadata.unlinkBlob(name, digest))) throw unknownBlob(digest);
    const principal = ctx.principal;
    ctx.request.log.info({ event: 'delete', repository: name, blob: digest, ...(principal !== undefined ? { principal } : {}) }, `unlinked blob ${digest} from ${name}`);
    return sendEmpty(ctx, 202, { 'Docker-Content-Digest': digest });
  }
  // A client checking a blob before pushing a manifest that uses it keeps the link fresh (gc/push-guard.ts).
  const { now, staleBefore } = linkFreshness(ctx.services.pushGuard);
  if (!(await metadata.refreshLink(name, digest, now, staleBefore))) throw unknownBlob(digest);
  if (ctx.method === 'GET' && blobs.redirectUrl) {
    const url = await blobs.redirectUrl(digest);
    if (url !== undefined) return ctx.reply.code(307).headers({ Location: url, 'Docker-Content-Digest': digest }).send();
  }
  const info = await sizeOf(ctx, digest);
  if (!info) throw unknownBlob(digest);
  const header = ctx.request.headers.range;
  const range = header === undefined ? undefined : parseRange(header, info.size);
  ctx.reply.headers({
    'Docker-Content-Digest': digest,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  });
  if (range) {
    ctx.reply.code(206).headers({
      'Content-Range': `bytes ${range.start}-${range.end}/${info.size}`,
      'Content-Length': range.end - range.start + 1,
    });
  } else {
    ctx.reply.code(200).header('Content-Length', info.size);
  }
  if (ctx.method === 'HEAD') return ctx.reply.send();
  return ctx.reply.send(await blobs.read(digest, range));
}

/** The blob's size: from the metadata when asking the store is a network request (S3), else from the store. */
async function sizeOf(ctx: V2Context, digest: Digest): Promise<{ size: number } | undefined> {
  const { metadata, blobs } = ctx.services;
  if (blobs.remote) {
    const row = await metadata.blobRow(digest);
    if (row?.state === 'live' && row.size !== undefined) return { size: row.size };
  }
  return blobs.stat(digest);
}

/** One `bytes=` range within `size`; throws 416 RANGE_INVALID for anything else. */
export function parseRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  const invalid = (): StatusServeError =>
    new StatusServeError(416, 'RANGE_INVALID', `range "${header}" is not satisfiable for ${size} bytes`, { detail: { size } });
  if (!m || (m[1] === '' && m[2] === '')) throw invalid();
  let start: number;
  let end: number;
  if (m[1] === '') {
    // Suffix: the last n bytes.
    const n = Number(m[2]!);
    if (n === 0 || size === 0) throw invalid();
    start = Math.max(size - n, 0);
    end = size - 1;
  } else {
    start = Number(m[1]!);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]!), size - 1);
  }
  if (start >= size || end < start) throw invalid();
  return { start, end };
}

export function unknownBlob(digest: Digest): ServeError {
  return new ServeError('BLOB_UNKNOWN', `blob ${digest} is unknown to this repository`, { detail: { digest } });
}
