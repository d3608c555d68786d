/**
 * The registry client's one error class. `code` is what callers and tests
 * branch on; `status` and `registryCodes` keep what the server said. Messages
 * never carry credentials, tokens or signed URL query strings.
 * Error body format: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import { PortcullisError } from '../../../core/errors.js';

export type RegistryErrorCode =
  /** Connection refused, DNS failure, host unreachable. */
  | 'UNREACHABLE'
  /** 401: no credentials, wrong credentials, or the token server refused them. */
  | 'UNAUTHORIZED'
  /** 403: authenticated but not allowed. */
  | 'DENIED'
  /** 404 for a repository (NAME_UNKNOWN) or an unspecific 404. */
  | 'NOT_FOUND'
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  /** Certificate verification or TLS handshake failure. */
  | 'TLS'
  /** No bytes for longer than the idle timeout, or a small answer (manifest, token) not complete by the deadline. */
  | 'TIMEOUT'
  /** The server broke the protocol: bad header, missing Location, wrong digest header, unexpected status. */
  | 'PROTOCOL'
  /** A manifest (or error/token body) over its size cap. */
  | 'TOO_LARGE'
  /** 429 after all retries. */
  | 'RATE_LIMITED'
  /** 5xx after all retries. */
  | 'SERVER'
  /** 400-class rejection of what we sent (MANIFEST_INVALID, DIGEST_INVALID, NAME_INVALID, …). */
  | 'REJECTED'
  /** 405 / UNSUPPORTED: the registry does not offer the operation (e.g. deletes disabled). */
  | 'UNSUPPORTED';

export interface RegistryErrorDetails {
  status?: number;
  /** The `code` fields of the OCI error body, as sent. */
  registryCodes?: readonly string[];
  cause?: unknown;
}

export class RegistryError extends PortcullisError<RegistryErrorCode> {
  readonly status: number | undefined;
  readonly registryCodes: readonly string[];

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.registryCodes = details.registryCodes ?? [];
  }
}

export interface OciErrorEntry {
  code: string;
  message: string;
}

/** Reads `{"errors":[{code,message,detail}]}`; anything else yields an empty list. */
export function parseErrorBody(body: Buffer | undefined): OciErrorEntry[] {
  if (!body || body.length === 0) return [];
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof json !== 'object' || json === null || !('errors' in json)) return [];
  const errors = (json as { errors: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  const out: OciErrorEntry[] = [];
  for (const entry of errors) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { code, message } = entry as { code?: unknown; message?: unknown };
    out.push({ code: typeof code === 'string' ? code : 'UNKNOWN', message: typeof message === 'string' ? message : '' });
  }
  return out;
}

const BY_REGISTRY_CODE: Record<string, RegistryErrorCode> = {
  MANIFEST_UNKNOWN: 'MANIFEST_UNKNOWN',
  BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  BLOB_UPLOAD_UNKNOWN: 'NOT_FOUND',
  NAME_UNKNOWN: 'NOT_FOUND',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'DENIED',
  TOOMANYREQUESTS: 'RATE_LIMITED',
  UNSUPPORTED: 'UNSUPPORTED',
  BLOB_UPLOAD_INVALID: 'REJECTED',
  DIGEST_INVALID: 'REJECTED',
  MANIFEST_BLOB_UNKNOWN: 'REJECTED',
  MANIFEST_INVALID: 'REJECTED',
  MANIFEST_UNVERIFIED: 'REJECTED',
  NAME_INVALID: 'REJECTED',
  SIZE_INVALID: 'REJECTED',
  TAG_INVALID: 'REJECTED',
  PAGINATION_NUMBER_INVALID: 'REJECTED',
  RANGE_INVALID: 'REJECTED',
};

function codeForStatus(status: number): RegistryErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 413) return 'TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER';
  if (status >= 400) return 'REJECTED';
  return 'PROTOCOL';
}

/**
 * The error for an unexpected response: the registry's own code wins where we
 * know it (a 404 with MANIFEST_UNKNOWN is MANIFEST_UNKNOWN), else the status.
 */
export function errorFromResponse(what: string, status: number, body: Buffer | undefined): RegistryError {
  const entries = parseErrorBody(body);
  let code: RegistryErrorCode | undefined;
  for (const entry of entries) {
    code = BY_REGISTRY_CODE[entry.code];
    if (code) break;
  }
  // A 401/403/429/5xx status is what the caller acts on, whatever the body says.
  if (status === 401 || status === 403 || status === 429 || status >= 500 || !code) code = codeForStatus(status);
  const detail = entries.length > 0 ? entries.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ') : plainText(body);
  return new RegistryError(code, `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`, {
    status,
    registryCodes: entries.map((e) => e.code),
  });
}

function plainText(body: Buffer | undefined): string {
  if (!body || body.length === 0) return '';
  const text = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  // Only short printable text is worth showing; HTML error pages are not.
  return /^[\x20-\x7e]+$/.test(text) && !text.startsWith('<') ? text : '';
}

/** A URL safe for messages: no userinfo, no query (signed redirect URLs carry secrets there). */
export function redactUrl(url: URL | string): string {
  const u = new URL(String(url));
  return `${u.protocol}//${u.host}${u.pathname}`;
}
