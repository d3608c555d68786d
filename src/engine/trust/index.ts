/**
 * The trust use cases: sign and attest an image in its registry, verify it,
 * and enforce content trust before a copy. They combine the pure trust
 * modules (signatures, policy, key statements) with the registry client and
 * the key store; the CLI only maps flags onto them.
 *
 * A tag is resolved once, to a digest, and only the digest is signed or
 * verified. Content trust verifies before any layer is fetched and hands the
 * copy a source pinned to the verified digest (`repo@sha256:…`), with a
 * `beforeCopy` check that the manifest about to be copied is that digest (or
 * an entry of that index): no window between check and use.
 *
 * This folder's entry, and an entry of `engine` of its own
 * (docs/architecture.md): the trust commands and the server's signature
 * check. The use cases stay in this one file rather than a file each: split
 * four ways, the extra modules cost the trust commands about 5 % of their
 * start-up (measured with bench/startup.ts). Only reading and weighing keys
 * is apart (keys.ts, re-exported here): one module more, measured at +1 to
 * 1.5 % of `verify`'s start-up CPU (medians of 31 and 41 alternating runs),
 * within what two identical trees differed by on the same loaded machine.
 */
import {
  type Digest,
  isIndexMediaType,
  parseIndex,
  formatImageRef,
  parseImageRef,
  refName,
  type ImageRef,
} from '../../core/index.js';
import type { ManifestBlob, SystemContext } from '../../image/index.js';
import { defaultTransports, formatReference } from '../../image/all.js';
import { dockerTransport, type DockerTransport, type RegistryClient } from '../../image/transports/docker/index.js';
import {
  signBytes,
  type KeyStore,
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
  verifyAttestation,
  verifySignature,
  type SignatureCheck,
  evaluate,
  findEntry,
  decide,
  sourceOfLayout,
  DEFAULT_NOTARY_RULE,
  TRUST_SOURCES,
  type Policy,
  type TrustDecision,
} from '../../trust/index.js';
import { appendTagLayers, pushBundleReferrer, readEvidence, resolve, resolveSubject } from './registry.js';
import { refusal, TrustError } from './errors.js';
import { TrustSession } from './session.js';
import { candidateKeys, type KeyFile } from './keys.js';
import { KeyStoreCache } from './store-cache.js';
// Notary (its client, TUF) loads only when it is asked: notary-source.ts is imported on use.
import type { ConsultResult, NotarySettings } from './notary-source.js';

export { TrustError, refusal, unsignedMessage, type TrustErrorCode } from './errors.js';
export { TrustSession, openTrustSession, type TrustSessionOptions } from './session.js';
export type { KeyStoreReader } from './store-cache.js';
export { candidateKeys, readKeyFiles, type KeyFile } from './keys.js';
export type { ConsultResult, NotarySettings } from './notary-source.js';
export { configuredNotaryServer } from '../notary/server-url.js';
export { NotaryPublishError } from '../notary/publish-errors.js';
export type { ImportDockerTrustOptions, ImportDockerTrustReport } from '../notary/docker-trust.js';

/** `key import-docker-trust` (engine/notary/docker-trust.ts), loaded on use. */
export async function importDockerTrust(dir: string, options: import('../notary/docker-trust.js').ImportDockerTrustOptions): Promise<import('../notary/docker-trust.js').ImportDockerTrustReport> {
  return (await import('../notary/docker-trust.js')).importDockerTrust(dir, options);
}

export type SignLayout = 'tag' | 'bundle' | 'both';

export interface TrustContext {
  readonly context: SystemContext;
  /** The docker transport to open registries with (credentials); default the standard one. */
  readonly transport?: DockerTransport;
  readonly now?: () => Date;
  /**
   * Shared by many calls in one process: pooled registry clients (ping, tokens,
   * connections, a registry's missing referrers API) and trust-store answers.
   * The caller closes it. Without one, each call opens and closes its own client.
   */
  readonly session?: TrustSession;
}

/** `docker://host/repo:tag`, `host/repo:tag` → the parsed reference (registry images only). */
export function registryRef(image: string): ImageRef {
  const name = image.startsWith('docker://') ? image.slice('docker://'.length) : image;
  for (const prefix of ['oci:', 'oci-archive:', 'docker-archive:']) {
    if (name.startsWith(prefix)) throw new TrustError('TRUST_UNSUPPORTED', `signatures live in a registry: "${image}" is not a registry image (docker://HOST/REPO[:TAG])`);
  }
  return parseImageRef(name);
}

/** Runs `work` with a client for `ref`'s registry: the session's pooled one, or one of its own, closed afterwards. */
async function withClient<T>(ref: ImageRef, trust: TrustContext, work: (client: RegistryClient) => Promise<T>): Promise<T> {
  if (trust.session) return work(await trust.session.clients.clientFor(ref, trust.context, trust.transport));
  const client = await (trust.transport ?? dockerTransport).clientFor(ref, trust.context);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

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

export interface VerifyOptions extends TrustContext {
  /** The local trust store (its non-root keys, with their authorization for the repository). */
  readonly store?: KeyStore;
  /** `--key` files: signatures by them are what is required when no policy entry applies. */
  readonly keyFiles?: readonly KeyFile[];
  readonly policy?: Policy;
  /** PEM files named by the policy, already read (path as written → key). */
  readonly policyKeys?: readonly KeyFile[];
  /** Content trust on: without a policy entry, a trusted store key must have signed. */
  readonly contentTrust?: boolean;
  /** Also read and verify attestations (default: when the policy entry asks for some). */
  readonly attestations?: boolean;
  /** The manifest already fetched for this reference (content trust passes it to avoid a second resolution). */
  readonly resolved?: ManifestBlob;
  /**
   * The repository name signatures and policy are checked against, when it
   * differs from the address connected to (the registry verifying itself over
   * loopback under its public name).
   */
  readonly identity?: string;
  /** Consult Notary v1 as a trust source (notary-source.ts); absent: Notary is not asked. */
  readonly notary?: NotarySettings;
  /** What Notary said, already asked (content trust asks before choosing the digest). */
  readonly notaryResult?: ConsultResult;
}

export interface CountedSignatureCheck extends SignatureCheck {
  /** Absent when no signature was required; false for a valid signature by a key the policy or `--key` does not accept. */
  readonly counted?: boolean;
}

export interface VerifyReport {
  readonly reference: string;
  readonly repository: string;
  readonly digest: Digest;
  readonly mediaType: string;
  /** Each signature's check, and whether it counted toward the policy's signature requirement (policy.counted). */
  readonly signatures: readonly CountedSignatureCheck[];
  readonly attestations: readonly SignatureCheck[];
  /** What Notary said (server, finding: signed role and key ids, or why not); absent when not asked. */
  readonly notary?: ConsultResult;
  /** The decision over every source (trust/policy/decide.ts). */
  readonly policy: TrustDecision;
  /** True when the policy decision is allow or warn. */
  readonly verified: boolean;
  /** Every key id verification knew: another policy evaluated over this report (a project's) reads key id prefixes alike. */
  readonly knownKeyIds: readonly string[];
}

/** Reads both layouts, verifies every signature (and attestation) and evaluates the policy. */
export async function verifyImage(image: string, options: VerifyOptions): Promise<VerifyReport> {
  const ref = registryRef(image);
  const repository = options.identity ?? refName(ref);
  const now = options.now?.() ?? new Date();
  const files = [...(options.keyFiles ?? []), ...(options.policyKeys ?? [])];
  // The keys do not depend on the image: read them while the registry is asked for the manifest.
  const store = options.store ? (options.session?.keys(options.store) ?? new KeyStoreCache(options.store)) : undefined;
  const keysRead = (async () => candidateKeys(repository, store ? await store.reader() : undefined, files, now))();
  keysRead.catch(() => undefined); // awaited below; keeps an early registry failure from leaving it unhandled
  return withClient(ref, options, async (client) => {
    const manifest = options.resolved ?? (await resolve(client, ref));
    const digest = manifest.digest;
    const entry = findEntry(options.policy, repository);
    const sources = entry?.sources ?? TRUST_SOURCES;
    const wantAttestations = options.attestations ?? (entry !== undefined && entry.attestations.length > 0);
    const askNotary = options.notary !== undefined && options.notaryResult === undefined && sources.includes('notary') && entry?.action !== 'allow';
    const [evidence, keys, asked] = await Promise.all([
      readEvidence(client, ref.repository, digest, { attestations: wantAttestations, ...(options.session ? { blobs: options.session.blobs } : {}) }),
      keysRead,
      askNotary
        ? import('./notary-source.js').then(async (n) => {
            const result = await n.consultNotary(ref, client, options.notary ?? {}, entry?.notary ?? DEFAULT_NOTARY_RULE, options);
            return { ...result, finding: n.againstManifest(result.finding, manifest) };
          })
        : undefined,
    ]);
    const notary = options.notaryResult ?? asked;
    const expected = { digest, repository };
    const allSignatures = evidence.signatures.map((e) => verifySignature(e, expected, keys));
    const signatures = allSignatures.filter((c) => sources.includes(sourceOfLayout(c.layout)));
    const attestations = evidence.attestations.map((e) => verifyAttestation(e, expected, keys));
    const fileKeyIds: Record<string, string> = {};
    for (const f of options.policyKeys ?? []) fileKeyIds[f.path] = f.id;
    const evaluated = evaluate(options.policy, {
      repository,
      digest,
      contentTrust: options.contentTrust ?? true,
      signatures,
      attestations,
      now,
      fileKeyIds,
      explicitKeyIds: (options.keyFiles ?? []).map((f) => f.id),
      knownKeyIds: keys.map((k) => k.id),
    });
    const policy = decide({ result: evaluated, sources, ...(entry?.notary ? { notaryRule: entry.notary } : {}), notary: notary?.finding ?? { kind: 'off' }, anySignature: allSignatures.length > 0 });
    const counted = policy.counted ? new Map(signatures.map((c, i) => [c, policy.counted?.[i] === true])) : undefined;
    return {
      reference: formatImageRef(ref),
      repository,
      digest,
      mediaType: manifest.mediaType,
      signatures: allSignatures.map((check) => (counted ? { ...check, counted: counted.get(check) === true } : check)),
      attestations,
      ...(notary ? { notary } : {}),
      policy,
      verified: policy.decision !== 'reject',
      knownKeyIds: keys.map((k) => k.id),
    };
  });
}

export interface ContentTrustOptions extends Omit<VerifyOptions, 'resolved' | 'keyFiles'> {
  /** Whether content trust is on (env or flag); a matching policy entry applies either way. */
  readonly contentTrust: boolean;
}

export interface ContentTrustResult {
  /** The source to copy from: pinned to the verified digest. */
  readonly source: string;
  readonly digest: Digest;
  readonly report?: VerifyReport;
  /** Pass to copyImage: refuses any manifest other than the verified one (or an entry of the verified index). */
  readonly beforeCopy: (manifest: ManifestBlob) => Promise<void>;
  /** Warnings for `action: warn`, a tag moved since Notary signed it, and the policy's notes (expired CVE allowlist entries). */
  readonly warnings: readonly string[];
}

/**
 * Verify `source` before a copy: resolve it once, verify the digest, and
 * return the source pinned to it. A registry image is `docker://HOST/REPO` or
 * a bare `HOST/REPO:TAG` (read from a registry by openSource too); local
 * sources and, with content trust off, repositories no policy entry names,
 * pass unchanged (undefined). Give the name that will be opened.
 */
export async function enforceContentTrust(name: string, options: ContentTrustOptions): Promise<ContentTrustResult | undefined> {
  const source = name.startsWith('docker://') ? name : formatReference(await defaultTransports().resolve(name));
  if (!source.startsWith('docker://')) return undefined;
  const ref = registryRef(source);
  const repository = refName(ref);
  const entry = findEntry(options.policy, repository);
  if (!options.contentTrust && !entry) return undefined;
  // One client for the resolution and the verification (the caller's session, or one of our own).
  const session = options.session ?? new TrustSession(options.transport ? { transport: options.transport } : {});
  let resolved: ManifestBlob;
  let report: VerifyReport;
  const notes: string[] = [];
  try {
    resolved = await withClient(ref, { ...options, session }, (client) => resolve(client, ref));
    if (ref.digest && resolved.digest !== ref.digest) throw new TrustError('TRUST_REFUSED', `the registry answered ${resolved.digest} for ${formatImageRef(ref)}`);
    let notaryResult: ConsultResult | undefined;
    if (options.notary && (entry?.sources ?? TRUST_SOURCES).includes('notary') && entry?.action !== 'allow') {
      // As Docker does: the tag is what Notary signed, whatever the registry's tag points at now.
      const { pinToNotary } = await import('./notary-source.js');
      const pinned = await withClient(ref, { ...options, session }, (client) => pinToNotary(ref, client, resolved, options.notary ?? {}, entry?.notary ?? DEFAULT_NOTARY_RULE, options));
      resolved = pinned.manifest;
      notaryResult = pinned.result;
      for (const note of pinned.notes) notes.push(note);
    }
    report = await verifyImage(source, { ...options, session, resolved, ...(notaryResult ? { notaryResult } : {}) });
  } finally {
    if (!options.session) await session.close();
  }
  if (report.policy.decision === 'reject') throw refusal(report);
  const warnings = [
    ...notes,
    ...(report.policy.decision === 'warn' ? [`policy ${report.policy.entry} (action warn): ${report.policy.unmet}: ${report.policy.reason}`] : []),
    ...(report.policy.notes ?? []).map((note) => `policy ${report.policy.entry}: ${note}`),
  ];
  const digest = report.digest;
  const children = new Set<string>();
  if (isIndexMediaType(resolved.mediaType)) {
    for (const m of parseIndex(resolved.bytes).manifests) children.add(m.digest);
  }
  const beforeCopy = async (manifest: ManifestBlob): Promise<void> => {
    if (manifest.digest === digest || children.has(manifest.digest)) return;
    throw new TrustError('TRUST_REFUSED', `content trust refused ${repository}: the manifest to copy (${manifest.digest}) is not the verified ${digest}`);
  };
  const pinned = `docker://${formatImageRef({ registry: ref.registry, repository: ref.repository, digest })}`;
  return { source: pinned, digest, report, beforeCopy, warnings };
}
