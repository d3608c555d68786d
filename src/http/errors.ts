/**
 * The fetcher's one error class. The codes are the network vocabulary the
 * CLI already maps to exit codes (UNREACHABLE, TLS, TIMEOUT, SERVER, …), so a
 * downloader that lets an HttpError through needs no new mapping; `status`
 * keeps what the server answered. Messages name the request, the URL
 * (without credentials or secret-looking query values) and the low-level
 * cause as the system gave it (ECONNREFUSED, ENOTFOUND, the TLS reason).
 */
import { STATUS_CODES } from 'node:http';
import { PortcullisError } from '../core/errors.js';

export type HttpErrorCode =
  /** Connection refused, DNS failure, host or network unreachable, connection reset after retries. */
  | 'UNREACHABLE'
  /** Certificate verification or TLS handshake failure. */
  | 'TLS'
  /** No byte for the idle timeout, or the whole request not done by its deadline. */
  | 'TIMEOUT'
  /** The body (or its announced Content-Length) is over the caller's cap. */
  | 'TOO_LARGE'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  /** 429 after the retries, or a Retry-After longer than we may wait. */
  | 'RATE_LIMITED'
  /** 5xx after the retries. */
  | 'SERVER'
  /** A proxy setting that cannot be used, a proxy that refused the tunnel or asked for credentials. */
  | 'PROXY'
  /** Anything else the server did wrong: an unexpected status, a bad redirect. */
  | 'PROTOCOL';

export class HttpError extends PortcullisError<HttpErrorCode> {
  readonly status: number | undefined;

  constructor(code: HttpErrorCode, message: string, details: { status?: number; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
  }
}

const SECRET_PARAM = /sig|token|key|secret|credential|auth|password/i;

/** A URL for messages: no userinfo; query values whose names look secret (signed URLs) are elided. */
export function describeUrl(url: URL | string): string {
  const u = new URL(String(url));
  const params = [...u.searchParams].map(([k, v]) => `${k}=${SECRET_PARAM.test(k) ? '…' : v}`);
  return `${u.protocol}//${u.host}${u.pathname}${params.length > 0 ? `?${params.join('&')}` : ''}`;
}

export function codeForStatus(status: number): HttpErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 407) return 'PROXY';
  if (status === 413) return 'TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER';
  return 'PROTOCOL';
}

/** "HTTP 503 Service Unavailable" */
export function describeStatus(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/** The error code string of a system or undici error (first of an AggregateError). */
export function errorCode(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = errorCode(error.errors[0]);
    if (inner) return inner;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== error ? errorCode(cause) : '';
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'EPROTO',
]);

export function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_');
}

/** Connection-level failures: the host (or the proxy) could not be reached or dropped us. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Failures worth another attempt: the connection was reset, not refused. */
export const RETRY_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
