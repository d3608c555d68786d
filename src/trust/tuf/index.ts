/**
 * TUF in Notary v1's dialect (Docker Content Trust), written by hand: tuf-js
 * speaks the TUF specification's dialect, not Notary's — certificate keys
 * (`ecdsa-x509`/`rsa-x509`) whose IDs hash the canonical JSON of the key
 * object, roots trusted through certificates whose CN is the GUN, raw r‖s
 * ECDSA signatures, `_type` values `Root`/`Targets`/…, delegation roles named
 * `targets/releases`, base64 hashes without per-file versions, and timestamp
 * (and optionally snapshot) keys held by the server. Pure: no network, no
 * filesystem; the engine fetches, the server stores.
 *
 * An entry of `trust` of its own (docs/architecture.md): its key ids,
 * signatures and canonical JSON have the same names as the cosign side's in
 * `trust/index.ts`, and only Notary (the server's trust service, the
 * engine's client) needs it.
 */
export { canonicalBytes, canonicalJson, parseJson, type JsonValue } from './canonical.js';
export { TufError, type TufErrorCode } from './errors.js';
export { canonicalKeyId, keyIdOf, makeKey, parseKey, publicKeyJson, type KeyType, type TufKey } from './keys.js';
export {
  bareSigningKey,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  signMessage,
  verifySignature,
  type Signature,
  type SigningKey,
  type SigningKeyType,
} from './signatures.js';
export {
  BASE_ROLES,
  isDelegationName,
  parentRole,
  parseFileMeta,
  parseRootMetadata,
  parseSnapshotMetadata,
  parseTargetsMetadata,
  parseTimestampMetadata,
  parseTime,
  signedBytes,
  type BaseRoleName,
  type DelegatedRole,
  type FileMeta,
  type Metadata,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from './metadata.js';
export { checkExpiry, checkFileMeta, checkVersion, fileMetaOf, verifyThreshold } from './checks.js';
export { resolveRoot, verifyRootRotation, verifyRootSelf } from './root.js';
export { rootSigners, roleSigners, verifiedSigners, type SignerKey } from './signers.js';
export { RELEASES_ROLE, restrictPaths, verifyRepository, type RepositoryFiles, type SignedTarget, type VerifiedRepository, type VerifyOptions } from './verify.js';
export { buildSnapshot, buildTimestamp, signMetadata, type SignedJson } from './build.js';
export { ROOT_CERTIFICATE_YEARS, rootCertificateKey, rootCertificatePem } from './certificate.js';
export { buildInitialRoot, emptyTargets, setTarget, targetFileMeta, type InitialRootKeys } from './targets-edit.js';
