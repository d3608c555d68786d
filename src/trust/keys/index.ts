/** Keys of portcullis: generation, encryption at rest, import (cosign too), the store, signing primitives. */
export { KeyError, type KeyErrorCode } from './errors.js';
export {
  DEFAULT_ALGORITHM,
  GENERATE_ALGORITHMS,
  KEY_ALGORITHMS,
  KEY_ROLES,
  algorithmOf,
  generateKeyPair,
  isGenerateAlgorithm,
  isKeyAlgorithm,
  keyIdOf,
  keyIdOfKey,
  publicKeyFromPem,
  publicKeyPem,
  spkiOf,
  type GenerateAlgorithm,
  type GeneratedKeyPair,
  type KeyAlgorithm,
  type KeyRole,
} from './keys.js';
export type { Passphrase } from './secret.js';
export {
  DEFAULT_SCRYPT,
  ENCRYPTED_KEY_LABEL,
  SCRYPT_BOUNDS,
  decryptPrivateKey,
  encryptPrivateKey,
  readEncryptedKey,
  type DecryptedKey,
  type EncryptedKeyFile,
  type EncryptedKeyMetadata,
  type ScryptParams,
} from './encrypted.js';
export {
  COSIGN_KEY_LABEL,
  COSIGN_KEY_LABELS,
  COSIGN_SCRYPT_ACCEPTED,
  SIGSTORE_KEY_LABEL,
  decryptCosignKey,
  encryptCosignKey,
  readCosignKey,
  type CosignEncryptedKey,
} from './cosign.js';
export { parseKeyMaterial, type ParsedKey, type ParsedPrivateKey, type ParsedPublicKey, type KeySourceFormat } from './import.js';
export { signBytes, signatureScheme, verifyBytes, type SignatureScheme } from './sign.js';
export { canonicalJson, canonicalBytes } from './canonical.js';
export { matchRepository, validateGlob } from './globs.js';
export {
  CERTIFICATION_TYPE,
  REVOCATION_LIST_TYPE,
  checkCertification,
  checkRevocationList,
  createCertification,
  createRevocationList,
  evaluateAuthorization,
  signStatement,
  verifyStatement,
  type AuthorizationReason,
  type AuthorizationResult,
  type CertificationStatement,
  type RevocationEntry,
  type RevocationList,
  type Signed,
} from './statements.js';
export {
  KeyStore,
  openKeyStore,
  trustDirectory,
  type CertifyOptions,
  type GenerateOptions,
  type ImportOptions,
  type KeyInfo,
  type KeyStoreOptions,
  type RevokeOptions,
  type RotateOptions,
  type RotateResult,
  type TrustBackup,
  type UnlockedKey,
} from './store.js';
