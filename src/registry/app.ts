/**
 * Builds the registry's Fastify app from injected services without listening
 * (design example 9): tests drive it with `inject`, `server.ts` listens.
 * The `/v2` API lives in its own encapsulated plugin so that its choices —
 * no body parsing (blob bodies stream to storage), the spec's JSON errors —
 * do not leak into routes the caller adds with `options.plugins` (`/ui`,
 * `/metrics`), which are registered first, unencapsulated, so their hooks
 * see `/v2` requests too.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { API_VERSION, API_VERSION_HEADER, DEFAULT_LIMITS, errorResponse } from './api/v2/context.js';
import { dispatchV2 } from './api/v2/dispatch.js';
import type { RegistryLimits, RegistryServices } from './services.js';

export type RegistryPlugin = (app: FastifyInstance) => void | Promise<void>;

export interface BuildOptions {
  /** Extra routes and hooks (UI, metrics), registered before the API. */
  readonly plugins?: readonly RegistryPlugin[];
  /** Fastify's own logger (pino), off by default. */
  readonly logger?: boolean;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

const V2_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Headers a handler may have set before it failed; an error answer must not carry them. */
const SUCCESS_HEADERS = ['content-length', 'content-range', 'docker-content-digest', 'etag', 'cache-control', 'accept-ranges', 'location', 'range', 'docker-upload-uuid'];

export function buildApp(services: RegistryServices, options: BuildOptions = {}): FastifyInstance {
  const limits: RegistryLimits = { ...DEFAULT_LIMITS, ...services.limits };
  const tls = options.tls;
  const settings = {
    logger: options.logger ?? false,
    // Repository names are long and contain slashes; the route grammar, not the router, bounds them.
    routerOptions: { maxParamLength: 4096 },
    // Large blob uploads take as long as they take.
    requestTimeout: 0,
  };
  // An HTTPS app has other type parameters; callers only need the common surface.
  const app: FastifyInstance = tls ? (Fastify({ ...settings, https: { cert: tls.cert, key: tls.key } }) as unknown as FastifyInstance) : Fastify(settings);

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
    v2.route({ method: [...V2_METHODS], url: '/', handler: (request, reply) => dispatchV2(services, limits, request, reply) });
    v2.route({ method: [...V2_METHODS], url: '/*', handler: (request, reply) => dispatchV2(services, limits, request, reply) });
  }, { prefix: '/v2' });

  return app;
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, internal } = errorResponse(error);
  if (internal) request.log.error({ err: error }, 'registry request failed');
  for (const header of SUCCESS_HEADERS) reply.removeHeader(header);
  const detail = (error as { detail?: unknown }).detail;
  if (status === 416 && typeof detail === 'object' && detail !== null && typeof (detail as { size?: unknown }).size === 'number') {
    reply.header('Content-Range', `bytes */${(detail as { size: number }).size}`);
  }
  const bytes = Buffer.from(body);
  return reply.code(status).header('Content-Type', 'application/json; charset=utf-8').header('Content-Length', bytes.length).send(request.method === 'HEAD' ? undefined : bytes);
}
