/**
 * One entry for every `/v2/…` request: authenticate the caller, parse the
 * path with the spec's grammar (route.ts), refuse methods an endpoint does
 * not have, ask whether the caller may do what the request does (access.ts:
 * 401, 403, or the endpoint's own not-found answer), then hand over to the
 * endpoint family's module. Authentication comes first, so a client without
 * credentials learns the challenge even from a malformed request. One
 * catch-all instead of a router table because repository names contain
 * slashes, which route patterns cannot express.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BodyRateFloor, SlowBodyError, type ConnectionLimits } from '../../connection-limits.js';
import { ServeError } from '../../errors.js';
import { principalName } from '../../auth/principal.js';
import { factsOf } from '../../request-facts.js';
import type { RegistryLimits } from '../../services.js';
import { admit, authenticate, requireSignedInForErrors, type ValidRoute } from './access.js';
import { base } from './base.js';
import { blob, unknownBlob } from './blobs.js';
import { listCatalog } from './catalog.js';
import { API_VERSION, API_VERSION_HEADER, StatusServeError, type V2Context, type V2Services } from './context.js';
import { manifest, unknownManifest } from './manifests.js';
import { referrers } from './referrers.js';
import { parseV2Path, type V2Route } from './route.js';
import { listTags, unknownRepository } from './tags.js';
import { tuf, unknownTrustData } from './tuf.js';
import { startUpload, unknownUpload, upload } from './uploads.js';

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
  if (route.kind === 'manifest') Object.assign(facts, 'tag' in route.reference ? { tag: route.reference.tag } : { digest: route.reference.digest });
  if (route.kind === 'blob') facts.digest = route.digest;
  const auth = services.auth;
  const caller = await authenticate(ctx, auth);
  const known = route.kind !== 'unknown' && route.kind !== 'invalid' && (route.kind === 'tuf' || METHODS[route.kind].includes(ctx.method));
  if (!known) requireSignedInForErrors(ctx, auth, caller);
  if (route.kind === 'unknown') throw new StatusServeError(404, 'UNSUPPORTED', `no such endpoint: ${request.method} ${path.slice(0, 200)}`);
  if (route.kind === 'invalid' && route.manifest !== undefined && ['GET', 'HEAD', 'DELETE'].includes(ctx.method)) {
    // A reference that cannot exist is a manifest that does not exist (the conformance suite wants 404, not 400).
    const { name, reference } = route.manifest;
    facts.repository = name;
    // Asked as a read of that repository: what the caller may not see answers as a repository that does not exist.
    await admit(ctx, auth, caller, { kind: 'manifest', name, reference: { tag: 'latest' } }, () => unknownRepository(name));
    throw await unknownManifest({ ...ctx, caller }, name, { invalid: reference });
  }
  if (route.kind === 'invalid') throw invalidRoute(route.what);
  if (route.kind !== 'tuf' && !METHODS[route.kind].includes(ctx.method)) {
    throw new ServeError('UNSUPPORTED', `${ctx.method} is not supported on this endpoint`);
  }
  const admitted = await admit(ctx, auth, caller, route, () => notFound(route));
  const principal = caller.principal.kind === 'anonymous' ? undefined : principalName(caller.principal);
  const allowed: V2Context = { ...ctx, caller, ...(principal !== undefined ? { principal } : {}) };
  if (admitted === 'invisible' && route.kind === 'referrers') return referrers(allowed, route.name, route.digest, false);
  if (admitted === 'invisible' && route.kind === 'tuf') return unknownTrustData(allowed);
  return endpoint(allowed, route);
}

/** What each endpoint answers for something that does not exist: also the answer for what the caller may not see. */
function notFound(route: ValidRoute): ServeError | 'answer-here' {
  switch (route.kind) {
    case 'manifest':
      // What a repository that does not exist answers (manifests.ts, unknownManifest): NAME_UNKNOWN.
      return unknownRepository(route.name);
    case 'blob':
      return unknownBlob(route.digest);
    case 'upload':
      return unknownUpload(route.id);
    case 'referrers':
    case 'tuf':
      return 'answer-here';
    default:
      return unknownRepository('name' in route ? route.name : '');
  }
}

function endpoint(ctx: V2Context, route: ValidRoute): FastifyReply | Promise<FastifyReply> {
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
