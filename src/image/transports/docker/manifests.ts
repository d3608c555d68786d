/**
 * Manifest reads and writes against one registry (GET, HEAD, PUT, DELETE
 * `/v2/<name>/manifests/<reference>`), through the client's `send`: what the
 * registry answers is checked (size cap, digest, media type) by
 * manifest-checks.ts, and a pushed manifest with a `subject` updates the
 * referrers fallback index when the registry does not handle it
 * (referrers.ts). Apart from client.ts, which keeps the connection, as
 * uploads, tags and referrers are.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import { digestAlgorithm, digestOf, isDigest, verifyBytes, type Digest, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from '../../../core/index.js';
import type { ManifestBlob } from '../../types.js';
import { repositoryScope } from './auth.js';
import { readBounded, readErrorBody } from './bodies.js';
import type { RegistryClient } from './client.js';
import { errorFromResponse, manifestErrorFromResponse, RegistryError } from './errors.js';
import { header, type HttpResponse } from './http.js';
import { checkManifestDigest, manifestMediaType, manifestSubject } from './manifest-checks.js';
import { updateReferrersFallback } from './referrers.js';

export interface ManifestHead {
  digest?: Digest;
  mediaType?: string;
  size?: number;
}

export interface PutManifestResult {
  digest: Digest;
  /** True when the registry processed `subject` itself (OCI-Subject header); false when we updated the fallback tag. */
  subjectHandled?: boolean;
}

/** `manifest host/repo:tag` or `manifest host/repo@sha256:…`, as messages name it. */
function manifestName(client: RegistryClient, repository: string, reference: string): string {
  return `manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
}

/** GET or HEAD of a manifest, accepting every manifest type we read. */
function pull(client: RegistryClient, method: 'GET' | 'HEAD', repository: string, reference: string, what: string): Promise<HttpResponse> {
  return client.send({ method, target: `/v2/${repository}/manifests/${reference}`, scopes: [repositoryScope(repository, ['pull'])], headers: { accept: MANIFEST_ACCEPT.join(', ') }, what });
}

export async function getManifest(client: RegistryClient, repository: string, reference: string): Promise<ManifestBlob> {
  const what = manifestName(client, repository, reference);
  const res = await pull(client, 'GET', repository, reference, what);
  if (res.status !== 200) throw manifestErrorFromResponse(what, res.status, await readErrorBody(res));
  const declaredLength = Number(header(res.headers, 'content-length') ?? '-1');
  if (declaredLength > MAX_MANIFEST_BYTES) {
    res.body.destroy();
    throw new RegistryError('TOO_LARGE', `${what} is ${declaredLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  const bytes = await readBounded(res, MAX_MANIFEST_BYTES, what);
  const contentType = (header(res.headers, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  const digest = checkManifestDigest(bytes, reference, header(res.headers, 'docker-content-digest'), what);
  return { bytes, mediaType: manifestMediaType(bytes, contentType, what), digest };
}

/** HEAD of a manifest: undefined when it does not exist. */
export async function headManifest(client: RegistryClient, repository: string, reference: string): Promise<ManifestHead | undefined> {
  const what = manifestName(client, repository, reference);
  const res = await pull(client, 'HEAD', repository, reference, what);
  await res.body.dump().catch(() => undefined);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw errorFromResponse(what, res.status, undefined);
  const head: ManifestHead = {};
  const digest = header(res.headers, 'docker-content-digest');
  if (digest && isDigest(digest)) head.digest = digest;
  const type = header(res.headers, 'content-type');
  if (type) head.mediaType = type.split(';')[0]?.trim() ?? type;
  const length = Number(header(res.headers, 'content-length'));
  if (Number.isSafeInteger(length) && length >= 0) head.size = length;
  return head;
}

/**
 * PUT a manifest by tag or digest. When it has a `subject` and the registry
 * does not answer `OCI-Subject`, the referrers tag-schema index is updated
 * (spec: "Pushing Manifests with Subject").
 */
export async function putManifest(client: RegistryClient, repository: string, reference: string, manifest: { bytes: Buffer; mediaType: string }): Promise<PutManifestResult> {
  const what = manifestName(client, repository, reference);
  const digest = isDigest(reference) ? reference : digestOf(manifest.bytes);
  if (isDigest(reference)) verifyBytes(manifest.bytes, reference, what);
  const res = await client.send({
    method: 'PUT',
    target: `/v2/${repository}/manifests/${reference}`,
    scopes: [repositoryScope(repository, ['pull', 'push'])],
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    what,
  });
  const body = await readErrorBody(res);
  if (res.status !== 201 && res.status !== 200) throw errorFromResponse(what, res.status, body);
  const answered = header(res.headers, 'docker-content-digest');
  if (answered && isDigest(answered) && digestAlgorithm(answered) === digestAlgorithm(digest) && answered !== digest) {
    throw new RegistryError('PROTOCOL', `${what}: registry stored digest ${answered}, expected ${digest}`);
  }
  const result: PutManifestResult = { digest };
  const subject = manifestSubject(manifest.bytes);
  if (subject) {
    result.subjectHandled = header(res.headers, 'oci-subject') !== undefined;
    if (result.subjectHandled) client.noteReferrersApi(true);
    else await updateReferrersFallback(client, repository, subject, manifest, digest);
  }
  return result;
}

export async function deleteManifest(client: RegistryClient, repository: string, digest: Digest): Promise<void> {
  const what = `manifest ${client.registry}/${repository}@${digest}`;
  const res = await client.send({
    method: 'DELETE',
    target: `/v2/${repository}/manifests/${digest}`,
    scopes: [repositoryScope(repository, ['delete'])],
    what,
  });
  const body = await readErrorBody(res);
  if (res.status !== 202 && res.status !== 200) throw errorFromResponse(what, res.status, body);
}
