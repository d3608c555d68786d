/**
 * Verifying an image: read both signature layouts (and attestations when
 * asked), verify every signature against the candidate keys (the trust
 * store's, `--key` files, the policy's), then evaluate the policy. Key files
 * are read here too, for the CLI and the server alike.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { type Digest, formatImageRef, refName, readRegularFile, UserFileError } from '../../core/index.js';
import type { ManifestBlob } from '../../image/index.js';
import {
  keyIdOfKey,
  type KeyStore,
  verifyAttestation,
  verifySignature,
  type CandidateKey,
  type SignatureCheck,
  evaluate,
  findEntry,
  type Policy,
  type PolicyResult,
} from '../../trust/index.js';
import { registryRef, withClient, type TrustContext } from './context.js';
import { TrustError } from './errors.js';
import { readEvidence, resolve } from './registry.js';
import { KeyStoreCache, type KeyStoreReader } from './store-cache.js';

export interface KeyFile {
  readonly path: string;
  readonly key: KeyObject;
  readonly id: string;
}

/** PEM key files are a few KiB; anything near this is not one. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** Reads PEM public keys (cosign.pub, `key export`); a private key's public half is used. */
export async function readKeyFiles(paths: readonly string[], base?: string): Promise<KeyFile[]> {
  const out: KeyFile[] = [];
  for (const path of paths) {
    const full = base && !path.startsWith('/') ? `${base}/${path}` : path;
    let text: string;
    try {
      text = (await readRegularFile(full, { what: `the key file ${path}`, maxBytes: MAX_KEY_FILE_BYTES })).toString('utf8');
    } catch (cause) {
      if (cause instanceof UserFileError) throw cause;
      throw new TrustError('PREDICATE_INVALID', `cannot read the key file ${path}`, { cause });
    }
    let key: KeyObject;
    try {
      key = createPublicKey(text);
    } catch (cause) {
      throw new TrustError('PREDICATE_INVALID', `${path} is not a PEM public key`, { cause });
    }
    out.push({ path, key, id: keyIdOfKey(key) });
  }
  return out;
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
  readonly policy: PolicyResult;
  /** True when the policy decision is allow or warn. */
  readonly verified: boolean;
}

/** Candidate keys: every non-root key of the store (trusted when certified for the repository and not revoked), then files. */
export async function candidateKeys(repository: string, store: KeyStoreReader | undefined, files: readonly KeyFile[], now: Date): Promise<CandidateKey[]> {
  const keys: CandidateKey[] = [];
  if (store) {
    const infos = (await store.list()).filter((info) => info.role !== 'root');
    // All keys at once; a failure is reported as the sequential reading would (first key, authorization first).
    const answers = await Promise.all(
      infos.map((info) => Promise.allSettled([store.checkAuthorization(info.id, repository, { now }), store.publicKey(info.id)] as const)),
    );
    for (const [i, [auth, publicKey]] of answers.entries()) {
      if (auth.status === 'rejected') throw auth.reason;
      if (publicKey.status === 'rejected') throw publicKey.reason;
      keys.push({ id: infos[i]!.id, publicKey: publicKey.value, source: 'store', trusted: auth.value.authorized, reason: auth.value.reason });
    }
  }
  for (const file of files) {
    if (keys.some((k) => k.id === file.id && k.source === 'store' && k.reason === 'revoked')) {
      keys.push({ id: file.id, publicKey: file.key, source: 'file', label: file.path, trusted: false, reason: 'revoked' });
      continue;
    }
    keys.push({ id: file.id, publicKey: file.key, source: 'file', label: file.path, trusted: true, reason: 'explicit' });
  }
  return keys;
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
    const wantAttestations = options.attestations ?? (entry !== undefined && entry.attestations.length > 0);
    const [evidence, keys] = await Promise.all([readEvidence(client, ref.repository, digest, { attestations: wantAttestations, ...(options.session ? { blobs: options.session.blobs } : {}) }), keysRead]);
    const expected = { digest, repository };
    const signatures = evidence.signatures.map((e) => verifySignature(e, expected, keys));
    const attestations = evidence.attestations.map((e) => verifyAttestation(e, expected, keys));
    const fileKeyIds: Record<string, string> = {};
    for (const f of options.policyKeys ?? []) fileKeyIds[f.path] = f.id;
    const policy = evaluate(options.policy, {
      repository,
      digest,
      contentTrust: options.contentTrust ?? true,
      signatures,
      attestations,
      now,
      fileKeyIds,
      explicitKeyIds: (options.keyFiles ?? []).map((f) => f.id),
    });
    return {
      reference: formatImageRef(ref),
      repository,
      digest,
      mediaType: manifest.mediaType,
      signatures: signatures.map((check, i) => (policy.counted ? { ...check, counted: policy.counted[i] === true } : check)),
      attestations,
      policy,
      verified: policy.decision !== 'reject',
    };
  });
}

/** The exact refusal for an image nobody signed, as Docker Content Trust words it. */
export function unsignedMessage(repository: string): string {
  return `remote trust data does not exist for ${repository}`;
}

/** The error content trust raises for a rejected report. */
export function refusal(report: VerifyReport): TrustError {
  if (report.policy.unsigned && report.policy.unmet === 'signature') return new TrustError('TRUST_REFUSED', unsignedMessage(report.repository));
  return new TrustError('TRUST_REFUSED', `content trust refused ${report.repository}@${report.digest}: ${report.policy.unmet ?? 'policy'} requirement not met: ${report.policy.reason ?? 'rejected by policy'}`);
}
