/**
 * Auth file keys. containers' auth.json uses `host[:port]` or a namespace
 * `host/ns/repo` (most specific wins); Docker's config.json uses hosts or
 * legacy URLs (`https://index.docker.io/v1/`). Docker Hub goes by several
 * names that all mean docker.io.
 */
import { DEFAULT_REGISTRY } from '../../core/index.js';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** The server URL docker and its credential helpers use for Docker Hub. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

/** `https://host/v1/` → `host`, Docker Hub aliases → `docker.io`; namespaces kept. */
export function normalizeKey(key: string): string {
  let rest = key.trim();
  const legacyUrl = /^https?:\/\//i.test(rest);
  rest = rest.replace(/^https?:\/\//i, '');
  if (legacyUrl) rest = rest.split('/')[0] ?? rest; // URLs carry API paths, not namespaces
  rest = rest.replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  const host = (slash >= 0 ? rest.slice(0, slash) : rest).toLowerCase();
  const path = slash >= 0 ? rest.slice(slash) : '';
  return `${HUB_ALIASES.has(host) ? DEFAULT_REGISTRY : host}${path}`;
}

/** Lookup keys for a registry and optional repository, most specific first. */
export function candidateKeys(registry: string, repository?: string): string[] {
  const host = normalizeKey(registry);
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) keys.push(`${host}/${parts.slice(0, n).join('/')}`);
  }
  keys.push(host);
  return keys;
}

/** The server URL handed to a credential helper. */
export function helperServerUrl(registry: string): string {
  const host = normalizeKey(registry).split('/')[0] ?? registry;
  return host === DEFAULT_REGISTRY ? DOCKER_HUB_SERVER_URL : host;
}

/** Finds the most specific key of `entries` matching, comparing normalised forms. */
export function findKey(entries: Record<string, unknown>, registry: string, repository?: string): string | undefined {
  const byNormal = new Map<string, string>();
  for (const key of Object.keys(entries)) {
    const normal = normalizeKey(key);
    // An exact spelling wins over a legacy alias that normalises to the same key.
    if (!byNormal.has(normal) || key === normal) byNormal.set(normal, key);
  }
  for (const candidate of candidateKeys(registry, repository)) {
    const key = byNormal.get(candidate);
    if (key !== undefined) return key;
  }
  return undefined;
}
