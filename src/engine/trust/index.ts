/**
 * The trust use cases, this folder's entry: sign and attest an image in its
 * registry (`sign.ts`), verify it (`verify.ts`), and enforce content trust
 * before a copy (`content-trust.ts`). They combine the pure trust modules
 * (signatures, policy, key statements) with the registry client and the key
 * store; the CLI only maps flags onto them.
 *
 * A tag is resolved once, to a digest, and only the digest is signed or
 * verified. Content trust verifies before any layer is fetched and hands the
 * copy a source pinned to the verified digest (`repo@sha256:…`), with a
 * `beforeCopy` check that the manifest about to be copied is that digest (or
 * an entry of that index): no window between check and use.
 *
 * An entry of `engine` of its own (docs/architecture.md): the trust commands
 * and the server's signature check.
 */
export { registryRef, type TrustContext } from './context.js';
export { attestImage, signImage, type AttestOptions, type AttestResult, type SignLayout, type SignOptions, type SignResult } from './sign.js';
export {
  candidateKeys,
  readKeyFiles,
  refusal,
  unsignedMessage,
  verifyImage,
  type CountedSignatureCheck,
  type KeyFile,
  type VerifyOptions,
  type VerifyReport,
} from './verify.js';
export { enforceContentTrust, type ContentTrustOptions, type ContentTrustResult } from './content-trust.js';
export { TrustError, type TrustErrorCode } from './errors.js';
export { TrustSession, openTrustSession, type TrustSessionOptions } from './session.js';
export type { KeyStoreReader } from './store-cache.js';
