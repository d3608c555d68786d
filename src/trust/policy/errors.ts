import { PortcullisError } from '../../core/errors.js';

/** Failures of the trust policy file. Messages name the file and line. */
export type PolicyErrorCode = 'POLICY_INVALID';

export class PolicyError extends PortcullisError<PolicyErrorCode> {}
