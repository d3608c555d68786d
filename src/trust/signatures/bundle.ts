/**
 * Sigstore bundles (protobuf-specs `Bundle`, JSON encoding) as cosign v3
 * stores them in a registry: an OCI 1.1 manifest whose `subject` is the image,
 * whose `artifactType` is the bundle media type, with the bundle as its only
 * layer; found through the referrers API or its tag-schema fallback.
 *
 * We read and write key-based bundles: `verificationMaterial.publicKey.hint`
 * (we write the key id) with either `messageSignature` or `dsseEnvelope`.
 * Bundles that carry Fulcio certificates parse (`certificate` is reported),
 * but portcullis verifies with keys only. Transparency-log entries and
 * timestamps are kept as they are and not verified (key-based trust, no Rekor).
 *
 * Why hand-written rather than `@sigstore/bundle` + `@sigstore/verify`
 * (checked with `npm view`: verify 4.1.3, bundle 5.0.1): their Verifier is
 * built around a TrustedRoot (Fulcio CAs, Rekor and CT log keys, TSAs) and
 * policy thresholds for them; plugging in our key store, per-repository
 * authorization and revocation means emulating a trusted root for every
 * check. The formats themselves are a few JSON fields, and the parts that
 * matter (PAE, signature conventions) are shared with the tag layout here.
 * Spec: https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../../core/index.js';
import { SignatureError } from './errors.js';
import { envelopeFromJson, type DsseEnvelope } from './dsse.js';
import { base64Bytes, parseJson, record, str } from './json.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ACCEPTED_MEDIA_TYPES = [
  BUNDLE_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];
/** Annotation cosign sets on a bundle referrer: `dsse-envelope` or `message-signature`. */
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

export interface MessageSignature {
  readonly digestAlgorithm: string;
  readonly digest: Buffer;
  readonly signature: Buffer;
}

export interface Bundle {
  readonly mediaType: string;
  /** `verificationMaterial.publicKey.hint` ('' when the bundle has none). */
  readonly keyHint: string;
  /** True when the bundle carries a certificate (keyless): we do not verify those. */
  readonly hasCertificate: boolean;
  readonly messageSignature?: MessageSignature;
  readonly dsseEnvelope?: DsseEnvelope;
}

export function buildDsseBundle(envelope: DsseEnvelope, keyHint: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: keyHint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
      dsseEnvelope: {
        payload: envelope.payload.toString('base64'),
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((s) => ({ sig: s.sig.toString('base64'), keyid: s.keyid })),
      },
    }),
    'utf8',
  );
}

/** A messageSignature bundle over `artifact` (SHA-256), signed elsewhere. */
export function buildMessageSignatureBundle(artifact: Uint8Array, signature: Uint8Array, keyHint: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: keyHint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(artifact).digest('base64') },
        signature: Buffer.from(signature).toString('base64'),
      },
    }),
    'utf8',
  );
}

export function parseBundle(bytes: Uint8Array | unknown): Bundle {
  const what = 'Sigstore bundle';
  const value = bytes instanceof Uint8Array ? parseJson(bytes, what, 'BUNDLE_INVALID', MAX_BUNDLE_BYTES) : bytes;
  const json = record(value, what, 'BUNDLE_INVALID');
  const mediaType = str(json.mediaType, `${what} mediaType`, 'BUNDLE_INVALID');
  if (!ACCEPTED_MEDIA_TYPES.includes(mediaType)) throw new SignatureError('BUNDLE_INVALID', `${what} has unknown mediaType "${mediaType.slice(0, 100)}"`);
  const material = record(json.verificationMaterial, `${what} verificationMaterial`, 'BUNDLE_INVALID');
  const keyHint = isRecord(material.publicKey) && typeof material.publicKey.hint === 'string' ? material.publicKey.hint : '';
  const hasCertificate = isRecord(material.certificate) || isRecord(material.x509CertificateChain);
  const hasMessage = json.messageSignature !== undefined && json.messageSignature !== null;
  const hasDsse = json.dsseEnvelope !== undefined && json.dsseEnvelope !== null;
  if (hasMessage === hasDsse) throw new SignatureError('BUNDLE_INVALID', `${what} must have exactly one of messageSignature and dsseEnvelope`);
  if (hasDsse) {
    return { mediaType, keyHint, hasCertificate, dsseEnvelope: envelopeFromJson(json.dsseEnvelope, `${what} dsseEnvelope`) };
  }
  const message = record(json.messageSignature, `${what} messageSignature`, 'BUNDLE_INVALID');
  const digest = record(message.messageDigest, `${what} messageDigest`, 'BUNDLE_INVALID');
  return {
    mediaType,
    keyHint,
    hasCertificate,
    messageSignature: {
      digestAlgorithm: str(digest.algorithm, `${what} messageDigest.algorithm`, 'BUNDLE_INVALID'),
      digest: base64Bytes(digest.digest, `${what} messageDigest.digest`, 'BUNDLE_INVALID'),
      signature: base64Bytes(message.signature, `${what} messageSignature.signature`, 'BUNDLE_INVALID'),
    },
  };
}

/** The empty config OCI 1.1 artifacts use (`{}`). */
export const EMPTY_CONFIG = Buffer.from('{}', 'utf8');

export interface ReferrerManifest {
  readonly manifest: Buffer;
  readonly config: Buffer;
  readonly layer: Buffer;
}

/**
 * The OCI 1.1 manifest cosign v3 writes for a bundle: artifactType = the
 * bundle media type, empty config, the bundle as the one layer, `subject` =
 * the signed image, annotations for discovery.
 */
export function buildBundleReferrer(bundle: Buffer, subject: { mediaType: string; digest: string; size: number }, annotations: Readonly<Record<string, string>>): ReferrerManifest {
  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: BUNDLE_MEDIA_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
    layers: [{ mediaType: BUNDLE_MEDIA_TYPE, digest: sha(bundle), size: bundle.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { ...annotations },
  };
  return { manifest: Buffer.from(JSON.stringify(manifest), 'utf8'), config: EMPTY_CONFIG, layer: bundle };
}
