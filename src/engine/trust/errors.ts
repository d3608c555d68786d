import { PortcullisError } from '../../core/errors.js';
import type { VerifyReport } from './index.js';

/**
 * Failures of the trust use cases. `TRUST_REFUSED` is content trust saying no
 * (exit 8); `NOT_VERIFIED` is `verify` finding the policy unmet (exit 1);
 * `TRUST_UNSUPPORTED` is signing or verifying an image outside a registry.
 */
export type TrustErrorCode = 'TRUST_REFUSED' | 'NOT_VERIFIED' | 'TRUST_UNSUPPORTED' | 'PREDICATE_INVALID';

export class TrustError extends PortcullisError<TrustErrorCode> {}

/** The exact refusal for an image nobody signed, as Docker Content Trust words it. */
export function unsignedMessage(repository: string): string {
  return `remote trust data does not exist for ${repository}`;
}

/** The error content trust raises for a rejected report. */
export function refusal(report: VerifyReport): TrustError {
  if (report.policy.unsigned && (report.policy.unmet === 'signature' || report.policy.unmet === 'notary')) return new TrustError('TRUST_REFUSED', unsignedMessage(report.repository));
  return new TrustError('TRUST_REFUSED', `content trust refused ${report.repository}@${report.digest}: ${report.policy.unmet ?? 'policy'} requirement not met: ${report.policy.reason ?? 'rejected by policy'}`);
}
