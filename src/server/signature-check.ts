/**
 * "Refuse unsigned images", answered by the same verification the CLI's
 * `portcullis verify` runs (cosign tag layout and Sigstore bundles via the
 * referrers API, keys from the trust store, the trust policy), pointed at the
 * registry itself over loopback. The manifest is passed in already read, so
 * the check never re-enters the pull policy for the image it judges; the
 * signature artifacts it fetches are artifacts, which the policy always
 * serves. The repository identity is the registry's public name, the one
 * clients sign under, not the loopback address.
 *
 * The same verification also describes what it found (`describe`): each
 * signature with its key, and whether that key is trusted for the
 * repository, for the web UI, which shows it beside the verdict and never
 * verifies anything itself. Both answers come from one cached report.
 *
 * Docker Content Trust counts too: with a Notary service, the registry's
 * own Notary data for the image's GUN (`<public name>/<repository>`) is
 * read from its store and verified (content-trust.ts), and an image is
 * signed when either that or the cosign/Sigstore verification says so; a
 * tag whose signed target is another digest is refused. The policy entry's
 * pins (`notary.rootKeys`, `notary.signers`) decide which Notary keys count
 * (content-trust.ts `pinContentTrust`); a project's policy pins its own.
 *
 * Answers are cached (by image and, for pulls by tag, the tag): a positive one for minutes (a signature does not stop
 * being valid while the process runs, short of key revocation), a negative
 * one for seconds, and forgotten as soon as a signature for that image is
 * pushed (a `sha256-<hex>.sig` tag or a referrer), so an image signed right
 * after its push is served at once, and as soon as Notary data is
 * published for its repository (`notaryPublished`).
 *
 * A project's trust policy (project-trust.ts) is judged on the same report,
 * after the registry's policy allowed the image; an image's answers are
 * cached per tag and per project policy they were made under (the web UI's
 * `describe` asks without either), and all of them dropped on a signature push.
 *
 * Several processes (invalidation.ts): what is forgotten comes as an
 * `Invalidation` (`invalidate`), published by whichever process took the
 * push or the Notary change (`signatureChanges` says which for a push).
 * While the bus cannot hear other processes (`listening` false) nothing is
 * answered from, or kept in, the cache; an answer whose verification began
 * before an invalidation is not kept either (it may predate the change).
 * With several processes a positive answer lives 30 s, not minutes
 * (`positiveTtlMs`, from the bus's `keepAtMostMs`): the bound on a change
 * whose notification was lost with the process that made it.
 */
import { createHash } from 'node:crypto';
import { type Digest, readAllBounded, MAX_MANIFEST_BYTES } from '../core/index.js';
import { verifyRepository, type RepositoryFiles } from '../trust/tuf/index.js';
import { openTrustSession, verifyImage, type KeyFile, type TrustSession, type VerifyReport } from '../engine/trust/index.js';
import { findEntry, TRUST_SOURCES, type KeyStore, type Policy, type PolicyEntry, type SignatureStatus } from '../trust/index.js';
import { contentTrustDecision, pinContentTrust, signatureDecision, signedDigests, type ContentTrustDecision, type NotaryEvidence } from './content-trust.js';
import { projectTrustDecision } from './project-trust.js';
import type { SignatureCheck } from './policy.js';
import type { ManifestRecord, MetadataStore } from './metadata/store.js';
import type { PolicyDecision, RegistryEvents } from './services.js';
import type { BlobStore } from './storage/blob-store.js';
import type { Invalidation } from './invalidation.js';

export interface SignatureCheckOptions {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly keys: KeyStore;
  readonly policy?: Policy;
  /** PEM keys the policy names, already read. */
  readonly policyKeys?: readonly KeyFile[];
  /** `host:port` the registry listens on (loopback), known once it listens. */
  readonly selfAddress: () => string;
  /** `host[:port]` clients use to name this registry. */
  readonly publicName: () => string;
  /** Credentials that pass the registry's own authentication (an internal token). */
  readonly internalToken?: string;
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
  /** The registry's Notary service: its stored trust data for a GUN (notary/repository.ts). */
  readonly notary?: NotaryTrustData;
  /** The clock attestation ages are measured with (tests set it). */
  readonly now?: () => Date;
  /** Whether changes made by other processes are heard now (invalidation.ts); cached answers are used only then. Default: always. */
  readonly listening?: () => boolean;
}

/** Where the check reads a GUN's Notary metadata from (the registry's own store). */
export interface NotaryTrustData {
  repositoryFiles(gun: string): Promise<(RepositoryFiles & { readonly trustedRoot: Uint8Array }) | undefined>;
}

/** The GUN's stored Notary data, verified now; what is wrong with it otherwise (never thrown: a failure is evidence of nothing). */
export async function readNotaryEvidence(source: NotaryTrustData, gun: string, now = new Date()): Promise<NotaryEvidence> {
  try {
    const files = await source.repositoryFiles(gun);
    if (!files) return { state: 'none' };
    return { state: 'verified', repository: verifyRepository(files, { gun, now, trustedRoot: files.trustedRoot }) };
  } catch (error) {
    return { state: 'invalid', error: (error as Error).message };
  }
}

/** One signature found for an image, as the verification judged it. */
export interface SignatureFound {
  readonly layout: 'tag' | 'bundle';
  readonly status: SignatureStatus;
  /** The verifier's one line: who signed, or what is wrong. */
  readonly message: string;
  readonly keyId?: string;
  /** A key file's path, when the key came from one. */
  readonly keyLabel?: string;
  readonly keySource?: 'store' | 'file';
  /** The key may sign for this repository (verified by a trusted key). */
  readonly trusted: boolean;
}

/** What the signature check found for one image: the same report its decision came from. */
export interface SignatureSummary {
  /** The trust policy accepts the image (the pull is not refused for its signatures). */
  readonly verified: boolean;
  /** No signature of any kind was found. */
  readonly unsigned: boolean;
  readonly signatures: readonly SignatureFound[];
  /** Why the policy refused, when it did. */
  readonly reason?: string;
  /** The policy entry that applied (`file:line`, `default`). */
  readonly entry: string;
  /** When the verification ran (answers are cached). */
  readonly checkedAt: string;
  /** What the registry's own Notary data says (with a Notary service). */
  readonly contentTrust?: ContentTrustDecision;
}

/** Indexes looked at for a manifest pulled by digest: a repository signs more images than this only in an attack. */
const MAX_SIGNED_INDEXES = 256;
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** Content trust for one pull: the GUN's verified data, and for a pull by digest the signed indexes of the repository that list the manifest. */
async function judgeContentTrust(source: NotaryTrustData & { readonly metadata: MetadataStore }, gun: string, record: ManifestRecord, tag: string | undefined): Promise<ContentTrustDecision> {
  const evidence = await readNotaryEvidence(source, gun);
  const listedBy: Digest[] = [];
  if (tag === undefined && evidence.state === 'verified') {
    for (const candidate of signedDigests(evidence, MAX_SIGNED_INDEXES)) {
      if (candidate === record.digest) continue;
      const parent = await source.metadata.getManifest(record.repository, candidate);
      if (parent && INDEX_TYPES.has(parent.mediaType) && parent.references.includes(record.digest)) listedBy.push(candidate);
    }
  }
  return contentTrustDecision({ gun, digest: record.digest, size: record.size, tag, evidence, listedBy });
}

export interface SignatureChecker extends RegistryEvents {
  readonly check: SignatureCheck;
  /** The findings behind `check`'s answer for this image (one verification, shared cache). */
  describe(repository: string, digest: Digest): Promise<SignatureSummary>;
  /** Notary data was published for this repository: forget its cached answers. */
  notaryPublished(repository: string): void;
  /** Forgets what the change names (from this process or another). */
  invalidate(change: Invalidation): void;
  close(): Promise<void>;
}

/** What the registry's current signature check found for an image; undefined when signatures are not checked (no --require-signature). */
export interface SignatureView {
  describe(repository: string, digest: Digest): Promise<SignatureSummary | undefined>;
}

interface Verdict {
  readonly decision: PolicyDecision;
  readonly summary: SignatureSummary;
}

/** Signatures listed per image: more than this is noise (and a hostile image could attach thousands). */
const MAX_LISTED = 20;

function summarize(report: VerifyReport, decision: PolicyDecision, contentTrust: ContentTrustDecision | undefined): SignatureSummary {
  return {
    verified: decision.allowed,
    unsigned: report.policy.unsigned && contentTrust?.outcome !== 'signed' && contentTrust?.outcome !== 'mismatch' && contentTrust?.outcome !== 'untrusted',
    signatures: report.signatures.slice(0, MAX_LISTED).map((c) => ({
      layout: c.layout,
      status: c.status,
      message: c.message,
      trusted: c.status === 'verified',
      ...(c.keyId ? { keyId: c.keyId } : {}),
      ...(c.keyLabel ? { keyLabel: c.keyLabel } : {}),
      ...(c.keySource ? { keySource: c.keySource } : {}),
    })),
    ...(decision.allowed ? {} : { reason: decision.reason }),
    entry: report.policy.entry,
    checkedAt: new Date().toISOString(),
    ...(contentTrust ? { contentTrust } : {}),
  };
}

const SIGNATURE_TAG = /^sha256-([0-9a-f]{64})\.(sig|att)$/;

/** What a pushed (or deleted) manifest or tag changes in the signature answers: its subject's, a `.sig`/`.att` tag's image's. */
export function signatureChanges(record: Pick<ManifestRecord, 'repository' | 'subject'>, tag?: string): Invalidation[] {
  const changes: Invalidation[] = [];
  if (record.subject) changes.push({ kind: 'image', repository: record.repository, digest: record.subject });
  const signed = tag ? SIGNATURE_TAG.exec(tag) : null;
  if (signed) changes.push({ kind: 'image', repository: record.repository, digest: `sha256:${signed[1]}` as Digest });
  return changes;
}

export function createSignatureCheck(options: SignatureCheckOptions): SignatureChecker {
  /** `repository@digest[#tag]` → project policy fingerprint ('' for none) → answer. */
  const cache = new Map<string, Map<string, { verdict: Verdict; until: number }>>();
  let session: TrustSession | undefined;
  /** Counts invalidations: an answer is kept only when none came while it was being verified. */
  let epoch = 0;
  const listening = options.listening ?? (() => true);

  async function verify(repository: string, digest: Digest, tag: string | undefined, project: PolicyEntry | undefined): Promise<Verdict> {
    const record = await options.metadata.getManifest(repository, digest);
    if (!record) {
      const decision: PolicyDecision = { allowed: false, reason: `manifest ${digest} is not in ${repository}`, summary: 'not in this repository' };
      return { decision, summary: { verified: false, unsigned: true, signatures: [], reason: decision.reason, entry: 'default', checkedAt: new Date().toISOString() } };
    }
    const bytes = await readAllBounded(await options.blobs.read(digest), MAX_MANIFEST_BYTES, `manifest ${digest}`);
    session ??= openTrustSession();
    const identity = `${options.publicName()}/${repository}`;
    const now = options.now?.() ?? new Date();
    const report = await verifyImage(`${options.selfAddress()}/${repository}@${digest}`, {
      context: { tlsVerify: false, ...(options.internalToken ? { credentials: { username: '<token>', password: options.internalToken } } : {}) },
      session,
      store: options.keys,
      identity,
      contentTrust: true,
      resolved: { bytes, mediaType: record.mediaType, digest },
      now: () => now,
      ...(project && project.attestations.length > 0 ? { attestations: true } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.policyKeys ? { policyKeys: options.policyKeys } : {}),
    });
    const entry = options.policy ? findEntry(options.policy, identity) : undefined;
    const notary = options.notary;
    const found = notary ? await judgeContentTrust({ repositoryFiles: (gun) => notary.repositoryFiles(gun), metadata: options.metadata }, identity, record, tag) : undefined;
    // The registry's entry pins Notary's keys (notary.rootKeys, notary.signers); a project's policy pins its own below.
    const contentTrust = pinContentTrust(found, entry?.notary, identity);
    const signed = signatureDecision({
      identity,
      digest,
      cosign: { verified: report.verified, unsigned: report.policy.unsigned, reason: report.policy.reason },
      contentTrust,
      // Without a policy file every source counts; with one, the entry for this repository says (sources: [...], notary.authoritative).
      contentTrustCounts: entry === undefined || (entry.sources ?? TRUST_SOURCES).includes('notary'),
      contentTrustAuthoritative: entry?.notary?.authoritative === true,
    });
    const unmetAttestation = !signed.allowed && signed.summary === 'no trusted signature' && report.policy.unmet?.startsWith('attestation:');
    const decision: PolicyDecision = unmetAttestation && !signed.allowed ? { ...signed, summary: `${report.policy.unmet} not met` } : signed;
    const judged = decision.allowed && project ? projectTrustDecision(report, project, identity, now, found) : decision;
    return { decision: judged, summary: summarize(report, judged, contentTrust) };
  }

  async function verdictOf(repository: string, digest: Digest, tag?: string, project?: PolicyEntry): Promise<Verdict> {
    const key = `${repository}@${digest}${tag === undefined ? '' : `#${tag}`}`;
    // A digest, not the policy itself: a project's allowlist may hold a thousand entries, and the cache ten thousand images.
    const fingerprint = project ? createHash('sha256').update(JSON.stringify(project)).digest('hex') : '';
    const cached = listening();
    const hit = cached ? cache.get(key)?.get(fingerprint) : undefined;
    if (hit && hit.until > Date.now()) return hit.verdict;
    const started = epoch;
    const verdict = await verify(repository, digest, tag, project);
    if (!cached || !listening() || epoch !== started) return verdict;
    const ttl = verdict.decision.allowed ? (options.positiveTtlMs ?? 300_000) : (options.negativeTtlMs ?? 5_000);
    if (cache.size > 10_000) cache.clear();
    const answers = cache.get(key) ?? new Map<string, { verdict: Verdict; until: number }>();
    // A few policies per image at most (none, the project's current one, a previous one): the newest kept.
    if (answers.size >= 4) answers.clear();
    answers.set(fingerprint, { verdict, until: Date.now() + ttl });
    cache.set(key, answers);
    return verdict;
  }

  /** The image's answers, by digest and by each tag. */
  const forget = (image: string) => {
    for (const key of cache.keys()) if (key === image || key.startsWith(`${image}#`)) cache.delete(key);
  };
  const invalidate = (change: Invalidation): void => {
    epoch++;
    if (change.kind === 'everything') cache.clear();
    else if (change.kind === 'image') forget(`${change.repository}@${change.digest}`);
    else for (const key of cache.keys()) if (key.startsWith(`${change.repository}@`)) cache.delete(key);
  };

  return {
    async check(repository: string, digest: Digest, tag?: string, project?: PolicyEntry): Promise<PolicyDecision> {
      return (await verdictOf(repository, digest, tag, project)).decision;
    },
    async describe(repository: string, digest: Digest): Promise<SignatureSummary> {
      return (await verdictOf(repository, digest)).summary;
    },
    manifestPushed(record: ManifestRecord, tag?: string): void {
      for (const change of signatureChanges(record, tag)) invalidate(change);
    },
    notaryPublished(repository: string): void {
      invalidate({ kind: 'repository', repository });
    },
    invalidate,
    async close(): Promise<void> {
      await session?.close();
    },
  };
}
