/**
 * Reading and writing signature material in a registry with the RegistryClient:
 * the cosign tag layout (`sha256-<hex>.sig` / `.att`) and Sigstore bundles as
 * OCI 1.1 referrers (referrers API or its tag fallback). Every blob is read
 * verified against its descriptor and capped; a blob whose bytes do not match
 * becomes `unreadable` evidence (reported, never trusted).
 */
import { readAllBounded } from '../../core/bounded.js';
import { sha256Digest, type Digest } from '../../core/digest.js';
import { isPortcullisError } from '../../core/errors.js';
import { MediaType } from '../../core/media-types.js';
import { parseManifest, type Descriptor } from '../../core/oci.js';
import type { ManifestBlob } from '../../image/types.js';
import { RegistryError } from '../../image/transports/docker/errors.js';
import type { RegistryClient } from '../../image/transports/docker/client.js';
import {
  BUNDLE_MEDIA_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  KEY_ID_ANNOTATION,
  MAX_BUNDLE_BYTES,
  MAX_PAYLOAD_BYTES,
  PredicateType,
  SIMPLE_SIGNING_MEDIA_TYPE,
  appendToSignatureManifest,
  buildBundleReferrer,
  cosignTag,
  layerSignature,
  parseBundle,
  parseEnvelope,
  readSignatureLayers,
  type Evidence,
  type LayerToAdd,
  type TagKind,
} from '../../trust/signatures/index.js';

export interface EvidenceSet {
  readonly signatures: Evidence[];
  readonly attestations: Evidence[];
}

function isNotFound(error: unknown): boolean {
  return error instanceof RegistryError && ['MANIFEST_UNKNOWN', 'NOT_FOUND', 'NAME_UNKNOWN'].includes(error.code as string);
}

export async function getOptionalManifest(client: RegistryClient, repository: string, reference: string): Promise<ManifestBlob | undefined> {
  try {
    return await client.getManifest(repository, reference);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function readBlob(client: RegistryClient, repository: string, descriptor: Descriptor, max: number, what: string): Promise<Buffer | string> {
  if (descriptor.size > max) return `${what} ${descriptor.digest} is ${descriptor.size} bytes, over the ${max}-byte limit`;
  try {
    return await readAllBounded(await client.getBlob(repository, descriptor), max, what);
  } catch (error) {
    if (isPortcullisError(error) && ['DIGEST_MISMATCH', 'SIZE_MISMATCH', 'TRUNCATED'].includes(error.code)) {
      return `${what} ${descriptor.digest} does not match its digest in the signature manifest: the registry served other bytes (${error.code})`;
    }
    if (isNotFound(error) || (error instanceof RegistryError && error.code === 'BLOB_UNKNOWN')) return `${what} ${descriptor.digest} is missing from the registry`;
    throw error;
  }
}

/** Everything signed about `digest` in both layouts. */
export async function readEvidence(client: RegistryClient, repository: string, digest: Digest, options: { attestations?: boolean } = {}): Promise<EvidenceSet> {
  const signatures: Evidence[] = [];
  const attestations: Evidence[] = [];
  const bundleSignatures: Evidence[] = [];
  const bundleAttestations: Evidence[] = [];
  // cosign v2 tag layout, and the referrers listing, read concurrently
  const sigTag = cosignTag(digest, 'sig');
  const attTag = cosignTag(digest, 'att');
  const [sig, att, referrers] = await Promise.all([
    getOptionalManifest(client, repository, sigTag),
    options.attestations ? getOptionalManifest(client, repository, attTag) : Promise.resolve(undefined),
    client.referrers(repository, digest, { artifactType: BUNDLE_MEDIA_TYPE }),
  ]);
  const tagWork = Promise.all([
    sig ? readTagLayers(client, repository, sig, sigTag, signatures) : undefined,
    att ? readTagLayers(client, repository, att, attTag, attestations) : undefined,
  ]);
  tagWork.catch(() => undefined); // awaited below; keeps an early failure from being an unhandled rejection
  // cosign v3 bundles as referrers
  for (const desc of referrers) {
    const location = `referrer ${desc.digest.slice(0, 19)}`;
    const manifest = await getOptionalManifest(client, repository, desc.digest);
    if (!manifest) {
      bundleSignatures.push({ layout: 'bundle', location, kind: 'unreadable', message: `the referrer ${desc.digest} is listed but missing` });
      continue;
    }
    let layer: Descriptor | undefined;
    try {
      const parsed = parseManifest(manifest.bytes);
      if (parsed.subject?.digest !== digest) {
        bundleSignatures.push({ layout: 'bundle', location, kind: 'unreadable', message: `the referrer ${desc.digest} names subject ${parsed.subject?.digest ?? '(none)'}, not ${digest}` });
        continue;
      }
      layer = parsed.layers.find((l) => l.mediaType === BUNDLE_MEDIA_TYPE);
    } catch (error) {
      bundleSignatures.push({ layout: 'bundle', location, kind: 'unreadable', message: `the referrer ${desc.digest} is not a manifest: ${(error as Error).message}` });
      continue;
    }
    if (!layer) continue;
    const bytes = await readBlob(client, repository, layer, MAX_BUNDLE_BYTES, 'bundle blob');
    if (typeof bytes === 'string') {
      bundleSignatures.push({ layout: 'bundle', location, kind: 'unreadable', message: bytes });
      continue;
    }
    let evidence: Evidence;
    let isSignature = true;
    try {
      const bundle = parseBundle(bytes);
      evidence = { layout: 'bundle', location, kind: 'bundle', bundle };
      isSignature = bundlePredicateType(bundle.dsseEnvelope?.payload) === PredicateType.CosignSign || !bundle.dsseEnvelope;
    } catch (error) {
      evidence = { layout: 'bundle', location, kind: 'unreadable', message: `the bundle is malformed: ${(error as Error).message}` };
    }
    if (isSignature) bundleSignatures.push(evidence);
    else if (options.attestations) bundleAttestations.push(evidence);
  }
  await tagWork;
  return { signatures: [...signatures, ...bundleSignatures], attestations: [...attestations, ...bundleAttestations] };
}

/** The predicate type a DSSE payload declares (unverified: only to sort signatures from attestations). */
function bundlePredicateType(payload: Buffer | undefined): string | undefined {
  if (!payload) return undefined;
  try {
    const json = JSON.parse(payload.toString('utf8')) as { predicateType?: unknown };
    return typeof json.predicateType === 'string' ? json.predicateType : undefined;
  } catch {
    return undefined;
  }
}

async function readTagLayers(client: RegistryClient, repository: string, manifest: ManifestBlob, tag: string, out: Evidence[]): Promise<void> {
  let layers: Descriptor[];
  try {
    layers = readSignatureLayers(manifest.bytes);
  } catch (error) {
    out.push({ layout: 'tag', location: tag, kind: 'unreadable', message: (error as Error).message });
    return;
  }
  for (const [i, layer] of layers.entries()) {
    const location = `${tag} layer ${i}`;
    const keyHint = layer.annotations?.[KEY_ID_ANNOTATION];
    if (layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) {
      const signature = layerSignature(layer);
      if (!signature) {
        out.push({ layout: 'tag', location, kind: 'unreadable', message: 'the layer has no signature annotation' });
        continue;
      }
      const payload = await readBlob(client, repository, layer, MAX_PAYLOAD_BYTES, 'signature payload blob');
      if (typeof payload === 'string') out.push({ layout: 'tag', location, kind: 'unreadable', message: payload });
      else out.push({ layout: 'tag', location, kind: 'simple-signing', payload, signature, ...(keyHint ? { keyHint } : {}) });
    } else if (layer.mediaType === DSSE_ENVELOPE_MEDIA_TYPE) {
      const bytes = await readBlob(client, repository, layer, MAX_BUNDLE_BYTES, 'attestation blob');
      if (typeof bytes === 'string') {
        out.push({ layout: 'tag', location, kind: 'unreadable', message: bytes });
        continue;
      }
      try {
        out.push({ layout: 'tag', location, kind: 'dsse', envelope: parseEnvelope(bytes), ...(keyHint ? { keyHint } : {}) });
      } catch (error) {
        out.push({ layout: 'tag', location, kind: 'unreadable', message: (error as Error).message });
      }
    }
  }
}

async function pushBlob(client: RegistryClient, repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, bytes: Buffer): Promise<void> {
  if (await client.headBlob(repository, descriptor.digest)) return;
  await client.putBlob(repository, descriptor, bytes);
}

/** Appends layers to the `.sig`/`.att` manifest of `digest` (never dropping one); returns the new manifest digest. */
export async function appendTagLayers(client: RegistryClient, repository: string, digest: Digest, kind: TagKind, layers: readonly LayerToAdd[]): Promise<string> {
  const tag = cosignTag(digest, kind);
  const existing = await getOptionalManifest(client, repository, tag);
  const built = appendToSignatureManifest(existing?.bytes, layers);
  if (!built.changed && existing) return existing.digest;
  for (const blob of built.blobs) await pushBlob(client, repository, blob.descriptor, blob.bytes);
  const result = await client.putManifest(repository, tag, { bytes: built.manifest, mediaType: MediaType.OciManifest });
  return result.digest;
}

/** Pushes a bundle as a referrer of the image; returns the referrer manifest digest. */
export async function pushBundleReferrer(
  client: RegistryClient,
  repository: string,
  subject: ManifestBlob,
  bundle: Buffer,
  annotations: Readonly<Record<string, string>>,
): Promise<string> {
  const built = buildBundleReferrer(bundle, { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length }, annotations);
  const manifest = parseManifest(built.manifest);
  await pushBlob(client, repository, manifest.config, built.config);
  await pushBlob(client, repository, manifest.layers[0]!, built.layer);
  const digest = sha256Digest(built.manifest);
  await client.putManifest(repository, digest, { bytes: built.manifest, mediaType: MediaType.OciManifest });
  return digest;
}
