import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of TUF metadata in Notary's dialect: one error class, one code per
 * attack or defect (after tuf-js `packages/client/src/error.ts`, which has a
 * class per attack; we keep the project's one-class-with-a-code style).
 * Tests assert the code, never the wording.
 */
export type TufErrorCode =
  /** Bytes that are not JSON, or JSON that is not the metadata shape Notary writes. */
  | 'METADATA_INVALID'
  /** A file whose `_type` is not the role it was given as (targets presented as snapshot…). */
  | 'ROLE_MISMATCH'
  /** A value canonical JSON cannot represent (fractional or unsafe numbers). */
  | 'CANONICAL_JSON'
  /** A key of an unknown type, or whose public bytes do not parse. */
  | 'KEY_INVALID'
  /** Fewer valid signatures from the role's keys than its threshold. */
  | 'THRESHOLD_NOT_MET'
  /** Metadata whose `expires` is at or before `now` (freeze attack). */
  | 'EXPIRED'
  /** Bytes whose sha256/sha512 differ from what the referring role says (tampering, mix-and-match). */
  | 'HASH_MISMATCH'
  /** Bytes whose length differs from what the referring role says (endless data). */
  | 'LENGTH_MISMATCH'
  /** A version lower than one already trusted (rollback / replay). */
  | 'ROLLBACK'
  /** A root role whose keys are not valid certificates for the GUN, or that is not signed by them. */
  | 'ROOT_INVALID'
  /** A new root not signed by the previously trusted root, or a gap in the N.root.json chain. */
  | 'ROOT_ROTATION_INVALID'
  /** A delegated role signing a target outside the paths its parent gave it. */
  | 'DELEGATION_PATH_FORBIDDEN'
  /** A delegation with a bad name, an unknown key, or not a child of the role that lists it. */
  | 'DELEGATION_INVALID'
  /** Metadata the chain requires (a delegation named in snapshot) was not supplied. */
  | 'METADATA_MISSING'
  /** A private key that cannot sign (wrong type, not matching its public key). */
  | 'SIGNING_FAILED';

export class TufError extends PortcullisError<TufErrorCode> {}
