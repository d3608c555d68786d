/**
 * What every `/v2/` handler shares: the request as the handlers see it (path
 * already parsed, query as URLSearchParams, the raw body stream untouched),
 * the spec's error body, and bounded body reading. Kept apart so each
 * endpoint family's module holds only its own rules.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPortcullisError } from '../../../core/errors.js';
import { httpStatusOf, ServeError, type ServeErrorCode } from '../../errors.js';
import { isStorageFull } from '../../log.js';
import type { RegistryLimits, RegistryServices } from '../../services.js';
import { UploadSessions } from '../../upload-sessions.js';
import type { BodyBudget } from '../../body-budget.js';
import type { Caller } from './access.js';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';
export const API_VERSION = 'registry/2.0';

export const DEFAULT_LIMITS: RegistryLimits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxBlobBytes: Number.MAX_SAFE_INTEGER,
  maxUploadsPerClient: 1000,
};
/** Largest body passed to the Notary service. */
export const MAX_TUF_BODY_BYTES = 10 * 1024 * 1024;

/** The services as the API sees them: `buildApp` always supplies the upload-session counter and the body budget. */
export type V2Services = RegistryServices & { readonly uploads: UploadSessions; readonly bodyBudget: BodyBudget };

export interface V2Context {
  readonly services: V2Services;
  readonly limits: RegistryLimits;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly method: string;
  readonly query: URLSearchParams;
  /** The body, unread (behind the body-rate floor): handlers stream or cap it themselves. */
  readonly body: Readable;
  /** The signed-in user; undefined for anonymous callers and when no authentication is configured. */
  readonly principal?: string;
  /** Who the caller is, and their token's grants (access.ts); set once admitted. */
  readonly caller?: Caller;
}

/** A ServeError whose HTTP status is not the code's usual one (413 for an oversized manifest). */
export class StatusServeError extends ServeError {
  constructor(
    readonly status: number,
    code: ServeErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: unknown },
  ) {
    super(code, message, options);
  }
}

export function errorBody(code: string, message: string, detail?: unknown): string {
  return JSON.stringify({ errors: [{ code, message, detail: detail ?? null }] });
}

/** The status and body for any error a handler threw. */
export function errorResponse(error: unknown): { status: number; body: string; internal: boolean } {
  // distribution answers storage failures with its generic UNKNOWN code; 507 says what kind.
  if (isStorageFull(error)) return { status: 507, body: errorBody('UNKNOWN', 'the registry\'s storage is full: nothing was stored; retry once the operator has freed space'), internal: true };
  if (error instanceof StatusServeError) return { status: error.status, body: errorBody(error.code, error.message, error.detail), internal: false };
  if (error instanceof ServeError) {
    const internal = error.code === 'INTERNAL' || error.code === 'CONFIG_INVALID';
    return { status: httpStatusOf(error.code), body: errorBody(error.code, internal ? 'internal error' : error.message, internal ? undefined : error.detail), internal };
  }
  if (isPortcullisError(error)) {
    return { status: 400, body: errorBody('UNSUPPORTED', error.message), internal: false };
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: errorBody(status === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED', (error as Error).message), internal: false };
  }
  return { status: 500, body: errorBody('INTERNAL', 'internal error'), internal: true };
}

export function sendJson(ctx: V2Context, status: number, value: unknown, contentType = 'application/json; charset=utf-8'): FastifyReply {
  const body = Buffer.from(JSON.stringify(value));
  return ctx.reply.code(status).header('Content-Type', contentType).header('Content-Length', body.length).send(ctx.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(ctx: V2Context, status: number, headers: Record<string, string | number> = {}): FastifyReply {
  ctx.reply.code(status).headers(headers);
  if (status !== 204) ctx.reply.header('Content-Length', 0);
  return ctx.reply.send();
}

/** Reads the whole body, failing as soon as it passes `maxBytes` (and before, from Content-Length). */
export async function readBodyCapped(ctx: V2Context, maxBytes: number, what: string): Promise<Buffer> {
  const declared = declaredLength(ctx);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(what, maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  const budget = ctx.services.bodyBudget;
  const client = UploadSessions.clientOf(ctx.principal, ctx.request.ip);
  try {
    for await (const chunk of ctx.body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBytes) throw tooLarge(what, maxBytes);
      if (!budget.take(client, buf.length)) {
        total -= buf.length;
        throw overBudget(ctx, what);
      }
      chunks.push(buf);
    }
  } catch (error) {
    if (error instanceof ServeError) throw error;
    throw new ServeError('BLOB_UPLOAD_INVALID', `${what}: the request body ended early`, { cause: error });
  } finally {
    // Held while it streams in (what a trickler makes us keep); the whole body, once read, is the handler's.
    budget.give(client, total);
  }
  if (declared !== undefined && total !== declared) {
    throw new ServeError('SIZE_INVALID', `${what}: received ${total} bytes, Content-Length said ${declared}`);
  }
  return Buffer.concat(chunks, total);
}

/** Content-Length as a number; undefined when absent; SIZE_INVALID when it is not a number. */
export function declaredLength(ctx: V2Context): number | undefined {
  const value = ctx.request.headers['content-length'];
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ServeError('SIZE_INVALID', `invalid Content-Length "${value}"`);
  return Number(value);
}

/** Past the process's budget for bodies held in memory (body-budget.ts): 429, and the connection closed. */
function overBudget(ctx: V2Context, what: string): ServeError {
  ctx.request.log.warn({ event: 'body.limited', reqId: ctx.request.id, what, ip: ctx.request.ip }, `refused a ${what} body: too many bodies are being received at once`);
  ctx.reply.header('Retry-After', '5').header('Connection', 'close');
  return new ServeError('TOOMANYREQUESTS', `too many ${what} bodies are being received at once: retry shortly`);
}

function tooLarge(what: string, maxBytes: number): StatusServeError {
  return new StatusServeError(413, 'SIZE_INVALID', `${what} is larger than the ${maxBytes}-byte limit`, { detail: { limit: maxBytes } });
}

/** True when the request carries (or may carry) a body. */
export function hasBody(ctx: V2Context): boolean {
  const length = ctx.request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return ctx.request.headers['transfer-encoding'] !== undefined;
}

export function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

/** distribution's Range header for an upload: `0-<last byte>`, and `0-0` when empty. */
export function uploadRange(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}
