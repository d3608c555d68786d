import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of the signature formats (simple signing, cosign's tag layout,
 * Sigstore bundles, DSSE and in-toto). Parsers throw these for malformed
 * input; verification never throws them for a bad signature — it reports an
 * outcome instead (verify.ts). Tests assert the code, never the wording.
 */
export type SignatureErrorCode =
  /** A simple-signing payload that is not cosign's shape. */
  | 'PAYLOAD_INVALID'
  /** A DSSE envelope that is malformed. */
  | 'ENVELOPE_INVALID'
  /** An in-toto statement that is malformed, or a predicate we cannot read. */
  | 'STATEMENT_INVALID'
  /** A Sigstore bundle that is malformed or of an unknown version. */
  | 'BUNDLE_INVALID'
  /** A signature or attestation manifest that is not the layout it claims. */
  | 'SIGNATURE_MANIFEST_INVALID';

export class SignatureError extends PortcullisError<SignatureErrorCode> {}
