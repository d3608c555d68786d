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
  /**
   * The registry refused to serve a manifest by its own policy (vulnerable,
   * unsigned, unscanned), not for who is asking: see `policyDenial`.
   */
  | 'POLICY_DENIED'
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

/**
 * Words of an authorization refusal, as registries phrase it: distribution
 * and Docker Hub "requested access to the resource is denied", GHCR
 * "denied" / "permission_denied: …", ECR "Not Authorized", Quay "access to
 * the requested resource is not authorized", Artifact Registry "Permission …
 * denied", ACR "… is not allowed access".
 */
const AUTHORIZATION_WORDS = /\b(?:access|permission|permission_denied|authori[sz]|authori[sz]ed|authenticat\w*|unauthori[sz]ed|forbidden|scope|credentials?|token|login|not allowed)\b|^denied\.?$/i;
/** Words only a policy refusal uses (portcullis serve, Harbor's vulnerability and content-trust gates). */
const POLICY_WORDS = /\b(?:polic(?:y|ies)|vulnerab\w*|CVE|signatures?|signed|unsigned|trust data|scann?(?:ed|ing)?)\b/i;

/**
 * Whether a refused manifest GET is the registry's policy at work rather
 * than an authorization failure; the rule, from what a client can know:
 * - the request got past authentication (the answer is not a 401: a 403 or
 *   412 on a manifest GET means the registry accepted who is asking), and
 * - the error code is DENIED with status 403 (portcullis serve, distribution's
 *   code for any refusal) or PROJECTPOLICYVIOLATION with 412 (Harbor), and
 * - the message is the registry's reason: it names a policy word
 *   (vulnerabilities, policy, signature, scan…), or it is non-empty and has
 *   none of the words of an authorization refusal ("requested access to the
 *   resource is denied" is distribution's authorization wording).
 * Everything else stays DENIED/UNAUTHORIZED (exit 4).
 */
export function policyDenial(status: number, entries: readonly OciErrorEntry[]): OciErrorEntry | undefined {
  return entries.find((e) => {
    const coded = (status === 403 && e.code === 'DENIED') || (status === 412 && e.code === 'PROJECTPOLICYVIOLATION');
    if (!coded) return false;
    const message = e.message.trim();
    if (POLICY_WORDS.test(message)) return true;
    return message !== '' && !AUTHORIZATION_WORDS.test(message);
  });
}

/** The error for a manifest GET that did not answer 200: a policy refusal is POLICY_DENIED with the registry's reason. */
export function manifestErrorFromResponse(what: string, status: number, body: Buffer | undefined): RegistryError {
  const entries = parseErrorBody(body);
  const denial = policyDenial(status, entries);
  if (denial) {
    return new RegistryError('POLICY_DENIED', `${what}: the registry refused to serve it: ${denial.message.trim()}`, {
      status,
      registryCodes: entries.map((e) => e.code),
    });
  }
  return errorFromResponse(what, status, body);
}

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
