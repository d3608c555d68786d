/**
 * Parses a `/v2/…` path into the endpoint it names. Repository names contain
 * slashes, so the path is matched against the spec's anchored patterns
 * (distribution-spec "Endpoints"), which also rejects malformed names and
 * references before any handler runs. Notary's TUF endpoints live under the
 * same prefix (`/v2/<gun>/_trust/tuf/…`), as in Docker Content Trust.
 */
import { isDigest, type Digest } from '../../../core/index.js';

/** distribution-spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*` */
const NAME = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:\\/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*';
const TAG = '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}';
const DIGEST = '[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+';
/** Whole names longer than this are refused, as distribution does (255 with the registry host). */
export const MAX_NAME_LENGTH = 255;

export type ManifestReference = { readonly tag: string } | { readonly digest: Digest };

export type V2Route =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: ManifestReference }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: Digest }
  | { readonly kind: 'upload-start'; readonly name: string }
  | { readonly kind: 'upload'; readonly name: string; readonly id: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: Digest }
  /** Notary v1 / Docker Content Trust: `name` is the GUN; `rest` is what follows `_trust/tuf/` (`root.json`, `2.root.json`, `timestamp.key`, or empty). */
  | { readonly kind: 'tuf'; readonly name: string; readonly rest: string }
  /**
   * A `/v2/` path whose name or reference breaks the grammar. For a manifest path with a valid name,
   * `manifest` names the repository and the reference as given (reads and deletes of it are 404s).
   */
  | { readonly kind: 'invalid'; readonly what: 'name' | 'reference' | 'digest'; readonly manifest?: { readonly name: string; readonly reference: string } }
  | { readonly kind: 'unknown' };

const PATTERNS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => V2Route]> = [
  [new RegExp(`^/v2/(${NAME})/tags/list$`), (m) => ({ kind: 'tags', name: m[1]! })],
  [new RegExp(`^/v2/(${NAME})/manifests/(${TAG})$`), (m) => ({ kind: 'manifest', name: m[1]!, reference: { tag: m[2]! } })],
  [
    new RegExp(`^/v2/(${NAME})/manifests/(${DIGEST})$`),
    (m) => (isDigest(m[2]!) ? { kind: 'manifest', name: m[1]!, reference: { digest: m[2]! } } : { kind: 'invalid', what: 'digest', manifest: { name: m[1]!, reference: m[2]! } }),
  ],
  [new RegExp(`^/v2/(${NAME})/blobs/uploads/?$`), (m) => ({ kind: 'upload-start', name: m[1]! })],
  [new RegExp(`^/v2/(${NAME})/blobs/uploads/([A-Za-z0-9_-]{1,128})$`), (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [new RegExp(`^/v2/(${NAME})/blobs/(${DIGEST})$`), (m) => digestRoute(m[2]!, (digest) => ({ kind: 'blob', name: m[1]!, digest }))],
  [new RegExp(`^/v2/(${NAME})/referrers/(${DIGEST})$`), (m) => digestRoute(m[2]!, (digest) => ({ kind: 'referrers', name: m[1]!, digest }))],
];

/**
 * Notary GUNs are full image names with the registry host (`host:port/team/app`),
 * so they are not repository names; notary-server routes them as `[^*]+`. The
 * rest is empty for publish (POST) and delete (DELETE) of the whole GUN.
 */
const TUF = /^\/v2\/([A-Za-z0-9][A-Za-z0-9._:\/-]{0,254})\/_trust\/tuf\/([A-Za-z0-9._\/-]{0,255})$/;

function digestRoute(value: string, make: (digest: Digest) => V2Route): V2Route {
  return isDigest(value) ? make(value) : { kind: 'invalid', what: 'digest' };
}

/** `path` is the URL path without the query string, percent-decoding not applied (names never need it). */
export function parseV2Path(path: string): V2Route {
  if (path === '/v2' || path === '/v2/') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (!path.startsWith('/v2/')) return { kind: 'unknown' };
  const tuf = TUF.exec(path);
  if (tuf) return tuf[1]!.split('/').some((part) => part === '' || part === '.' || part === '..') ? { kind: 'invalid', what: 'name' } : { kind: 'tuf', name: tuf[1]!, rest: tuf[2]! };
  for (const [pattern, make] of PATTERNS) {
    const m = pattern.exec(path);
    if (!m) continue;
    const route = make(m);
    if ('name' in route && route.name.length > MAX_NAME_LENGTH) return { kind: 'invalid', what: 'name' };
    if (route.kind === 'invalid' && route.manifest !== undefined && route.manifest.name.length > MAX_NAME_LENGTH) return { kind: 'invalid', what: 'name' };
    return route;
  }
  // Say which part is wrong when the shape is recognisable, as distribution does.
  if (/^\/v2\/.+\/(manifests|blobs|tags|referrers)\//.test(path)) {
    const name = path.slice(4, path.search(/\/(manifests|blobs|tags|referrers)\//));
    if (!new RegExp(`^${NAME}$`).test(name) || name.length > MAX_NAME_LENGTH) return { kind: 'invalid', what: 'name' };
    const manifest = /^\/manifests\/([^/]+)$/.exec(path.slice(4 + name.length));
    if (manifest) return { kind: 'invalid', what: 'reference', manifest: { name, reference: manifest[1]!.slice(0, 200) } };
    return { kind: 'invalid', what: /\/(blobs|referrers)\//.test(path) ? 'digest' : 'reference' };
  }
  return { kind: 'unknown' };
}
