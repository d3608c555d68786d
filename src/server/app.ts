/**
 * Builds the registry's Fastify app from injected services without listening
 * (design example 9): tests drive it with `inject`, `listen.ts` listens.
 * The `/v2` API lives in its own encapsulated plugin so that its choices —
 * no body parsing (blob bodies stream to storage), the spec's JSON errors —
 * do not leak into routes the caller adds with `options.plugins` (`/ui`,
 * `/metrics`), which are registered first, unencapsulated, so their hooks
 * see `/v2` requests too.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { API_VERSION, API_VERSION_HEADER, DEFAULT_LIMITS, errorResponse } from './api/v2/context.js';
import { dispatchV2 } from './api/v2/dispatch.js';
import { DEFAULT_CONNECTION_LIMITS, guardConnections, nodeServerOptions, type ConnectionLimits } from './connection-limits.js';
import { ServeError } from './errors.js';
import { isStorageFull, silentLog, type RegistryLog } from './log.js';
import { factsOf } from './request-facts.js';
import type { RegistryLimits, RegistryServices } from './services.js';
import { UploadSessions } from './upload-sessions.js';
import { BodyBudget } from './body-budget.js';

export type RegistryPlugin = (app: FastifyInstance) => void | Promise<void>;

export interface BuildOptions {
  /** Extra routes and hooks (UI, metrics), registered before the API. */
  readonly plugins?: readonly RegistryPlugin[];
  /** The operator log (log.ts); silent by default. One `request` line per answered request. */
  readonly log?: RegistryLog;
  /** Timeouts and connection caps (connection-limits.ts); defaults there. */
  readonly connections?: Partial<ConnectionLimits>;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

const V2_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Headers a handler may have set before it failed; an error answer must not carry them. */
const SUCCESS_HEADERS = ['content-length', 'content-range', 'docker-content-digest', 'etag', 'cache-control', 'accept-ranges', 'location', 'range', 'docker-upload-uuid'];

export function buildApp(given: RegistryServices, options: BuildOptions = {}): FastifyInstance {
  const services = { ...given, uploads: given.uploads ?? new UploadSessions(), bodyBudget: given.bodyBudget ?? new BodyBudget() };
  const limits = liveLimits(services.limits);
  const tls = options.tls;
  const log = options.log ?? silentLog();
  const connections: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connections };
  const serverOptions = nodeServerOptions(connections);
  const settings = {
    loggerInstance: log as FastifyBaseLogger,
    // One line per request, written when the response closes (logRequest, below) with what the API learned.
    logController: new LogController({ disableRequestLogging: true }),
    // Our own ids: a client-chosen one would let callers forge or collide log correlations.
    requestIdHeader: false as const,
    genReqId: () => randomBytes(8).toString('hex'),
    // Repository names are long and contain slashes; the route grammar, not the router, bounds them.
    routerOptions: { maxParamLength: 4096 },
    // Node's own deadlines (headers, whole request, keep-alive) and the guard's caps, on the server we create.
    serverFactory: (handler: RequestListener): Server => {
      const server = tls ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, handler) : createHttpServer(serverOptions, handler);
      guardConnections(server, connections, (refused) =>
        log.warn({ event: 'connection.refused', ...refused }, `refused a connection from ${refused.address}: ${refused.open} open, limit ${refused.limit} (${refused.reason})`),
      );
      return server;
    },
  };
  const app = Fastify(settings) as unknown as FastifyInstance;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  // An answer given before the body was read (refused, storage full) leaves the rest of the body on the
  // socket, where it would be parsed as the next request: close the connection instead of keeping it alive.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.raw.complete) reply.header('Connection', 'close');
    return payload;
  });
  // The request line is written when the response closes, not at Fastify's onResponse: that hook never runs
  // for a client that hangs up before the answer is finished (skopeo leaves as soon as it has a manifest; a
  // client may abandon a large blob), and the operator must still see those requests, marked `aborted`.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => logRequest(request, reply));
  });
  for (const plugin of options.plugins ?? []) {
    const wrapped = async (instance: FastifyInstance): Promise<void> => {
      await plugin(instance);
    };
    // fastify-plugin's marker: run in the root context instead of an encapsulated one.
    Object.defineProperty(wrapped, Symbol.for('skip-override'), { value: true });
    void app.register(wrapped);
  }

  void app.register(async (v2) => {
    v2.removeAllContentTypeParsers();
    v2.addContentTypeParser('*', (_request, _payload, done) => done(null));
    v2.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply));
    v2.setNotFoundHandler((request, reply) => {
      reply.header(API_VERSION_HEADER, API_VERSION);
      return sendError(Object.assign(new Error(`no such endpoint: ${request.method} ${request.url.slice(0, 200)}`), { statusCode: 404 }), request, reply);
    });
    v2.route({ method: [...V2_METHODS], url: '/', handler: (request, reply) => dispatchV2(services, limits, connections, request, reply) });
    v2.route({ method: [...V2_METHODS], url: '/*', handler: (request, reply) => dispatchV2(services, limits, connections, request, reply) });
  }, { prefix: '/v2' });

  return app;
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, internal } = errorResponse(error);
  if (isStorageFull(error)) {
    request.log.error({ event: 'storage.full', method: request.method, path: request.url.split('?')[0], err: error }, 'storage is full: the request was not stored');
  } else if (internal) {
    request.log.error({ event: 'error', method: request.method, path: request.url.split('?')[0], err: error }, 'request failed with an internal error');
  }
  for (const header of SUCCESS_HEADERS) reply.removeHeader(header);
  // A push that met garbage collection mid-blob: worth retrying at once (gc/push-guard.ts).
  if (error instanceof ServeError && error.code === 'UNAVAILABLE' && reply.getHeader('retry-after') === undefined) reply.header('Retry-After', '1');
  const detail = (error as { detail?: unknown }).detail;
  if (status === 416 && typeof detail === 'object' && detail !== null && typeof (detail as { size?: unknown }).size === 'number') {
    reply.header('Content-Range', `bytes */${(detail as { size: number }).size}`);
  }
  const bytes = Buffer.from(body);
  return reply.code(status).header('Content-Type', 'application/json; charset=utf-8').header('Content-Length', bytes.length).send(request.method === 'HEAD' ? undefined : bytes);
}

/** The limits, read at each use from the object given, so that a configuration reload's new caps apply (live-config.ts). */
function liveLimits(given: Partial<RegistryLimits> | undefined): RegistryLimits {
  return {
    get maxManifestBytes() {
      return given?.maxManifestBytes ?? DEFAULT_LIMITS.maxManifestBytes;
    },
    get maxBlobBytes() {
      return given?.maxBlobBytes ?? DEFAULT_LIMITS.maxBlobBytes;
    },
    get maxUploadsPerClient() {
      return given?.maxUploadsPerClient ?? DEFAULT_LIMITS.maxUploadsPerClient;
    },
  };
}

/** The path's first segment, for requests the API did not describe (`/ui/…`, `/metrics`). */
function routeOf(url: string): string {
  const segment = /^\/([^/?]*)/.exec(url)?.[1] ?? '';
  return segment === '' ? 'root' : segment.slice(0, 32);
}

/** The operator log's line for one request (see the onRequest hook in buildApp). */
function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const facts = factsOf(request.raw);
  const length = Number(reply.getHeader('content-length'));
  const aborted = !reply.raw.writableFinished;
  request.log.info(
    {
      event: 'request',
      method: request.method,
      path: request.url.split('?')[0]!.slice(0, 512),
      route: facts.route ?? routeOf(request.url),
      ...(facts.repository !== undefined ? { repository: facts.repository } : {}),
      status: reply.statusCode,
      // The declared length, when it all went out; a client that left took less.
      ...(Number.isFinite(length) && request.method !== 'HEAD' && !aborted ? { bytesOut: length } : {}),
      ...(facts.bytesIn !== undefined ? { bytesIn: facts.bytesIn } : {}),
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ...(facts.principal !== undefined ? { principal: facts.principal } : {}),
      ip: request.ip,
      ...(aborted ? { aborted: true } : {}),
    },
    `${request.method} ${request.url.split('?')[0]!.slice(0, 200)} ${reply.statusCode}${aborted ? ' (client left before the end)' : ''}`,
  );
}
