/**
 * Registry credentials: resolution (for transports) and login/logout (for the
 * CLI). An entry of `image` of its own (docs/architecture.md): only `login`
 * and `logout` load it; the docker transport loads `resolve.ts` on first use.
 */
export { resolveCredentials, type ResolveOptions } from './resolve.js';
export { login, logout, logoutAll, registryKey, type LoginOptions, type LogoutOptions } from './login.js';
export { authFilesToRead, authFileToWrite, dockerConfigPath } from './paths.js';
export { AuthError, type AuthErrorCode } from './errors.js';
export type { RegistryCredentials, ResolvedCredentials } from './types.js';
