/**
 * Which Notary server holds a registry's trust data, in Docker's order
 * (docker/cli `cli/trust/trust.go` `Server`): `--notary-server URL`, then
 * PORTCULLIS_CONTENT_TRUST_SERVER, then DOCKER_CONTENT_TRUST_SERVER, else the
 * registry itself over HTTPS (`https://REGISTRY`, where `portcullis serve`
 * answers the Notary API) — Docker Hub's images at `https://notary.docker.io`,
 * as Docker does. Shared by signing (publish) and reading (content trust).
 */
import { NotaryPublishError } from './publish-errors.js';

export interface NotaryServerSources {
  /** `--notary-server`. */
  readonly flag?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** The image's registry host (`127.0.0.1:5000`, `docker.io`). */
  readonly registry: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

function parseServer(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NotaryPublishError('NOTARY_SERVER_INVALID', `${source} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new NotaryPublishError('NOTARY_SERVER_INVALID', `${source} must be an https:// URL, not ${url.protocol}`);
  if (url.username || url.password) throw new NotaryPublishError('NOTARY_SERVER_INVALID', `${source} must not carry credentials`);
  return url;
}

/**
 * The server the user configured (flag, then the two variables), or
 * undefined: then the registry's own is asked, and reading treats its absence
 * as "no Notary data" where a configured server's failure refuses.
 */
export function configuredNotaryServer(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  if (flag !== undefined && flag.trim() !== '') return parseServer(flag.trim(), '--notary-server');
  for (const name of ['PORTCULLIS_CONTENT_TRUST_SERVER', 'DOCKER_CONTENT_TRUST_SERVER']) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return parseServer(value.trim(), name);
  }
  return undefined;
}

/** The Notary server URL for images of `registry`. */
export function notaryServerUrl(sources: NotaryServerSources): URL {
  const configured = configuredNotaryServer(sources.flag, sources.env ?? process.env);
  if (configured) return configured;
  if (DOCKER_HUB.has(sources.registry)) return new URL('https://notary.docker.io');
  return parseServer(`https://${sources.registry}`, `the registry ${sources.registry}`);
}
