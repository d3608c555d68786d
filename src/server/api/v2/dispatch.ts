/**
 * One entry for every `/v2/…` request: parse the path with the spec's
 * grammar (route.ts), refuse methods an endpoint does not have, ask the
 * authenticator for the access the method needs, then hand over to the
 * endpoint family's module. One catch-all instead of a router table because
 * repository names contain slashes, which route patterns cannot express.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BodyRateFloor, SlowBodyError, type ConnectionLimits } from '../../connection-limits.js';
import { ServeError } from '../../errors.js';
import { logAuthFailure } from '../../auth/failure-log.js';
import { factsOf } from '../../request-facts.js';
import type { Access, RegistryLimits } from '../../services.js';
import { base } from './base.js';
import { blob } from './blobs.js';
import { listCatalog } from './catalog.js';
import { API_VERSION, API_VERSION_HEADER, StatusServeError, type V2Context, type V2Services } from './context.js';
import { manifest, unknownManifest } from './manifests.js';
import { referrers } from './referrers.js';
import { parseV2Path, type V2Route } from './route.js';
import { listTags } from './tags.js';
import { tuf } from './tuf.js';
import { startUpload, upload } from './uploads.js';

const METHODS: Record<Exclude<V2Route['kind'], 'invalid' | 'unknown' | 'tuf'>, readonly string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET', 'HEAD'],
  tags: ['GET', 'HEAD'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  'upload-start': ['POST'],
  upload: ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'],
  referrers: ['GET', 'HEAD'],
};

export async function dispatchV2(
  services: V2Services,
  limits: RegistryLimits,
  connections: Pick<ConnectionLimits, 'minBodyBytesPerSecond' | 'bodyRateWindowMs'>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  reply.header(API_VERSION_HEADER, API_VERSION);
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const ctx: V2Context = {
    services,
    limits,
    request,
    reply,
    method: request.method,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    body: bodyOf(request, connections),
  };
  const route = parseV2Path(path);
  const facts = factsOf(request.raw);
  facts.route = route.kind;
  if ('name' in route) facts.repository = route.name;
  if (route.kind === 'unknown') throw new StatusServeError(404, 'UNSUPPORTED', `no such endpoint: ${request.method} ${path.slice(0, 200)}`);
  if (route.kind === 'invalid' && route.manifest !== undefined && ['GET', 'HEAD', 'DELETE'].includes(ctx.method)) {
    // A reference that cannot exist is a manifest that does not exist (the conformance suite wants 404, not 400).
    facts.repository = route.manifest.name;
    const principal = await authorize(ctx, { kind: 'manifest', name: route.manifest.name, reference: { tag: 'invalid' } });
    throw await unknownManifest(principal === undefined ? ctx : { ...ctx, principal }, route.manifest.name, { invalid: route.manifest.reference });
  }
  if (route.kind === 'invalid') throw invalidRoute(route.what);
  if (route.kind !== 'tuf' && !METHODS[route.kind].includes(ctx.method)) {
    throw new ServeError('UNSUPPORTED', `${ctx.method} is not supported on this endpoint`);
  }
  const principal = await authorize(ctx, route);
  return endpoint(principal === undefined ? ctx : { ...ctx, principal }, route);
}

function endpoint(ctx: V2Context, route: Exclude<V2Route, { kind: 'invalid' | 'unknown' }>): FastifyReply | Promise<FastifyReply> {
  switch (route.kind) {
    case 'base':
      return base(ctx);
    case 'catalog':
      return listCatalog(ctx);
    case 'tags':
      return listTags(ctx, route.name);
    case 'manifest':
      return manifest(ctx, route.name, route.reference);
    case 'blob':
      return blob(ctx, route.name, route.digest);
    case 'upload-start':
      return startUpload(ctx, route.name);
    case 'upload':
      return upload(ctx, route.name, route.id);
    case 'referrers':
      return referrers(ctx, route.name, route.digest);
    case 'tuf':
      return tuf(ctx, route.name, route.rest);
  }
}

/** The raw body behind the rate floor when there is one; the bare request otherwise (nothing to trickle). */
function bodyOf(request: FastifyRequest, connections: Pick<ConnectionLimits, 'minBodyBytesPerSecond' | 'bodyRateWindowMs'>): Readable {
  const raw = request.raw;
  const length = request.headers['content-length'];
  const hasBody = length !== undefined ? length !== '0' : request.headers['transfer-encoding'] !== undefined;
  if (!hasBody || connections.minBodyBytesPerSecond <= 0) return raw;
  const floor = new BodyRateFloor(connections.minBodyBytesPerSecond, connections.bodyRateWindowMs);
  // Not stream.pipeline: it destroys `raw` (so the keep-alive socket) even after a clean end.
  raw.pipe(floor);
  raw.once('error', (error) => floor.destroy(error));
  // A slow body ends the connection: the error reaches whoever reads `floor`, and the socket is closed.
  floor.once('error', (error) => {
    if (error instanceof SlowBodyError) raw.destroy(error);
  });
  return floor;
}

export function accessFor(method: string): Access {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  if (method === 'DELETE') return 'delete';
  return 'push';
}

/** Throws the refusal, or returns the signed-in user (undefined: anonymous, or no authentication configured). */
async function authorize(ctx: V2Context, route: Exclude<V2Route, { kind: 'invalid' | 'unknown' }>): Promise<string | undefined> {
  const auth = ctx.services.auth;
  if (!auth) return undefined;
  const repository = 'name' in route ? route.name : undefined;
  const access = accessFor(ctx.method);
  const result = await auth.authorize(ctx.request, access, repository);
  if (result.ok) {
    if (result.user !== undefined) factsOf(ctx.request.raw).principal = result.user;
    return result.user;
  }
  logAuthFailure(ctx.request, result, access, repository);
  if (result.reason === 'rate-limited') {
    // Decided before any password check: the caller waits, the server spends nothing.
    ctx.reply.header('Retry-After', String(result.retryAfterSeconds ?? 60));
    throw new ServeError('TOOMANYREQUESTS', 'too many failed logins: retry later', { detail: { retryAfter: result.retryAfterSeconds ?? 60 } });
  }
  ctx.reply.header('WWW-Authenticate', result.challenge);
  if (result.denied) throw new ServeError('DENIED', 'requested access to the resource is denied', { detail: { repository: repository ?? null } });
  throw new ServeError('UNAUTHORIZED', 'authentication required', { detail: { repository: repository ?? null } });
}

function invalidRoute(what: 'name' | 'reference' | 'digest'): ServeError {
  switch (what) {
    case 'name':
      return new ServeError('NAME_INVALID', 'invalid repository name');
    case 'digest':
      return new ServeError('DIGEST_INVALID', 'invalid digest');
    case 'reference':
      return new ServeError('MANIFEST_INVALID', 'invalid tag or digest');
  }
}
