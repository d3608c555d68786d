/** Registry credentials: resolution (for transports) and login/logout (for the CLI). */
export { resolveCredentials, type ResolveOptions } from './resolve.js';
export { login, logout, logoutAll, registryKey, type LoginOptions, type LogoutOptions } from './login.js';
export { authFilesToRead, authFileToWrite, dockerConfigPath } from './paths.js';
export { AuthError, type AuthErrorCode } from './errors.js';
export type { RegistryCredentials, ResolvedCredentials } from './types.js';
