import { PortcullisError } from '../../core/errors.js';

export type AuthErrorCode =
  /** logout for a registry with no stored entry. */
  | 'NOT_LOGGED_IN'
  /** An auth file that is not the JSON we expect. */
  | 'CONFIG_INVALID'
  /** A docker-credential-* helper that failed (other than "not found"). */
  | 'HELPER_FAILED'
  /** The auth file could not be written. */
  | 'WRITE_FAILED'
  /** A registry name login/logout cannot use. */
  | 'REGISTRY_INVALID';

export class AuthError extends PortcullisError<AuthErrorCode> {}
