import type { Credentials } from '../types.js';

/** Credentials as stored for a registry: a password, or an OAuth2 refresh token (`identitytoken`). */
export interface RegistryCredentials extends Credentials {
  /** Docker's `identitytoken`: sent as an OAuth2 refresh token to a Bearer realm instead of the password. */
  identityToken?: string;
}

/** Where resolved credentials came from, for `--debug`-style messages; never the secret itself. */
export interface ResolvedCredentials extends RegistryCredentials {
  /** `--creds`, a file path, or `docker-credential-NAME`. */
  source: string;
}
