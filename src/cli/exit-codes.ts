/**
 * The documented exit codes (docs/exit-codes.md), and the mapping from every
 * module's error codes to them. Scripts depend on these numbers: add codes,
 * never renumber.
 */
export const ExitCode = {
  Ok: 0,
  /** Findings remained after filters (scan/lint with --exit-code default) or verification failed. */
  Findings: 1,
  /** Bad command line: unknown flag, malformed reference or platform. */
  Usage: 2,
  /** The image, tag, blob, file or archive entry does not exist. */
  NotFound: 3,
  /** Authentication or authorisation failed (401/403, wrong credentials). */
  Auth: 4,
  /** The registry could not be reached: connection refused, DNS, TLS, timeout, 5xx after retries. */
  Network: 5,
  /** Content does not match its digest, is truncated or corrupt, or a layer is hostile. */
  Integrity: 6,
  /** Input we will not process: unsupported or unknown media type, malformed JSON, over a size limit. */
  Unsupported: 7,
  /** Content trust refused the image (unsigned, untrusted signer, policy not met). */
  Trust: 8,
  /** The destination already exists and will not be overwritten. */
  Exists: 9,
  /** A local file could not be read or written (permissions, disk full). */
  Io: 10,
  /** The advisory database is missing, empty, unreadable or newer than this portcullis: run `portcullis db update`. */
  Database: 11,
  /**
   * The scan could not read everything it needed: findings may be missing (a
   * cataloguer failed, a package database was unreadable or over its cap, a
   * distribution has no advisory data). `scan`, `sbom` and `lint` exit with it
   * unless `--allow-incomplete`; it takes precedence over `--exit-code`.
   */
  Incomplete: 12,
  /**
   * A registry refused to serve the image by its policy (vulnerabilities,
   * missing signature): a 403 DENIED with the registry's reason, not an
   * authorization failure (src/image/transports/docker/errors.ts policyDenial).
   */
  Denied: 13,
  /** Interrupted (Ctrl-C or an abort signal), as shells report SIGINT. */
  Interrupted: 130,
  /** A bug in portcullis: please report it. */
  Internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_ERROR_CODE: Record<string, ExitCodeValue> = {
  // usage
  REFERENCE_INVALID: ExitCode.Usage,
  TRANSPORT_UNKNOWN: ExitCode.Usage,
  USAGE: ExitCode.Usage,
  // not found
  NOT_FOUND: ExitCode.NotFound,
  MANIFEST_UNKNOWN: ExitCode.NotFound,
  BLOB_UNKNOWN: ExitCode.NotFound,
  NAME_UNKNOWN: ExitCode.NotFound,
  PLATFORM_NOT_FOUND: ExitCode.NotFound,
  NOT_LOGGED_IN: ExitCode.NotFound,
  FILE_NOT_FOUND: ExitCode.NotFound,
  NOT_A_FILE: ExitCode.NotFound,
  // auth
  UNAUTHORIZED: ExitCode.Auth,
  DENIED: ExitCode.Auth,
  POLICY_DENIED: ExitCode.Denied,
  // network
  UNREACHABLE: ExitCode.Network,
  TLS: ExitCode.Network,
  // a proxy setting that cannot be used, a proxy refusing the tunnel or asking for credentials (src/http)
  PROXY: ExitCode.Network,
  TIMEOUT: ExitCode.Network,
  SERVER: ExitCode.Network,
  RATE_LIMITED: ExitCode.Network,
  PROTOCOL: ExitCode.Network,
  // integrity
  DIGEST_MISMATCH: ExitCode.Integrity,
  SIZE_MISMATCH: ExitCode.Integrity,
  TRUNCATED: ExitCode.Integrity,
  CORRUPT: ExitCode.Integrity,
  ARCHIVE_INVALID: ExitCode.Integrity,
  LAYER_TRUNCATED: ExitCode.Integrity,
  LAYER_CORRUPT: ExitCode.Integrity,
  LAYER_UNSAFE_PATH: ExitCode.Integrity,
  LAYER_PATH_TOO_LONG: ExitCode.Integrity,
  LAYER_UNSAFE_LINK: ExitCode.Integrity,
  LAYER_SYMLINK_LOOP: ExitCode.Integrity,
  LAYER_DIFFID_MISMATCH: ExitCode.Integrity,
  // unsupported input
  MANIFEST_UNSUPPORTED: ExitCode.Unsupported,
  MANIFEST_INVALID: ExitCode.Unsupported,
  MEDIA_TYPE_UNKNOWN: ExitCode.Unsupported,
  JSON_INVALID: ExitCode.Unsupported,
  TOO_LARGE: ExitCode.Unsupported,
  DIGEST_INVALID: ExitCode.Unsupported,
  LAYER_FILE_TOO_LARGE: ExitCode.Unsupported,
  // trust
  TRUST_REFUSED: ExitCode.Trust,
  // destination
  DESTINATION_EXISTS: ExitCode.Exists,
  ARCHIVE_TRUNCATED: ExitCode.Integrity,
  UNSAFE_PATH: ExitCode.Integrity,
  SYMLINK_LOOP: ExitCode.Integrity,
  LAYER_MEDIA_TYPE: ExitCode.Unsupported,
  REFERENCE_AMBIGUOUS: ExitCode.Usage,
  PATH_UNRECOGNISED: ExitCode.Usage,
  REGISTRY_INVALID: ExitCode.Usage,
  IO_ERROR: ExitCode.Io,
  WRITE_FAILED: ExitCode.Io,
  // files the user names (src/core/user-files.ts)
  FILE_NOT_REGULAR: ExitCode.Io,
  FILE_WRITE_FAILED: ExitCode.Io,
  FILE_EXISTS: ExitCode.Exists,
  // portcullis registry (the admin API): a user, project or robot that exists already
  CONFLICT: ExitCode.Exists,
  // the admin API's refusal of a malformed request (src/server/api/v1)
  INVALID: ExitCode.Usage,
  CONFIG_INVALID: ExitCode.Unsupported,
  // portcullis serve --config: a file of flags, so its mistakes are usage errors
  CONFIG_FILE_INVALID: ExitCode.Usage,
  HELPER_FAILED: ExitCode.Auth,
  REJECTED: ExitCode.Network,
  UNSUPPORTED: ExitCode.Unsupported,
  // inputs read by cataloguers, matchers and linters
  ELF_INVALID: ExitCode.Unsupported,
  GO_BUILDINFO_INVALID: ExitCode.Unsupported,
  ZIP_INVALID: ExitCode.Unsupported,
  ZIP_LIMIT: ExitCode.Unsupported,
  CARGO_AUDIT_INVALID: ExitCode.Unsupported,
  DOCKERFILE_INVALID: ExitCode.Unsupported,
  EOL_DATA_INVALID: ExitCode.Unsupported,
  PURL_INVALID: ExitCode.Unsupported,
  VERSION_INVALID: ExitCode.Unsupported,
  VERSION_INCOMPARABLE: ExitCode.Unsupported,
  RANGE_INVALID: ExitCode.Unsupported,
  SCHEME_UNKNOWN: ExitCode.Unsupported,
  ECOSYSTEM_UNKNOWN: ExitCode.Unsupported,
  RULE_UNKNOWN: ExitCode.Usage,
  EOL_REFRESH_FAILED: ExitCode.Network,
  INPUT_UNREADABLE: ExitCode.Io,
  LAYER_ABORTED: ExitCode.Interrupted,
  // a walk over its caps (src/layers/limits.ts): scan and sbom report it as incomplete; other commands fail with it
  LAYER_TOO_MANY_LAYERS: ExitCode.Incomplete,
  LAYER_TOO_MANY_ENTRIES: ExitCode.Incomplete,
  ABORTED: ExitCode.Interrupted,
  SBOM_INVALID: ExitCode.Unsupported,
  SBOM_UNSUPPORTED: ExitCode.Unsupported,
  UPDATE_FAILED: ExitCode.Network,
  INPUT_MISSING: ExitCode.NotFound,
  DB_OPEN_FAILED: ExitCode.Io,
  DB_TOO_NEW: ExitCode.Unsupported,
  DB_CORRUPT: ExitCode.Integrity,
  // keys
  PASSPHRASE_INVALID: ExitCode.Auth,
  PASSPHRASE_REQUIRED: ExitCode.Auth,
  PASSPHRASE_MISMATCH: ExitCode.Usage,
  PASSPHRASE_ABORTED: ExitCode.Usage,
  KEY_NOT_FOUND: ExitCode.NotFound,
  KEY_CORRUPT: ExitCode.Integrity,
  STORE_CORRUPT: ExitCode.Integrity,
  BACKUP_INVALID: ExitCode.Integrity,
  KEY_FORMAT_UNKNOWN: ExitCode.Unsupported,
  KEY_UNSUPPORTED: ExitCode.Unsupported,
  KDF_UNSUPPORTED: ExitCode.Unsupported,
  KEY_EXISTS: ExitCode.Exists,
  ROOT_EXISTS: ExitCode.Exists,
  STORE_NOT_EMPTY: ExitCode.Exists,
  ARGUMENT_INVALID: ExitCode.Usage,
  GLOB_INVALID: ExitCode.Usage,
  // Notary / TUF (trust data): anything wrong with it refuses the image, as content trust does
  METADATA_INVALID: ExitCode.Trust,
  ROLE_MISMATCH: ExitCode.Trust,
  CANONICAL_JSON: ExitCode.Trust,
  KEY_INVALID: ExitCode.Trust,
  THRESHOLD_NOT_MET: ExitCode.Trust,
  EXPIRED: ExitCode.Trust,
  HASH_MISMATCH: ExitCode.Trust,
  LENGTH_MISMATCH: ExitCode.Trust,
  ROLLBACK: ExitCode.Trust,
  ROOT_INVALID: ExitCode.Trust,
  ROOT_ROTATION_INVALID: ExitCode.Trust,
  DELEGATION_PATH_FORBIDDEN: ExitCode.Trust,
  DELEGATION_INVALID: ExitCode.Trust,
  METADATA_MISSING: ExitCode.Trust,
  SIGNING_FAILED: ExitCode.Trust,
  TARGET_NOT_SIGNED: ExitCode.Trust,
  GUN_INVALID: ExitCode.Usage,
  TRUST_CACHE_INSECURE: ExitCode.Io,
  // sign --notary (engine/notary/publish-errors.ts)
  GUN_FOREIGN_ROOT: ExitCode.Exists,
  TARGETS_KEY_FOREIGN: ExitCode.Trust,
  TRUST_DATA_MISSING: ExitCode.Trust,
  SERVER_KEY_INVALID: ExitCode.Trust,
  PUBLISH_REFUSED: ExitCode.Trust,
  PUBLISH_NOT_VISIBLE: ExitCode.Trust,
  KEY_NOT_AUTHORIZED: ExitCode.Trust,
  ROOT_KEY_UNSUPPORTED: ExitCode.Unsupported,
  TAG_REQUIRED: ExitCode.Usage,
  NOTARY_SERVER_INVALID: ExitCode.Usage,
  // portcullis serve (distribution error codes; these reach the CLI only when serve cannot start)
  BLOB_UPLOAD_INVALID: ExitCode.Unsupported,
  BLOB_UPLOAD_UNKNOWN: ExitCode.NotFound,
  MANIFEST_BLOB_UNKNOWN: ExitCode.NotFound,
  NAME_INVALID: ExitCode.Usage,
  PAGINATION_NUMBER_INVALID: ExitCode.Usage,
  SIZE_INVALID: ExitCode.Unsupported,
  TOOMANYREQUESTS: ExitCode.Network,
  UNAVAILABLE: ExitCode.Network,
  INTERNAL: ExitCode.Io,
  // signatures, policy, content trust
  NOT_VERIFIED: ExitCode.Findings,
  TRUST_UNSUPPORTED: ExitCode.Unsupported,
  PREDICATE_INVALID: ExitCode.Usage,
  POLICY_INVALID: ExitCode.Usage,
  PAYLOAD_INVALID: ExitCode.Integrity,
  ENVELOPE_INVALID: ExitCode.Integrity,
  STATEMENT_INVALID: ExitCode.Integrity,
  BUNDLE_INVALID: ExitCode.Integrity,
  SIGNATURE_MANIFEST_INVALID: ExitCode.Integrity,
  PRIVATE_KEY_MISSING: ExitCode.NotFound,
  ROOT_MISSING: ExitCode.NotFound,
  KEY_AMBIGUOUS: ExitCode.Usage,
  ROLE_INVALID: ExitCode.Usage,
  KEY_REVOKED: ExitCode.Trust,
  CERTIFICATION_INVALID: ExitCode.Integrity,
  REVOCATION_INVALID: ExitCode.Integrity,
  STORE_INSECURE: ExitCode.Io,
  CIPHER_UNSUPPORTED: ExitCode.Unsupported,
  // advisory database, scan, gate
  DB_MISSING: ExitCode.Database,
  // --kev or --epss-threshold asked of a database without that data: fail closed
  EXPLOIT_DATA_MISSING: ExitCode.Database,
  FEED_INVALID: ExitCode.Unsupported,
  ARTIFACT_INVALID: ExitCode.Unsupported,
  IGNOREFILE_INVALID: ExitCode.Unsupported,
  VEX_INVALID: ExitCode.Unsupported,
  ROOTFS_INVALID: ExitCode.NotFound,
  TARGET_INVALID: ExitCode.Usage,
  REPORT_FORMAT_UNKNOWN: ExitCode.Usage,
};

export function exitCodeFor(errorCode: string): ExitCodeValue {
  return BY_ERROR_CODE[errorCode] ?? ExitCode.Internal;
}
