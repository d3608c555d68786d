/**
 * Which credentials a Notary server gets, as the docker CLI picks them: the
 * ones registry commands use (`--creds`, `--authfile`, REGISTRY_AUTH_FILE,
 * containers auth.json, ~/.docker/config.json with its credHelpers;
 * image/auth), looked up for the Notary server's host and, failing that, for
 * the registry of the GUN (Docker's notary server takes the registry's
 * login). Looked up once, only when the server asks (auth.ts).
 */
import { resolveCredentials } from '../../image/auth/index.js';
import type { SystemContext } from '../../image/index.js';
import type { CredentialLookup, NotaryCredentials } from './auth.js';

export function notaryCredentials(
  server: URL,
  image: { readonly registry: string; readonly repository: string },
  context: Pick<SystemContext, 'credentials' | 'authFile' | 'env'>,
): CredentialLookup {
  let found: Promise<NotaryCredentials | undefined> | undefined;
  const lookUp = async (): Promise<NotaryCredentials | undefined> => {
    if (context.credentials) return { credentials: context.credentials, host: image.registry };
    const files = { ...(context.authFile ? { authFile: context.authFile } : {}), ...(context.env ? { env: context.env } : {}) };
    const own = await resolveCredentials(server.host, files);
    if (own) return { credentials: own, host: server.host };
    const registry = await resolveCredentials(image.registry, files, { repository: image.repository });
    return registry ? { credentials: registry, host: image.registry } : undefined;
  };
  return () => (found ??= lookUp());
}
