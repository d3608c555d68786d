/**
 * Blob uploads (`/v2/<name>/blobs/uploads/…`): start (POST, with the
 * monolithic `?digest=` and cross-repository `?mount=&from=` variants), chunks
 * (PATCH, `Content-Range` must continue where the upload is), finish (PUT
 * `?digest=` with an optional last chunk), status (GET) and cancel (DELETE).
 * Bodies stream straight into the blob store, which verifies the digest; a
 * blob becomes visible to the repository only when it is linked after that.
 */
import type { FastifyReply } from 'fastify';
import { isDigest, type Digest } from '../../../core/digest.js';
import { ServeError } from '../../errors.js';
import type { UploadState } from '../../storage/blob-store.js';
import { factsOf } from '../../request-facts.js';
import { parseV2Path } from './route.js';
import { declaredLength, hasBody, sendEmpty, StatusServeError, uploadLocation, uploadRange, type V2Context } from './context.js';

export async function startUpload(ctx: V2Context, name: string): Promise<FastifyReply> {
  const mount = ctx.query.get('mount');
  if (mount !== null) {
    const mounted = await tryMount(ctx, name, mount, ctx.query.get('from'));
    if (mounted) return sendEmpty(ctx, 201, { Location: `/v2/${name}/blobs/${mounted}`, 'Docker-Content-Digest': mounted });
  }
  const digestParam = ctx.query.get('digest');
  const digest = digestParam === null ? undefined : requireDigest(digestParam);
  const upload = await ctx.services.blobs.startUpload();
  if (digest === undefined) return uploadAccepted(ctx, name, upload, 202);
  // Monolithic upload: the whole blob in this request.
  try {
    await appendBody(ctx, upload);
  } catch (error) {
    await ctx.services.blobs.cancelUpload(upload.id);
    throw error;
  }
  return finish(ctx, name, upload.id, digest);
}

export async function upload(ctx: V2Context, name: string, id: string): Promise<FastifyReply> {
  const { blobs } = ctx.services;
  const state = await blobs.uploadState(id);
  if (!state) throw new ServeError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`, { detail: { id } });
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return uploadAccepted(ctx, name, state, 204);
    case 'DELETE':
      await blobs.cancelUpload(id);
      return sendEmpty(ctx, 204);
    case 'PATCH':
      return uploadAccepted(ctx, name, await appendBody(ctx, state), 202);
    case 'PUT': {
      const digestParam = ctx.query.get('digest');
      if (digestParam === null) throw new ServeError('DIGEST_INVALID', 'PUT of an upload needs ?digest=');
      const digest = requireDigest(digestParam);
      if (hasBody(ctx)) await appendBody(ctx, state);
      return finish(ctx, name, id, digest);
    }
    default:
      throw new ServeError('UNSUPPORTED', `${ctx.method} is not supported on uploads`);
  }
}

async function finish(ctx: V2Context, name: string, id: string, digest: Digest): Promise<FastifyReply> {
  const info = await ctx.services.blobs.finishUpload(id, digest);
  await ctx.services.metadata.linkBlob(name, info.digest);
  return sendEmpty(ctx, 201, { Location: `/v2/${name}/blobs/${info.digest}`, 'Docker-Content-Digest': info.digest });
}

/** Streams the body into the upload after checking `Content-Range` continues it. */
async function appendBody(ctx: V2Context, state: UploadState): Promise<UploadState> {
  const range = ctx.request.headers['content-range'];
  const declared = declaredLength(ctx);
  if (range !== undefined) {
    const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(range.trim());
    if (!m) throw new StatusServeError(416, 'RANGE_INVALID', `invalid Content-Range "${range}"`, { detail: { size: state.size } });
    const start = Number(m[1]!);
    const end = Number(m[2]!);
    if (start !== state.size || end < start) {
      throw new StatusServeError(416, 'RANGE_INVALID', `Content-Range ${range} does not continue upload ${state.id} at ${state.size}`, { detail: { size: state.size } });
    }
    if (declared !== undefined && declared !== end - start + 1) {
      throw new ServeError('SIZE_INVALID', `Content-Range ${range} and Content-Length ${declared} disagree`);
    }
  }
  const next = await ctx.services.blobs.appendUpload(state.id, state.size, ctx.body, { maxBytes: ctx.limits.maxBlobBytes });
  const facts = factsOf(ctx.request.raw);
  facts.bytesIn = (facts.bytesIn ?? 0) + (next.size - state.size);
  if (declared !== undefined && next.size - state.size !== declared) {
    throw new ServeError('SIZE_INVALID', `received ${next.size - state.size} bytes, Content-Length said ${declared}`);
  }
  return next;
}

function uploadAccepted(ctx: V2Context, name: string, state: UploadState, status: 202 | 204): FastifyReply {
  return sendEmpty(ctx, status, {
    Location: uploadLocation(name, state.id),
    Range: uploadRange(state.size),
    'Docker-Upload-UUID': state.id,
  });
}

/** Links `mount` from `from` into `name` when the source has it and the caller may pull from it; else undefined. */
async function tryMount(ctx: V2Context, name: string, mount: string, from: string | null): Promise<Digest | undefined> {
  if (!isDigest(mount) || from === null || parseV2Path(`/v2/${from}/tags/list`).kind !== 'tags') return undefined;
  const auth = ctx.services.auth;
  if (auth && !(await auth.authorize(ctx.request.headers, 'pull', from)).ok) return undefined;
  if (!(await ctx.services.metadata.isBlobLinked(from, mount))) return undefined;
  if (!(await ctx.services.blobs.stat(mount))) return undefined;
  await ctx.services.metadata.linkBlob(name, mount);
  return mount;
}

function requireDigest(value: string): Digest {
  if (!isDigest(value)) throw new ServeError('DIGEST_INVALID', `invalid digest "${value.slice(0, 100)}"`, { detail: { digest: value.slice(0, 100) } });
  return value;
}
