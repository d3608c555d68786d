/** The trust policy: parsing (strict, with lines) and pure evaluation. */
export { PolicyError, type PolicyErrorCode } from './errors.js';
export * from './policy.js';
export * from './evaluate.js';
export * from './predicates.js';
export * from './sources.js';
export * from './decide.js';
export * from './notary-pins.js';
export * from './cve-allowlist.js';
export * from './containers-policy.js';
