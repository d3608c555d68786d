/**
 * What every `/api/v1/` handler shares: the caller (authenticated exactly as
 * for `/v2/`: a token from `/token`, or Basic credentials), JSON errors
 * (`{"errors":[{"code","message"}]}`, the registry API's shape) and paging
 * (`?n=&last=`, a `Link: <…>; rel="next"` header when there is more, as the
 * catalog does).
 *
 * The 404-or-403 rule, as in `/v2/`: something the caller may not even see
 * (a project they have no role in) is 404 with the same body as when it does
 * not exist; something they can see but may not change is 403.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountsAccess } from '../../auth/accounts.js';
import type { Principal } from '../../auth/principal.js';
import type { AuditStore } from '../../metadata/audit-store.js';
import type { MetadataStore, Page } from '../../metadata/store.js';
import type { WebhookService } from '../../webhooks/service.js';

/** The audit log as the API reads it: the store, and a flush of this process's queue so that a read sees what was just done. */
export interface AuditLog {
  readonly store: Pick<AuditStore, 'query'>;
  flush?(): Promise<void>;
}

export type ApiErrorCode = 'UNAUTHORIZED' | 'DENIED' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'TOOMANYREQUESTS' | 'UNSUPPORTED';

const STATUS: Record<ApiErrorCode, number> = { UNAUTHORIZED: 401, DENIED: 403, NOT_FOUND: 404, CONFLICT: 409, INVALID: 400, TOOMANYREQUESTS: 429, UNSUPPORTED: 405 };

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export interface ApiDeps {
  readonly access: AccountsAccess;
  readonly metadata: MetadataStore;
  /** The audit log (audit.ts); absent, GET /audit answers 404. */
  readonly audit?: AuditLog;
  /** Webhooks of projects (webhooks.ts); their routes exist only when given. */
  readonly webhooks?: WebhookService;
  readonly now?: () => Date;
}

/**
 * What one admin action needs: the services, the caller, and the request
 * (its log, and its facts for the audit note). The API's handlers and the
 * UI's forms (ui/manage.ts) both act through the same functions with it, so
 * a rule or an audit record is written once.
 */
export interface ActingContext extends ApiDeps {
  readonly principal: Principal;
  readonly request: Pick<FastifyRequest, 'raw' | 'log'>;
}

export interface ApiContext extends ActingContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

/** `n` and `last` from the query: at most MAX_PAGE; one more is fetched to know whether there is a next page. */
export function pageOf(request: FastifyRequest): { page: Page; n: number } {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const nText = typeof query.n === 'string' ? query.n : undefined;
  if (nText !== undefined && !/^\d{1,6}$/.test(nText)) throw new ApiError('INVALID', `n must be a whole number, not "${nText.slice(0, 20)}"`);
  const n = Math.max(1, Math.min(MAX_PAGE, nText === undefined ? DEFAULT_PAGE : Number(nText)));
  const last = typeof query.last === 'string' ? query.last : undefined;
  return { page: { ...(last !== undefined ? { last } : {}), limit: n + 1 }, n };
}

/** Sends one page of `items` (fetched with pageOf's limit), with a Link to the next when there is one. */
export function sendPage<T>(ctx: ApiContext, path: string, key: string, items: readonly T[], n: number, nameOf: (item: T) => string, view: (item: T) => unknown): FastifyReply {
  const kept = items.slice(0, n);
  if (items.length > n && kept.length > 0) {
    const next = new URLSearchParams({ n: String(n), last: nameOf(kept[kept.length - 1]!) });
    ctx.reply.header('link', `<${path}?${next.toString()}>; rel="next"`);
  }
  return ctx.reply.code(200).send({ [key]: kept.map(view) });
}

/** The JSON body as an object; INVALID otherwise. */
export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('INVALID', 'send a JSON object (Content-Type: application/json)');
  return body as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, name: string, required: true): string;
export function stringField(body: Record<string, unknown>, name: string, required: false): string | undefined;
export function stringField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw new ApiError('INVALID', `"${name}" must be a string`);
  return value;
}

export function nowIso(ctx: Pick<ApiDeps, 'now'>): string {
  return (ctx.now?.() ?? new Date()).toISOString();
}

/** Passwords of new accounts: 12 to 1024 characters (long passphrases welcome, megabytes not). */
export function checkPassword(password: string): void {
  if (password.length < 12) throw new ApiError('INVALID', 'passwords must be at least 12 characters');
  if (password.length > 1024) throw new ApiError('INVALID', 'passwords must be at most 1024 characters');
}
