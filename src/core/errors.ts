/**
 * The one error shape of portcullis: every module throws a subclass of
 * PortcullisError with a stable string `code` from its own union. The CLI maps
 * codes to one-line messages and documented exit codes (see docs/exit-codes.md);
 * tests assert the code, never the wording.
 *
 * An entry of `core` of its own (docs/architecture.md): error classes and the
 * CLI's start-up path import the base class from here, which loads nothing
 * else of `core`.
 */
export class PortcullisError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
}

/** Codes shared by the vocabulary in core (references, digests, bounded reads). */
export type CoreErrorCode =
  | 'REFERENCE_INVALID'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'TOO_LARGE'
  | 'TRUNCATED'
  /** Bytes that are not valid for their format (a zstd stream that does not decode). */
  | 'CORRUPT'
  | 'JSON_INVALID';

export class CoreError extends PortcullisError<CoreErrorCode> {}
