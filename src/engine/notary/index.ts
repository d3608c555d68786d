/**
 * Docker Content Trust / Notary v1, client side: fetch and verify a GUN's
 * TUF metadata (trust/tuf does the verifying) and look up signed tags.
 */
export { NotaryClient, lookupSignedTarget, type NotaryClientOptions, type SignedTargetDigest } from './client.js';
export { TrustCache, checkGun, type TrustState } from './cache.js';
export { NotaryError, type NotaryErrorCode } from './errors.js';
export { MetadataFetcher, DEFAULT_LIMITS, MAX_DELEGATIONS, MAX_ROOT_ROTATIONS, type FetchLimits } from './fetch.js';
export { configuredNotaryServer, notaryServerUrl, type NotaryServerSources } from './server-url.js';
export { publishTag, type PublishTagOptions, type PublishTagResult } from './publish.js';
export { NotaryPublishError, type NotaryPublishErrorCode } from './publish-errors.js';
export { importDockerTrust, scanDockerTrust, parseNotaryKeyPem, type ImportDockerTrustReport } from './docker-trust.js';
export { NotaryAuth, repositoryOfGun, type CredentialLookup, type NotaryCredentials } from './auth.js';
export { notaryCredentials } from './credentials.js';
