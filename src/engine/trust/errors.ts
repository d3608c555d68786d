import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of the trust use cases. `TRUST_REFUSED` is content trust saying no
 * (exit 8); `NOT_VERIFIED` is `verify` finding the policy unmet (exit 1);
 * `TRUST_UNSUPPORTED` is signing or verifying an image outside a registry.
 */
export type TrustErrorCode = 'TRUST_REFUSED' | 'NOT_VERIFIED' | 'TRUST_UNSUPPORTED' | 'PREDICATE_INVALID';

export class TrustError extends PortcullisError<TrustErrorCode> {}
