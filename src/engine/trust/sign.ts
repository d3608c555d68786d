/**
 * Signing and attesting an image in its registry: the manifest digest (a tag
 * is resolved once) is signed, and the signature or in-toto statement is
 * pushed in the cosign tag layout, as a Sigstore bundle referrer, or both.
 */
import { formatImageRef, refName, type Digest } from '../../core/index.js';
import {
  signBytes,
  type UnlockedKey,
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  INTOTO_PAYLOAD_TYPE,
  KEY_ID_ANNOTATION,
  PredicateType,
  attestationLayer,
  buildDsseBundle,
  buildSimpleSigningPayload,
  buildStatement,
  pae,
  serializeEnvelope,
  signatureLayer,
} from '../../trust/index.js';
import { registryRef, withClient, type TrustContext } from './context.js';
import { appendTagLayers, pushBundleReferrer, resolveSubject } from './registry.js';

export type SignLayout = 'tag' | 'bundle' | 'both';

export interface SignOptions extends TrustContext {
  readonly key: UnlockedKey;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly layout?: SignLayout;
}

export interface SignResult {
  readonly reference: string;
  readonly repository: string;
  readonly digest: Digest;
  readonly keyId: string;
  /** Where the signature went: `tag` → the .sig manifest digest, `bundle` → the referrer digest. */
  readonly pushed: { readonly layout: 'tag' | 'bundle'; readonly manifest: string }[];
}

/** Signs the image's manifest digest (a tag is resolved once) and pushes the signature in the chosen layouts. */
export async function signImage(image: string, options: SignOptions): Promise<SignResult> {
  const ref = registryRef(image);
  const repository = refName(ref);
  return withClient(ref, options, async (client) => {
    const subject = await resolveSubject(client, ref);
    const digest = subject.digest;
    const layout = options.layout ?? 'both';
    const pushed: { layout: 'tag' | 'bundle'; manifest: string }[] = [];
    const keyId = options.key.id;
    if (layout === 'tag' || layout === 'both') {
      const payload = buildSimpleSigningPayload({ dockerReference: repository, manifestDigest: digest, ...(options.annotations ? { annotations: options.annotations } : {}) });
      const signature = signBytes(options.key.privateKey, payload);
      const manifest = await appendTagLayers(client, ref.repository, digest, 'sig', [signatureLayer(payload, signature, { [KEY_ID_ANNOTATION]: keyId })]);
      pushed.push({ layout: 'tag', manifest });
    }
    if (layout === 'bundle' || layout === 'both') {
      const statement = buildStatement({ name: repository, digest, predicateType: PredicateType.CosignSign, predicate: {} });
      const bundle = signedBundle(options.key, statement);
      const manifest = await pushBundleReferrer(client, ref.repository, subject, bundle, {
        [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
        [BUNDLE_PREDICATE_TYPE_ANNOTATION]: PredicateType.CosignSign,
        'org.opencontainers.image.created': (options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      pushed.push({ layout: 'bundle', manifest });
    }
    return { reference: formatImageRef({ ...ref, digest }), repository, digest, keyId, pushed };
  });
}

function signedEnvelope(key: UnlockedKey, statement: Buffer) {
  const signature = signBytes(key.privateKey, pae(INTOTO_PAYLOAD_TYPE, statement));
  return { payloadType: INTOTO_PAYLOAD_TYPE, payload: statement, signatures: [{ keyid: '', sig: signature }] };
}

function signedBundle(key: UnlockedKey, statement: Buffer): Buffer {
  return buildDsseBundle(signedEnvelope(key, statement), key.id);
}

export interface AttestOptions extends TrustContext {
  readonly key: UnlockedKey;
  readonly predicateType: string;
  readonly predicate: unknown;
  readonly layout?: SignLayout;
}

export interface AttestResult extends SignResult {
  readonly predicateType: string;
}

/** Attaches a signed in-toto statement (DSSE) about the image's digest, as `cosign attest` does. */
export async function attestImage(image: string, options: AttestOptions): Promise<AttestResult> {
  const ref = registryRef(image);
  const repository = refName(ref);
  return withClient(ref, options, async (client) => {
    const subject = await resolveSubject(client, ref);
    const digest = subject.digest;
    const statement = buildStatement({ name: repository, digest, predicateType: options.predicateType, predicate: options.predicate });
    const envelope = signedEnvelope(options.key, statement);
    const layout = options.layout ?? 'both';
    const pushed: { layout: 'tag' | 'bundle'; manifest: string }[] = [];
    if (layout === 'tag' || layout === 'both') {
      const layer = attestationLayer(serializeEnvelope(envelope), options.predicateType);
      const manifest = await appendTagLayers(client, ref.repository, digest, 'att', [{ ...layer, annotations: { ...layer.annotations, [KEY_ID_ANNOTATION]: options.key.id } }]);
      pushed.push({ layout: 'tag', manifest });
    }
    if (layout === 'bundle' || layout === 'both') {
      const manifest = await pushBundleReferrer(client, ref.repository, subject, buildDsseBundle(envelope, options.key.id), {
        [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
        [BUNDLE_PREDICATE_TYPE_ANNOTATION]: options.predicateType,
        'org.opencontainers.image.created': (options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      pushed.push({ layout: 'bundle', manifest });
    }
    return { reference: formatImageRef({ ...ref, digest }), repository, digest, keyId: options.key.id, pushed, predicateType: options.predicateType };
  });
}
