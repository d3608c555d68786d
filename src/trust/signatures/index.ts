/** Signature formats (cosign tag layout, Sigstore bundles, DSSE/in-toto) and their verification. Pure. */
export { SignatureError, type SignatureErrorCode } from './errors.js';
export * from './simple-signing.js';
export * from './dsse.js';
export * from './bundle.js';
export * from './cosign-tag.js';
export * from './verify.js';
