/**
 * Which credentials to use for a registry, in containers/image's order:
 * SystemContext.credentials (`--creds`); then the auth files (see paths.ts),
 * first match wins; within a file, a `credHelpers` entry for the host, then
 * an `auths` entry (most specific key first: host/ns/repo … host), then the
 * file's `credsStore` helper.
 */
import type { SystemContext } from '../types.js';
import { readAuthFile, decodeEntry } from './file.js';
import { helperGet } from './helpers.js';
import { findKey, helperServerUrl } from './keys.js';
import { authFilesToRead } from './paths.js';
import type { ResolvedCredentials } from './types.js';

export interface ResolveOptions {
  repository?: string;
}

export async function resolveCredentials(
  registry: string,
  context: Pick<SystemContext, 'credentials' | 'authFile' | 'env'> = {},
  options: ResolveOptions = {},
): Promise<ResolvedCredentials | undefined> {
  if (context.credentials) return { ...context.credentials, source: '--creds' };
  const env = context.env ?? process.env;
  const pathOptions: { authFile?: string; env: NodeJS.ProcessEnv } = { env };
  if (context.authFile) pathOptions.authFile = context.authFile;
  for (const path of authFilesToRead(pathOptions)) {
    const file = await readAuthFile(path);
    if (!file) continue;
    const helpers = file.credHelpers ?? {};
    const helperKey = findKey(helpers, registry);
    const helperName = helperKey !== undefined ? helpers[helperKey] : undefined;
    if (typeof helperName === 'string' && helperName !== '') {
      const found = await helperGet(helperName, helperServerUrl(registry), { env });
      if (found) return { ...found, source: `docker-credential-${helperName}` };
      continue;
    }
    const auths = file.auths ?? {};
    const key = findKey(auths, registry, options.repository);
    if (key !== undefined) {
      const found = decodeEntry(auths[key], `${path}: auths["${key}"]`);
      if (found) return { ...found, source: path };
    }
    if (typeof file.credsStore === 'string' && file.credsStore !== '') {
      const found = await helperGet(file.credsStore, helperServerUrl(registry), { env });
      if (found) return { ...found, source: `docker-credential-${file.credsStore}` };
    }
  }
  return undefined;
}
