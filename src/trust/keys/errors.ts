import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of key handling: generation, encryption at rest, import, the key
 * store and its root-signed trust statements.
 *
 * Messages never contain a passphrase, nor any byte derived from one; tests
 * assert the code, never the wording.
 */
export type KeyErrorCode =
  /** The passphrase does not open the key (or the KDF salt was altered: the two cannot be told apart). */
  | 'PASSPHRASE_INVALID'
  /** A passphrase is needed and none was given (or it was empty where empty is refused). */
  | 'PASSPHRASE_REQUIRED'
  /** The two entries of a new passphrase differ. */
  | 'PASSPHRASE_MISMATCH'
  /** The passphrase prompt was interrupted (Ctrl-C, end of input). */
  | 'PASSPHRASE_ABORTED'
  /** The key file was altered or damaged: authentication failed, fields are malformed, or the id does not match. */
  | 'KEY_CORRUPT'
  /** The bytes are no key format we read. */
  | 'KEY_FORMAT_UNKNOWN'
  /** A key of an algorithm, curve or size we do not accept. */
  | 'KEY_UNSUPPORTED'
  /** A KDF name or parameters outside the accepted set; nothing was derived. */
  | 'KDF_UNSUPPORTED'
  /** A cipher name we do not know. */
  | 'CIPHER_UNSUPPORTED'
  | 'KEY_NOT_FOUND'
  /** An id prefix or role names more than one key. */
  | 'KEY_AMBIGUOUS'
  | 'KEY_EXISTS'
  /** The operation needs the private half and the store only has the public key. */
  | 'PRIVATE_KEY_MISSING'
  /** No root key in the store. */
  | 'ROOT_MISSING'
  /** A root key already exists. */
  | 'ROOT_EXISTS'
  /** The key has the wrong role for the operation (certify a root, revoke the root...). */
  | 'ROLE_INVALID'
  /** A certification does not verify against the root key. */
  | 'CERTIFICATION_INVALID'
  /** The revocation list does not verify against the root key. */
  | 'REVOCATION_INVALID'
  /** A key that was revoked cannot be certified or rotated from. */
  | 'KEY_REVOKED'
  | 'GLOB_INVALID'
  /** trust.json (or a key file name) is malformed or inconsistent. */
  | 'STORE_CORRUPT'
  /** A private key file or directory is readable by group or others. */
  | 'STORE_INSECURE'
  /** restoreBackup into a store that already has content, without force. */
  | 'STORE_NOT_EMPTY'
  | 'BACKUP_INVALID'
  | 'ARGUMENT_INVALID';

export class KeyError extends PortcullisError<KeyErrorCode> {}
