/**
 * The referrers API (`GET /v2/<name>/referrers/<digest>`, optional
 * `artifactType` filter) and its tag-schema fallback for registries without
 * it: an index stored under the tag `<alg>-<hex>` lists the referrers. When
 * we push a manifest with a `subject` to such a registry, we update that index.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 *       (…#referrers-tag-schema, …#pushing-manifests-with-subject)
 */
import {
  digestAlgorithm,
  digestHex,
  type Digest,
  MediaType,
  parseIndex,
  type Descriptor,
  isRecord,
  MAX_MANIFEST_BYTES,
  appendAll,
} from '../../../core/index.js';
import { repositoryScope } from './auth.js';
import { readBounded, readErrorBody, type RegistryClient } from './client.js';
import { errorFromResponse, RegistryError } from './errors.js';
import { header, headerValues } from './http.js';
import { nextLink } from './tags.js';

export interface ReferrersOptions {
  artifactType?: string;
  /** Skip the API and read the fallback tag directly. */
  fallbackOnly?: boolean;
  /** Stop paging once more than this many are known (the caller gets at least limit + 1 and decides). */
  limit?: number;
}

/** `sha256-<hex>`, cut to the 128 characters a tag may have. */
export function referrersTag(digest: Digest): string {
  return `${digestAlgorithm(digest)}-${digestHex(digest)}`.slice(0, 128);
}

/**
 * The referrers of `digest`. A registry that answered the API with a plain
 * 404 (not an OCI index, not an error about the repository or subject) is
 * remembered by the client as having no API: later lookups on that client go
 * straight to the fallback tag, saving a round trip each.
 */
export async function referrers(client: RegistryClient, repository: string, digest: Digest, options: ReferrersOptions): Promise<Descriptor[]> {
  if (!options.fallbackOnly && !client.referrersApiMissing) {
    const fromApi = await referrersApi(client, repository, digest, options);
    if (fromApi) return fromApi;
  }
  const index = await fallbackIndex(client, repository, digest);
  return filter(index?.manifests ?? [], options.artifactType);
}

/** The API's answer, or undefined when the registry does not implement it (404). */
async function referrersApi(client: RegistryClient, repository: string, digest: Digest, options: ReferrersOptions): Promise<Descriptor[] | undefined> {
  const what = `referrers of ${client.registry}/${repository}@${digest}`;
  const query = options.artifactType ? `?${new URLSearchParams({ artifactType: options.artifactType }).toString()}` : '';
  let target: string | URL = `/v2/${repository}/referrers/${digest}${query}`;
  const out: Descriptor[] = [];
  for (let page = 0; page < 1000; page++) {
    const res = await client.send({
      method: 'GET',
      target,
      scopes: [repositoryScope(repository, ['pull'])],
      headers: { accept: MediaType.OciIndex },
      what,
    });
    if (res.status === 404 && page === 0) {
      const body = await readErrorBody(res);
      if (!isIndexContentType(res.headers['content-type']) && !namesRepositoryOrSubject(body)) client.noteReferrersApi(false);
      return undefined;
    }
    if (res.status !== 200) throw errorFromResponse(what, res.status, await readErrorBody(res));
    if (page === 0) client.noteReferrersApi(true);
    const body = await readBounded(res, MAX_MANIFEST_BYTES, what);
    const filtered = (header(res.headers, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    const manifests = parseIndex(body).manifests;
    appendAll(out, filtered ? manifests : filter(manifests, options.artifactType));
    if (options.limit !== undefined && out.length > options.limit) return out;
    const next = nextLink(headerValues(res.headers, 'link'));
    if (!next) return out;
    target = new URL(next, res.url);
  }
  throw new RegistryError('PROTOCOL', `${what}: too many pages`);
}

function isIndexContentType(value: string | string[] | undefined): boolean {
  const type = (Array.isArray(value) ? value[0] : value)?.split(';')[0]?.trim().toLowerCase();
  return type === MediaType.OciIndex;
}

/**
 * Whether a 404 body is a registry error about the repository or the subject
 * (NAME_UNKNOWN, MANIFEST_UNKNOWN): a registry with the API may answer so, so
 * it says nothing about the API being missing.
 */
function namesRepositoryOrSubject(body: Buffer | undefined): boolean {
  if (!body) return false;
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    const errors = isRecord(json) && Array.isArray(json.errors) ? json.errors : [];
    return errors.some((e) => isRecord(e) && (e.code === 'NAME_UNKNOWN' || e.code === 'MANIFEST_UNKNOWN'));
  } catch {
    return false;
  }
}

async function fallbackIndex(client: RegistryClient, repository: string, digest: Digest) {
  try {
    const blob = await client.getManifest(repository, referrersTag(digest));
    return { blob, ...parseIndex(blob.bytes) };
  } catch (error) {
    if (error instanceof RegistryError && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NOT_FOUND')) return undefined;
    throw error;
  }
}

function filter(manifests: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? manifests.filter((m) => m.artifactType === artifactType) : manifests;
}

/** Adds the pushed manifest to the subject's fallback index (creating it), unless it is listed already. */
export async function updateReferrersFallback(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  manifest: { bytes: Buffer; mediaType: string },
  digest: Digest,
): Promise<void> {
  const entry: Descriptor = { mediaType: manifest.mediaType, digest, size: manifest.bytes.length };
  const json: unknown = JSON.parse(manifest.bytes.toString('utf8'));
  if (isRecord(json)) {
    const config = json.config;
    const artifactType = typeof json.artifactType === 'string' ? json.artifactType : isRecord(config) && typeof config.mediaType === 'string' ? config.mediaType : undefined;
    if (artifactType) entry.artifactType = artifactType;
    if (isRecord(json.annotations)) {
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(json.annotations)) if (typeof v === 'string') annotations[k] = v;
      entry.annotations = annotations;
    }
  }
  const existing = await fallbackIndex(client, repository, subject.digest);
  if (existing?.manifests.some((m) => m.digest === digest)) return;
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...(existing?.manifests ?? []), entry],
  };
  await client.putManifest(repository, referrersTag(subject.digest), { bytes: Buffer.from(JSON.stringify(index)), mediaType: MediaType.OciIndex });
}
