/**
 * Cosign's tag layout (cosign v2, still the default of most tools): the
 * signatures of image `sha256:<hex>` live in an OCI image manifest tagged
 * `sha256-<hex>.sig` in the image's repository. Each signature is one layer:
 * the simple-signing payload as a blob of type
 * `application/vnd.dev.cosign.simplesigning.v1+json`, the base64 signature in
 * the layer annotation `dev.cosignproject.cosign/signature`. Attestations use
 * `sha256-<hex>.att`, one DSSE envelope per layer
 * (`application/vnd.dsse.envelope.v1+json`, annotation `predicateType`).
 *
 * Adding a signature appends a layer to what is there and never drops one;
 * the config is regenerated (cosign's empty image config, one diff_id per
 * layer, which equals the layer digest as layers are uncompressed).
 * Pure: manifests and blobs in, manifests and blobs out.
 * Spec: sigstore/cosign specs/SIGNATURE_SPEC.md ("Tag-based Discovery", "OCI Image Manifest V1").
 */
import { digestAlgorithm, digestHex, sha256Digest, type Digest, MediaType, parseManifest, type Descriptor } from '../../core/index.js';
import { SignatureError } from './errors.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';
import { DSSE_ENVELOPE_MEDIA_TYPE } from './dsse.js';

export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
/** Our hint of the signing key id on a layer (outside the signed payload, like a bundle's publicKey.hint: it only picks the key to try first). */
export const KEY_ID_ANNOTATION = 'dev.portcullis/key-id';
/** How many layers one signature manifest may hold before we refuse to read or extend it. */
export const MAX_SIGNATURE_LAYERS = 256;

export type TagKind = 'sig' | 'att';

/** `sha256-<hex>.sig` (or `.att`) for an image digest. */
export function cosignTag(digest: Digest, kind: TagKind = 'sig'): string {
  return `${digestAlgorithm(digest)}-${digestHex(digest)}.${kind}`;
}

/** A blob to upload (payload or config) with its descriptor. */
export interface BlobToPush {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

export interface LayerToAdd {
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface BuiltSignatureManifest {
  readonly manifest: Buffer;
  /** Blobs the manifest references that must be in the repository first (config and new layers). */
  readonly blobs: readonly BlobToPush[];
  /** False when every layer to add was already there (nothing to push). */
  readonly changed: boolean;
}

/** One simple-signing signature layer for the tag layout. */
export function signatureLayer(payload: Buffer, signature: Buffer, annotations: Readonly<Record<string, string>> = {}): LayerToAdd {
  return { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, bytes: payload, annotations: { ...annotations, [SIGNATURE_ANNOTATION]: signature.toString('base64') } };
}

/** One attestation layer: a DSSE envelope, annotated with its predicate type (cosign writes an empty signature annotation). */
export function attestationLayer(envelope: Buffer, predicateType: string): LayerToAdd {
  return { mediaType: DSSE_ENVELOPE_MEDIA_TYPE, bytes: envelope, annotations: { [PREDICATE_TYPE_ANNOTATION]: predicateType, [SIGNATURE_ANNOTATION]: '' } };
}

/**
 * The signature manifest with `add` appended to `existing` (the current
 * manifest bytes, or undefined when the tag does not exist). A layer equal to
 * one already present (same digest, same annotations) is not added twice.
 */
export function appendToSignatureManifest(existing: Uint8Array | undefined, add: readonly LayerToAdd[]): BuiltSignatureManifest {
  const layers: Descriptor[] = existing ? readSignatureLayers(existing) : [];
  const blobs: BlobToPush[] = [];
  let changed = false;
  for (const layer of add) {
    const descriptor: Descriptor = { mediaType: layer.mediaType, size: layer.bytes.length, digest: sha256Digest(layer.bytes), annotations: { ...layer.annotations } };
    if (layers.some((l) => l.digest === descriptor.digest && sameAnnotations(l.annotations, descriptor.annotations))) continue;
    layers.push(descriptor);
    blobs.push({ descriptor, bytes: layer.bytes });
    changed = true;
  }
  if (layers.length > MAX_SIGNATURE_LAYERS) throw new SignatureError('SIGNATURE_MANIFEST_INVALID', `a signature manifest may hold at most ${MAX_SIGNATURE_LAYERS} layers`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
    'utf8',
  );
  const configDescriptor: Descriptor = { mediaType: MediaType.OciConfig, size: config.length, digest: sha256Digest(config) };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDescriptor,
      layers: layers.map(orderedDescriptor),
    }),
    'utf8',
  );
  return { manifest, blobs: [{ descriptor: configDescriptor, bytes: config }, ...blobs], changed };
}

/** The layers of a signature (or attestation) manifest, checked for shape. */
export function readSignatureLayers(bytes: Uint8Array): Descriptor[] {
  let layers: Descriptor[];
  try {
    layers = parseManifest(bytes).layers;
  } catch (cause) {
    throw new SignatureError('SIGNATURE_MANIFEST_INVALID', `the signature manifest is not an image manifest: ${(cause as Error).message}`, { cause });
  }
  if (layers.length > MAX_SIGNATURE_LAYERS) throw new SignatureError('SIGNATURE_MANIFEST_INVALID', `the signature manifest has ${layers.length} layers, over ${MAX_SIGNATURE_LAYERS}`);
  return layers;
}

/** The signature annotation of a simple-signing layer, decoded; undefined when the layer is not one. */
export function layerSignature(layer: Descriptor): Buffer | undefined {
  if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return undefined;
  const b64 = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (typeof b64 !== 'string' || b64 === '') return undefined;
  return Buffer.from(b64, 'base64');
}

function orderedDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = d.annotations;
  return out;
}

function sameAnnotations(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a![k] === b![k]);
}
