/**
 * Errors of `portcullis serve`. The codes are the distribution spec's error
 * codes (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes)
 * plus a few of our own; each maps to one HTTP status, and the API answers
 * `{"errors":[{"code","message","detail"}]}` as the spec requires.
 */
import { PortcullisError } from '../core/errors.js';

export type ServeErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  /** distribution's answer to a bad `n` on the tags list and catalog. */
  | 'PAGINATION_NUMBER_INVALID'
  | 'SIZE_INVALID'
  | 'RANGE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  /** distribution's code for a request to retry later (503): here, a push that met a blob being garbage collected. */
  | 'UNAVAILABLE'
  /** Storage or configuration failure on our side: answered as 500, logged. */
  | 'INTERNAL'
  /** `portcullis serve` was started with options that cannot work. */
  | 'CONFIG_INVALID'
  /** The configuration file (`--config`) cannot be read, is not YAML, or breaks its schema: exit 2, like a bad flag. */
  | 'CONFIG_FILE_INVALID';

export class ServeError extends PortcullisError<ServeErrorCode> {
  readonly detail: unknown;
  constructor(code: ServeErrorCode, message: string, options?: { cause?: unknown; detail?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
}

const STATUS: Record<ServeErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  PAGINATION_NUMBER_INVALID: 400,
  SIZE_INVALID: 400,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  CONFIG_INVALID: 500,
  CONFIG_FILE_INVALID: 500,
};

export function httpStatusOf(code: ServeErrorCode): number {
  return STATUS[code];
}
