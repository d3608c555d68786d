/**
 * `HEAD|GET|PUT|DELETE /v2/<name>/manifests/<tag|digest>`. A manifest is kept
 * as the exact bytes pushed (its digest is of those bytes) and served back
 * as stored with its stored media type, never converted, whatever Accept
 * says. A push is refused unless everything it references is already in the
 * repository — checked again inside the transaction that records it, so a
 * blob deleted meanwhile cannot slip through — and so a tag never points at
 * an image that cannot be pulled. The pull policy decides before any manifest
 * bytes leave. Pushes, deletions and refused pulls are told to the
 * registry's events (services.ts RegistryEvents: scans, webhooks), with who
 * made the request.
 *
 * A push is where the project's quota is checked (403 DENIED when the
 * manifest's bytes would take it over). DELETE by tag removes the tag; by
 * digest, the manifest, its tags and its accessories (signatures,
 * attestations, SBOMs, the referrers fallback index: gc/cascade.ts). A
 * reference that does not exist, or could not exist (a malformed digest or
 * tag), is 404: MANIFEST_UNKNOWN, or NAME_UNKNOWN when the repository does
 * not exist, as the conformance suite expects.
 */
import type { FastifyReply } from 'fastify';
import { digestAlgorithm, digestOf, type Descriptor, type Digest } from '../../../core/index.js';
import { ServeError } from '../../errors.js';
import type { ManifestRecord } from '../../metadata/store.js';
import type { EventActor } from '../../services.js';
import { factsOf } from '../../request-facts.js';
import { noteAudit } from '../../audit/notes.js';
import type { ManifestReference } from './route.js';
import { readBodyCapped, sendEmpty, type V2Context } from './context.js';
import { readManifestBody } from './manifest-body.js';
import { checkQuota, deleteWithAccessories, reserveForPush } from '../../gc/index.js';

export async function manifest(ctx: V2Context, name: string, reference: ManifestReference): Promise<FastifyReply> {
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return getManifest(ctx, name, reference);
    case 'PUT':
      return putManifest(ctx, name, reference);
    case 'DELETE':
      return deleteManifest(ctx, name, reference);
    default:
      throw new ServeError('UNSUPPORTED', `${ctx.method} is not supported on manifests`);
  }
}

async function getManifest(ctx: V2Context, name: string, reference: ManifestReference): Promise<FastifyReply> {
  const { metadata, blobs, pullPolicy } = ctx.services;
  const digest = 'digest' in reference ? reference.digest : await metadata.resolveTag(name, reference.tag);
  const record = digest === undefined ? undefined : await metadata.getManifest(name, digest);
  if (!record) throw await unknownManifest(ctx, name, reference);
  factsOf(ctx.request.raw).digest = record.digest;
  // HEAD reveals only the digest, never content: it stays open so publishers can
  // resolve and sign what they pushed (cosign and `portcullis sign` resolve with HEAD).
  if (pullPolicy && ctx.method === 'GET') {
    const decision = await pullPolicy.check(record, 'tag' in reference ? reference.tag : undefined);
    if (!decision.allowed) {
      const facts = factsOf(ctx.request.raw);
      facts.denied = { reason: decision.reason, ...(decision.kind !== undefined ? { kind: decision.kind } : {}) };
      ctx.request.log.warn(
        { event: 'pull.denied', repository: name, digest: record.digest, reason: decision.reason, ...(facts.principal !== undefined ? { principal: facts.principal } : {}), ip: ctx.request.ip },
        `pull of ${name}@${record.digest} refused: ${decision.reason}`,
      );
      try {
        ctx.services.events?.pullDenied?.(record, decision, 'tag' in reference ? reference.tag : undefined, actorOf(facts.principal));
      } catch (error) {
        ctx.request.log.error({ event: 'error', err: error }, 'pullDenied listener failed');
      }
      throw new ServeError('DENIED', decision.reason, { detail: { digest: record.digest, reason: decision.reason } });
    }
  }
  ctx.reply.code(200).headers({
    'Content-Type': record.mediaType,
    'Content-Length': record.size,
    'Docker-Content-Digest': record.digest,
    ETag: `"${record.digest}"`,
  });
  if (ctx.method === 'HEAD') return ctx.reply.send();
  return ctx.reply.send(await blobs.read(record.digest));
}

async function putManifest(ctx: V2Context, name: string, reference: ManifestReference): Promise<FastifyReply> {
  const { metadata, blobs, events } = ctx.services;
  const bytes = await readBodyCapped(ctx, ctx.limits.maxManifestBytes, 'manifest');
  factsOf(ctx.request.raw).bytesIn = bytes.length;
  const algorithm = 'digest' in reference ? digestAlgorithm(reference.digest) : 'sha256';
  const digest = digestOf(bytes, algorithm);
  if ('digest' in reference && reference.digest !== digest) {
    throw new ServeError('DIGEST_INVALID', `manifest bytes have digest ${digest}, not ${reference.digest}`, { detail: { digest: reference.digest } });
  }
  const body = readManifestBody(bytes, ctx.request.headers['content-type']);
  // Each distinct digest is looked up once (every descriptor's size is still compared), and a child without its
  // references: a 4 MiB index listing one child 28,000 times, the child listing 28,000 layers, took minutes of CPU
  // when every entry loaded its child whole.
  const blobSizes = await sizesOf(body.blobs, async (digest) => ((await metadata.isBlobLinked(name, digest)) ? (await blobs.stat(digest))?.size : undefined));
  for (const blob of body.blobs) {
    const stored = blobSizes.get(blob.digest);
    if (stored === undefined) throw new ServeError('MANIFEST_BLOB_UNKNOWN', `blob ${blob.digest} is not in repository ${name}`, { detail: { digest: blob.digest } });
    // A descriptor's size is part of what clients verify: one that lies would make every pull fail, or hide appended bytes.
    if (stored !== blob.size) throw sizeMismatch('blob', blob.digest, blob.size, stored);
  }
  const childSizes = await sizesOf(body.children, async (digest) => (await metadata.getManifestEntry(name, digest))?.size);
  for (const child of body.children) {
    const stored = childSizes.get(child.digest);
    if (stored === undefined) throw new ServeError('MANIFEST_BLOB_UNKNOWN', `manifest ${child.digest} is not in repository ${name}`, { detail: { digest: child.digest } });
    if (stored !== child.size) throw sizeMismatch('manifest', child.digest, child.size, stored);
  }
  await checkQuota(ctx.services, name, digest, bytes.length);
  // Reserved before the bytes are written (the store keeps a copy it already has), recorded with the reservation.
  const reservation = await reserveForPush(ctx.services, digest, ctx.services.pushGuard);
  await blobs.putBytes(digest, bytes);
  const record: ManifestRecord = {
    repository: name,
    digest,
    mediaType: body.mediaType,
    size: bytes.length,
    references: body.references,
    pushedAt: new Date().toISOString(),
    ...(body.artifactType !== undefined ? { artifactType: body.artifactType } : {}),
    ...(body.subject !== undefined ? { subject: body.subject } : {}),
    ...(body.annotations !== undefined ? { annotations: body.annotations } : {}),
  };
  const tag = 'tag' in reference ? reference.tag : undefined;
  await metadata.putManifest(record, tag, { reservation, linked: body.blobs.map((b) => b.digest), children: body.children.map((c) => c.digest) });
  const principal = factsOf(ctx.request.raw).principal;
  ctx.request.log.info(
    { event: 'push', repository: name, digest, ...(tag !== undefined ? { tag } : {}), mediaType: body.mediaType, size: bytes.length, ...(principal !== undefined ? { principal } : {}) },
    `pushed ${name}${tag !== undefined ? `:${tag}` : ''} (${digest})`,
  );
  try {
    events?.manifestPushed(record, tag, actorOf(principal));
  } catch (error) {
    ctx.request.log.error({ event: 'error', err: error }, 'manifestPushed listener failed');
  }
  return sendEmpty(ctx, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(body.subject !== undefined ? { 'OCI-Subject': body.subject } : {}),
  });
}

async function deleteManifest(ctx: V2Context, name: string, reference: ManifestReference): Promise<FastifyReply> {
  const { metadata, events } = ctx.services;
  const principal = factsOf(ctx.request.raw).principal;
  const who = principal !== undefined ? { principal } : {};
  if ('tag' in reference) {
    const digest = await metadata.resolveTag(name, reference.tag);
    if (digest === undefined || !(await metadata.deleteTag(name, reference.tag))) throw await unknownManifest(ctx, name, reference);
    ctx.request.log.info({ event: 'delete', repository: name, tag: reference.tag, digest, ...who }, `deleted tag ${name}:${reference.tag}`);
    noteAudit(ctx.request, { action: 'delete', repository: name, tag: reference.tag, digest, detail: { what: 'tag' } });
    try {
      events?.tagDeleted?.(name, reference.tag, digest, actorOf(principal));
    } catch (error) {
      ctx.request.log.error({ event: 'error', err: error }, 'tagDeleted listener failed');
    }
    return sendEmpty(ctx, 202);
  }
  const accessories = await deleteWithAccessories(metadata, name, reference.digest, new Date().toISOString());
  if (accessories === undefined) throw await unknownManifest(ctx, name, reference);
  ctx.request.log.info(
    { event: 'delete', repository: name, digest: reference.digest, ...(accessories.length > 0 ? { accessories } : {}), ...who },
    `deleted ${name}@${reference.digest}${accessories.length > 0 ? ` and ${accessories.length} accessor${accessories.length === 1 ? 'y' : 'ies'}` : ''}`,
  );
  noteAudit(ctx.request, { action: 'delete', repository: name, digest: reference.digest, detail: { what: 'manifest', accessories: accessories.length } });
  for (const digest of [reference.digest, ...accessories]) {
    try {
      events?.manifestDeleted?.(name, digest, actorOf(principal));
    } catch (error) {
      ctx.request.log.error({ event: 'error', err: error }, 'manifestDeleted listener failed');
    }
  }
  return sendEmpty(ctx, 202);
}

function actorOf(principal: string | undefined): EventActor {
  return principal !== undefined ? { actor: principal } : {};
}

/** The stored size of each distinct digest the descriptors name (undefined: not there), each looked up once, in order. */
async function sizesOf(descriptors: readonly Descriptor[], lookup: (digest: Digest) => Promise<number | undefined>): Promise<Map<Digest, number | undefined>> {
  const sizes = new Map<Digest, number | undefined>();
  for (const d of descriptors) {
    if (sizes.has(d.digest)) continue;
    const size = await lookup(d.digest);
    sizes.set(d.digest, size);
    // The first missing one is the answer: no need to look further.
    if (size === undefined) break;
  }
  return sizes;
}

function sizeMismatch(what: string, digest: string, declared: number, actual: number): ServeError {
  return new ServeError('MANIFEST_INVALID', `the descriptor of ${what} ${digest} says ${declared} bytes, but it has ${actual}`, { detail: { digest, declared, actual } });
}

/** NAME_UNKNOWN when the repository does not exist, MANIFEST_UNKNOWN otherwise (both 404). */
export async function unknownManifest(ctx: V2Context, name: string, reference: ManifestReference | { readonly invalid: string }): Promise<ServeError> {
  if (!(await ctx.services.metadata.repositoryExists(name))) {
    return new ServeError('NAME_UNKNOWN', `repository ${name} is unknown`, { detail: { name } });
  }
  const what = 'tag' in reference ? reference.tag : 'digest' in reference ? reference.digest : reference.invalid;
  return new ServeError('MANIFEST_UNKNOWN', `manifest ${what} is unknown to repository ${name}`, { detail: { name, reference: what } });
}
