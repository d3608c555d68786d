import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of the Notary client that are not TUF verdicts (those are
 * TufError) nor transport failures (HttpError from the shared fetcher, src/http).
 */
export type NotaryErrorCode =
  /** The verified metadata signs no target of that name: the tag is not signed. */
  | 'TARGET_NOT_SIGNED'
  /** A GUN that cannot name a trust directory safely (empty segments, `..`, odd characters). */
  | 'GUN_INVALID'
  /** The trust cache for a GUN is readable by group or others, or is not ours to trust. */
  | 'TRUST_CACHE_INSECURE';

export class NotaryError extends PortcullisError<NotaryErrorCode> {}
