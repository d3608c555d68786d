/**
 * Cosign's simple-signing payload, the bytes a tag-layout signature signs:
 *
 * ```json
 * {"critical":{"identity":{"docker-reference":"registry/repo"},
 *              "image":{"docker-manifest-digest":"sha256:…"},
 *              "type":"cosign container image signature"},
 *  "optional":null}
 * ```
 * Built with exactly cosign's key order and encoding (sigstore/sigstore
 * `payload.Cosign`: `critical` then `optional`, `optional` null when there are
 * no annotations, no whitespace), so a signature we make is one cosign makes.
 *
 * Parsed the way cosign parses it (Go's encoding/json): keys match
 * case-insensitively (`Docker-manifest-digest` is the same field), extra
 * fields are ignored; a key that appears twice in different cases is refused.
 * The signature is over the exact payload bytes, never a re-serialisation.
 * Spec: sigstore/cosign specs/SIGNATURE_SPEC.md; containers/image
 * docs/containers-signature.5.md (simple signing).
 */
import { isDigest, type Digest, isRecord } from '../../core/index.js';
import { SignatureError } from './errors.js';
import { goField, parseJson, record, str } from './json.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Newer cosign releases write this `critical.type` too; we accept it when reading. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const ACCEPTED_TYPES = [COSIGN_SIGNATURE_TYPE.toLowerCase(), COSIGN_SIGN_PREDICATE_TYPE];
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference`: the repository (sometimes with tag) the signer named. */
  readonly dockerReference: string;
  readonly manifestDigest: Digest;
  readonly type: string;
  /** `optional` (annotations), null when absent. */
  readonly optional: Record<string, unknown> | null;
}

export interface BuildPayloadOptions {
  readonly dockerReference: string;
  readonly manifestDigest: Digest;
  /** Annotations (cosign `-a key=value`): strings only, as cosign writes them. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The payload bytes cosign would sign for this image and these annotations. */
export function buildSimpleSigningPayload(options: BuildPayloadOptions): Buffer {
  if (!isDigest(options.manifestDigest)) throw new SignatureError('PAYLOAD_INVALID', `invalid manifest digest "${String(options.manifestDigest)}"`);
  const annotations = options.annotations && Object.keys(options.annotations).length > 0 ? sortedObject(options.annotations) : null;
  const payload = {
    critical: {
      identity: { 'docker-reference': options.dockerReference },
      image: { 'docker-manifest-digest': options.manifestDigest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Go's encoding/json writes map keys sorted; cosign's annotations are a map. */
function sortedObject(value: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(value).sort()) out[key] = value[key]!;
  return out;
}

export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const what = 'simple-signing payload';
  const json = record(parseJson(bytes, what, 'PAYLOAD_INVALID', MAX_PAYLOAD_BYTES), what, 'PAYLOAD_INVALID');
  const critical = record(goField(json, 'critical', what, 'PAYLOAD_INVALID'), `${what} critical`, 'PAYLOAD_INVALID');
  const identity = record(goField(critical, 'identity', what, 'PAYLOAD_INVALID'), `${what} critical.identity`, 'PAYLOAD_INVALID');
  const image = record(goField(critical, 'image', what, 'PAYLOAD_INVALID'), `${what} critical.image`, 'PAYLOAD_INVALID');
  const dockerReference = str(goField(identity, 'docker-reference', what, 'PAYLOAD_INVALID') ?? '', `${what} docker-reference`, 'PAYLOAD_INVALID');
  const digest = str(goField(image, 'docker-manifest-digest', what, 'PAYLOAD_INVALID'), `${what} docker-manifest-digest`, 'PAYLOAD_INVALID');
  if (!isDigest(digest)) throw new SignatureError('PAYLOAD_INVALID', `${what} has an invalid docker-manifest-digest "${digest.slice(0, 80)}"`);
  const type = str(goField(critical, 'type', what, 'PAYLOAD_INVALID'), `${what} critical.type`, 'PAYLOAD_INVALID');
  if (!ACCEPTED_TYPES.includes(type.toLowerCase())) throw new SignatureError('PAYLOAD_INVALID', `${what} has critical.type "${type.slice(0, 80)}", not "${COSIGN_SIGNATURE_TYPE}"`);
  const optional = goField(json, 'optional', what, 'PAYLOAD_INVALID');
  return { dockerReference, manifestDigest: digest, type, optional: isRecord(optional) ? optional : null };
}
