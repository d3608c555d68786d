/**
 * Reading and writing signature material in a registry with the RegistryClient:
 * the cosign tag layout (`sha256-<hex>.sig` / `.att`) and Sigstore bundles as
 * OCI 1.1 referrers (referrers API or its tag fallback). Every blob is read
 * verified against its descriptor and capped; a blob whose bytes do not match
 * becomes `unreadable` evidence (reported, never trusted). Counts are capped
 * as sizes are: a `.sig` holds at most 256 layers (cosign-tag.ts), and an
 * image with more than MAX_BUNDLE_REFERRERS bundle referrers is refused
 * rather than read (two requests each, listed by whoever may push).
 */
import {
  readAllBounded,
  sha256Digest,
  type Digest,
  isPortcullisError,
  MediaType,
  parseManifest,
  type Descriptor,
  type ImageRef,
} from '../../core/index.js';
import type { ManifestBlob } from '../../image/index.js';
import { RegistryError, type RegistryClient } from '../../image/transports/docker/index.js';
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
} from '../../trust/index.js';
import { TrustError } from './errors.js';

export interface EvidenceSet {
  readonly signatures: Evidence[];
  readonly attestations: Evidence[];
}

/** Bundle referrers read for one image, as many as a `.sig` may hold layers. */
export const MAX_BUNDLE_REFERRERS = 256;

/** At most this many reads of one kind in flight per verification (a `.sig` may list 256 layers). */
const READ_CONCURRENCY = 8;

/** `items.map(work)` with at most READ_CONCURRENCY running; results in input order. */
async function mapConcurrently<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
  return results;
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

/**
 * Signature blobs already read in a session, by registry, repository and
 * digest. Only blobs are kept: a blob is asked for only after a manifest read
 * in the same verification (the `.sig` manifest, a referrer manifest) named
 * it, so the registry still holds it, and its bytes were verified against that
 * digest when first read. Manifests and tags are always read again.
 */
export class SignatureBlobCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes || this.entries.has(key)) return;
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, bytes] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= bytes.length;
    }
  }
}

interface BlobReader {
  readonly client: RegistryClient;
  readonly repository: string;
  readonly blobs: SignatureBlobCache | undefined;
}

async function readBlob(reader: BlobReader, descriptor: Descriptor, max: number, what: string): Promise<Buffer | string> {
  if (descriptor.size > max) return `${what} ${descriptor.digest} is ${descriptor.size} bytes, over the ${max}-byte limit`;
  const { client, repository, blobs } = reader;
  const key = `${client.registry}/${repository}@${descriptor.digest}`;
  const cached = blobs?.get(key);
  if (cached && cached.length === descriptor.size) return cached;
  try {
    const bytes = await readAllBounded(await client.getBlob(repository, descriptor), max, what);
    blobs?.set(key, bytes);
    return bytes;
  } catch (error) {
    if (isPortcullisError(error) && ['DIGEST_MISMATCH', 'SIZE_MISMATCH', 'TRUNCATED'].includes(error.code)) {
      return `${what} ${descriptor.digest} does not match its digest in the signature manifest: the registry served other bytes (${error.code})`;
    }
    if (isNotFound(error) || (error instanceof RegistryError && error.code === 'BLOB_UNKNOWN')) return `${what} ${descriptor.digest} is missing from the registry`;
    throw error;
  }
}

/** Everything signed about `digest` in both layouts. */
export async function readEvidence(
  client: RegistryClient,
  repository: string,
  digest: Digest,
  options: { attestations?: boolean; blobs?: SignatureBlobCache } = {},
): Promise<EvidenceSet> {
  const reader: BlobReader = { client, repository, blobs: options.blobs };
  const signatures: Evidence[] = [];
  const attestations: Evidence[] = [];
  const bundleSignatures: Evidence[] = [];
  const bundleAttestations: Evidence[] = [];
  // Three independent chains, run concurrently: the cosign v2 `.sig` tag and its blobs, the `.att`
  // tag and its blobs, and the cosign v3 bundles (referrers listing, then each referrer's manifest
  // and bundle blob, all referrers at once). Evidence keeps its order: tag layers, then referrers.
  const sigTag = cosignTag(digest, 'sig');
  const attTag = cosignTag(digest, 'att');
  const tagChain = async (tag: string, out: Evidence[]): Promise<void> => {
    const manifest = await getOptionalManifest(client, repository, tag);
    if (manifest) await readTagLayers(reader, manifest, tag, out);
  };
  const bundleChain = async (): Promise<void> => {
    const referrers = await client.referrers(repository, digest, { artifactType: BUNDLE_MEDIA_TYPE, limit: MAX_BUNDLE_REFERRERS });
    if (referrers.length > MAX_BUNDLE_REFERRERS) {
      // Whoever may push lists as many referrers as they like; reading each is two requests. Fail closed.
      throw new TrustError('TRUST_REFUSED', `${client.registry}/${repository}@${digest} has more than ${MAX_BUNDLE_REFERRERS} Sigstore bundle referrers: not reading them`);
    }
    const bundles = await mapConcurrently(referrers, (desc) => readBundleReferrer(reader, digest, desc));
    for (const found of bundles) {
      if (!found) continue;
      if (found.signature) bundleSignatures.push(found.evidence);
      else if (options.attestations) bundleAttestations.push(found.evidence);
    }
  };
  await Promise.all([tagChain(sigTag, signatures), options.attestations ? tagChain(attTag, attestations) : undefined, bundleChain()]);
  return { signatures: [...signatures, ...bundleSignatures], attestations: [...attestations, ...bundleAttestations] };
}

/** One listed referrer: its bundle as evidence (a signature or an attestation), or undefined when it holds no bundle. */
async function readBundleReferrer(reader: BlobReader, digest: Digest, desc: Descriptor): Promise<{ evidence: Evidence; signature: boolean } | undefined> {
  const { client, repository } = reader;
  const location = `referrer ${desc.digest.slice(0, 19)}`;
  const unreadable = (message: string) => ({ evidence: { layout: 'bundle', location, kind: 'unreadable', message } as Evidence, signature: true });
  const manifest = await getOptionalManifest(client, repository, desc.digest);
  if (!manifest) return unreadable(`the referrer ${desc.digest} is listed but missing`);
  let layer: Descriptor | undefined;
  try {
    const parsed = parseManifest(manifest.bytes);
    if (parsed.subject?.digest !== digest) return unreadable(`the referrer ${desc.digest} names subject ${parsed.subject?.digest ?? '(none)'}, not ${digest}`);
    layer = parsed.layers.find((l) => l.mediaType === BUNDLE_MEDIA_TYPE);
  } catch (error) {
    return unreadable(`the referrer ${desc.digest} is not a manifest: ${(error as Error).message}`);
  }
  if (!layer) return undefined;
  const bytes = await readBlob(reader, layer, MAX_BUNDLE_BYTES, 'bundle blob');
  if (typeof bytes === 'string') return unreadable(bytes);
  try {
    const bundle = parseBundle(bytes);
    const signature = bundlePredicateType(bundle.dsseEnvelope?.payload) === PredicateType.CosignSign || !bundle.dsseEnvelope;
    return { evidence: { layout: 'bundle', location, kind: 'bundle', bundle }, signature };
  } catch (error) {
    // As before: a malformed bundle is reported with the signatures.
    return unreadable(`the bundle is malformed: ${(error as Error).message}`);
  }
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

async function readTagLayers(reader: BlobReader, manifest: ManifestBlob, tag: string, out: Evidence[]): Promise<void> {
  let layers: Descriptor[];
  try {
    layers = readSignatureLayers(manifest.bytes);
  } catch (error) {
    out.push({ layout: 'tag', location: tag, kind: 'unreadable', message: (error as Error).message });
    return;
  }
  // every layer's blob at once; evidence in layer order
  const found = await mapConcurrently(layers, (layer, i) => readTagLayer(reader, layer, `${tag} layer ${i}`));
  for (const evidence of found) if (evidence) out.push(evidence);
}

async function readTagLayer(reader: BlobReader, layer: Descriptor, location: string): Promise<Evidence | undefined> {
  const keyHint = layer.annotations?.[KEY_ID_ANNOTATION];
  if (layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) {
    const signature = layerSignature(layer);
    if (!signature) return { layout: 'tag', location, kind: 'unreadable', message: 'the layer has no signature annotation' };
    const payload = await readBlob(reader, layer, MAX_PAYLOAD_BYTES, 'signature payload blob');
    if (typeof payload === 'string') return { layout: 'tag', location, kind: 'unreadable', message: payload };
    return { layout: 'tag', location, kind: 'simple-signing', payload, signature, ...(keyHint ? { keyHint } : {}) };
  }
  if (layer.mediaType === DSSE_ENVELOPE_MEDIA_TYPE) {
    const bytes = await readBlob(reader, layer, MAX_BUNDLE_BYTES, 'attestation blob');
    if (typeof bytes === 'string') return { layout: 'tag', location, kind: 'unreadable', message: bytes };
    try {
      return { layout: 'tag', location, kind: 'dsse', envelope: parseEnvelope(bytes), ...(keyHint ? { keyHint } : {}) };
    } catch (error) {
      return { layout: 'tag', location, kind: 'unreadable', message: (error as Error).message };
    }
  }
  return undefined;
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
/** What a referrer's `subject` names: enough to sign an image known only by a HEAD. */
export interface SubjectDescriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

export async function pushBundleReferrer(
  client: RegistryClient,
  repository: string,
  subject: SubjectDescriptor,
  bundle: Buffer,
  annotations: Readonly<Record<string, string>>,
): Promise<string> {
  const built = buildBundleReferrer(bundle, subject, annotations);
  const manifest = parseManifest(built.manifest);
  await pushBlob(client, repository, manifest.config, built.config);
  await pushBlob(client, repository, manifest.layers[0]!, built.layer);
  const digest = sha256Digest(built.manifest);
  await client.putManifest(repository, digest, { bytes: built.manifest, mediaType: MediaType.OciManifest });
  return digest;
}

/** The manifest a reference names (a tag resolved once). */
export async function resolve(client: RegistryClient, ref: ImageRef): Promise<ManifestBlob> {
  return client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
}

/**
 * The digest, media type and size of what a reference names, from a HEAD when
 * the registry answers one completely (as cosign resolves), else from a GET. A
 * registry that refuses to serve an image's content until it is signed still
 * answers HEAD, so the image can be signed.
 */
export async function resolveSubject(client: RegistryClient, ref: ImageRef): Promise<SubjectDescriptor> {
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const head = await client.headManifest(ref.repository, reference).catch(() => undefined);
  if (head?.digest && head.mediaType && head.size !== undefined && (!ref.digest || head.digest === ref.digest)) {
    return { digest: head.digest, mediaType: head.mediaType, size: head.size };
  }
  const blob = await resolve(client, ref);
  return { digest: blob.digest, mediaType: blob.mediaType, size: blob.bytes.length };
}
