/**
 * Blob uploads (`/v2/<name>/blobs/uploads/…`): start (POST, with the
 * monolithic `?digest=` and cross-repository `?mount=&from=` variants), chunks
 * (PATCH, `Content-Range` must continue where the upload is), finish (PUT
 * `?digest=` with an optional last chunk), status (GET) and cancel (DELETE).
 * Bodies stream straight into the blob store, which verifies the digest; a
 * blob becomes visible to the repository only when it is linked after that.
 *
 * An upload belongs to the repository it was started in and to the user who
 * started it (recorded in the blob store's upload state): every request for it
 * through another repository's path or by anyone else — another user, or an
 * anonymous caller — is answered exactly as for an id that does not exist
 * (404 BLOB_UPLOAD_UNKNOWN), so the answer reveals nothing. Each client may
 * have `maxUploadsPerClient` sessions open (upload-sessions.ts); one more is
 * 429 TOOMANYREQUESTS.
 *
 * Finishing an upload (and a mount) is where a blob joins a repository, so
 * that is where the project's quota is checked (403 DENIED, the upload
 * removed) and where the garbage-collection protocol applies: the blob is
 * reserved before the store may decide it is already there, and linked with
 * that reservation (gc/push-guard.ts, gc/collector.ts).
 */
import type { FastifyReply } from 'fastify';
import { isDigest, type Digest } from '../../../core/index.js';
import { ServeError } from '../../errors.js';
import type { BlobInfo, UploadOwner, UploadState } from '../../storage/blob-store.js';
import { factsOf } from '../../request-facts.js';
import { UploadSessions } from '../../upload-sessions.js';
import { ANONYMOUS } from '../../auth/principal.js';
import { mayAlso } from './access.js';
import { checkQuota, reserveForPush } from '../../gc/index.js';
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
  const upload = await openSession(ctx, { repository: name, ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}) });
  if (digest === undefined) return uploadAccepted(ctx, name, upload, 202);
  // Monolithic upload: the whole blob in this request.
  try {
    await appendBody(ctx, upload);
  } catch (error) {
    await ctx.services.blobs.cancelUpload(upload.id);
    ctx.services.uploads.closed(upload.id);
    throw error;
  }
  return finish(ctx, name, upload.id, digest);
}

export async function upload(ctx: V2Context, name: string, id: string): Promise<FastifyReply> {
  const { blobs } = ctx.services;
  const state = await ownedUpload(ctx, name, id);
  ctx.services.uploads.touched(id, Date.now());
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return uploadAccepted(ctx, name, state, 204);
    case 'DELETE':
      await blobs.cancelUpload(id);
      ctx.services.uploads.closed(id);
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

/** The upload when it exists and belongs to this repository and caller; BLOB_UPLOAD_UNKNOWN otherwise, whichever it is. */
async function ownedUpload(ctx: V2Context, name: string, id: string): Promise<UploadState> {
  const state = await ctx.services.blobs.uploadState(id);
  const refusal = state === undefined ? undefined : refusalOf(state.owner, name, ctx.principal);
  if (state !== undefined && refusal === undefined) return state;
  if (refusal !== undefined) {
    ctx.request.log.warn(
      { event: 'upload.refused', reqId: ctx.request.id, upload: id, repository: name, reason: refusal, ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}), ip: ctx.request.ip },
      `refused access to upload ${id} (${refusal})`,
    );
  }
  throw unknownUpload(id);
}

export function unknownUpload(id: string): ServeError {
  return new ServeError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`, { detail: { id } });
}

/** Why `principal` may not use an upload through `repository`; undefined when it may. Fails closed on an upload without an owner. */
function refusalOf(owner: UploadOwner | undefined, repository: string, principal: string | undefined): 'no owner recorded' | 'other repository' | 'other principal' | undefined {
  if (owner === undefined) return 'no owner recorded';
  if (owner.repository !== repository) return 'other repository';
  if (owner.principal !== principal) return 'other principal';
  return undefined;
}

/** Starts an upload within the caller's cap of open sessions (429 past it). */
async function openSession(ctx: V2Context, owner: UploadOwner): Promise<UploadState> {
  const sessions = ctx.services.uploads;
  const client = UploadSessions.clientOf(ctx.principal, ctx.request.ip);
  const limit = ctx.limits.maxUploadsPerClient;
  if (!sessions.reserve(client, limit)) {
    ctx.request.log.warn(
      { event: 'upload.limited', reqId: ctx.request.id, repository: owner.repository, ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}), ip: ctx.request.ip, limit },
      `refused a new upload: ${limit} already open for this client`,
    );
    ctx.reply.header('Retry-After', '60');
    throw new ServeError('TOOMANYREQUESTS', `too many open uploads (limit ${limit}): finish or cancel some first`, { detail: { limit } });
  }
  let state: UploadState;
  try {
    state = await ctx.services.blobs.startUpload(owner);
  } catch (error) {
    sessions.release(client);
    throw error;
  }
  sessions.opened(client, state.id, Date.now());
  return state;
}

async function finish(ctx: V2Context, name: string, id: string, digest: Digest): Promise<FastifyReply> {
  const { blobs, metadata } = ctx.services;
  const state = await blobs.uploadState(id);
  if (state === undefined) throw new ServeError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`, { detail: { id } });
  try {
    await checkQuota(ctx.services, name, digest, state.size);
  } catch (error) {
    await blobs.cancelUpload(id);
    ctx.services.uploads.closed(id);
    throw error;
  }
  const reservation = await reserveForPush(ctx.services, digest, ctx.services.pushGuard);
  let info: BlobInfo;
  try {
    info = await blobs.finishUpload(id, digest);
  } catch (error) {
    // A digest mismatch removes the upload; other failures leave it for a retry.
    if (error instanceof ServeError && error.code === 'DIGEST_INVALID') ctx.services.uploads.closed(id);
    throw error;
  }
  ctx.services.uploads.closed(id);
  await metadata.linkBlob(name, info.digest, { size: info.size, reservation });
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
  // Mounting from a repository the caller may not pull would copy what they cannot see: a plain upload instead (the spec's fallback).
  if (!(await mayAlso(ctx, ctx.services.auth, ctx.caller ?? { principal: ANONYMOUS }, 'pull', from))) return undefined;
  if (!(await ctx.services.metadata.isBlobLinked(from, mount))) return undefined;
  const stored = await ctx.services.blobs.stat(mount);
  if (!stored) return undefined;
  await checkQuota(ctx.services, name, mount, stored.size);
  // Linked only while `from` still links it (so it cannot have been collected meanwhile).
  return (await ctx.services.metadata.mountBlob(from, name, mount)) ? mount : undefined;
}

function requireDigest(value: string): Digest {
  if (!isDigest(value)) throw new ServeError('DIGEST_INVALID', `invalid digest "${value.slice(0, 100)}"`, { detail: { digest: value.slice(0, 100) } });
  return value;
}
