/**
 * Garbage collection of `portcullis serve`: one run removes the tags retention rules do not keep, the
 * manifests nothing keeps (retention.ts), the loose links (a repository's links to blobs none of its
 * manifests use, older than the grace period: uploads never used, layers of deleted images), then the
 * blobs nothing links or references, then stored bytes the metadata does not know at all — while pushes
 * go on, on this process or others sharing the stores.
 *
 * The protocol (docs/serve.md "Garbage collection" argues it; distribution's `registry garbage-collect`
 * needs the registry read-only, Harbor marks blobs `delete` in its database and makes pushes of them
 * upload again, zot spares blobs younger than `gcDelay`; this takes Harbor's database-side state and
 * zot's delay, and adds an epoch so the delay is a courtesy, not what safety rests on):
 *
 * 1. A blob row is `live` or `deleting`. A collector deletes bytes only of a blob it claimed, and claims
 *    only a live blob that, in the same transaction, nothing links or references (not even as a manifest)
 *    and nobody touched since the grace cutoff. The claim gives the row a new epoch.
 * 2. Every link or reference (upload finish, mount, manifest PUT) happens in a transaction that refuses
 *    a claimed blob and touches the ones it uses. So once a claim commits, nothing can newly rely on the
 *    blob; once a link commits, no claim can take it.
 * 3. A push reserves a blob before it relies on bytes that may already be stored (push-guard.ts), and
 *    links it with the epoch it reserved: if a collector claimed it in between (the blob was unlinked
 *    and older than the grace period), the epoch changed and the link is refused (503, retry) instead of
 *    pointing at bytes that are gone.
 * 4. After deleting the bytes the collector drops the row, matching the claim's epoch. Bytes without a
 *    row (a crash between writing and recording them) are claimed by inserting a `deleting` row, which a
 *    reservation cannot pass either, once they are older than the grace period.
 *
 * Safety holds for any grace period, zero included (the concurrency test runs with zero); the grace
 * period only spares pushes the retry. Crash safety: every step is one transaction or one idempotent
 * storage call, and a claim outlives its collector: the next run (or a push that meets it after the
 * claim timeout) finishes it. One collector runs at a time, by a lease in the metadata store renewed
 * while it works; a run that cannot renew stops before its next deletion (lease.ts).
 *
 * Cost: memory is one repository's manifests and tags at a time (retention needs its whole graph) plus
 * pages of 500 digests; the report (report.ts) keeps at most `maxListed` entries of each kind. Time is linear in
 * the metadata (every repository, every unreferenced blob, one lookup per subject an accessory names outside
 * its repository, and again in the deleting transaction for those of the accessories it deletes) and in storage: the orphan pass lists every stored blob, as distribution's collector walks
 * its whole blob tree.
 */
import type { Digest } from '../../core/index.js';
import type { BlobClaim, MetadataStore, RepositorySnapshot } from '../metadata/store.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DEFAULT_LEASE_TTL_MS, GcLease } from './lease.js';
import { NO_PROJECT_SETTINGS, projectOf, type ProjectSettings, type ProjectSettingsProvider } from './projects.js';
import { GcTally, type GcReport } from './report.js';
import { absentSubjects, planRetention } from './retention.js';

export const DEFAULT_GRACE_MS = 3_600_000;
export const DEFAULT_UNTAGGED_RETENTION_MS = 7 * 86_400_000;

export interface GcOptions {
  /** List what would go, and the bytes, without deleting anything. */
  readonly dryRun?: boolean;
  /** Blobs touched (uploaded, linked, referenced) more recently than this are never swept (default 1 h). */
  readonly graceMs?: number;
  /**
   * Links younger than this are never loose (default: `graceMs`). It bounds how long a client may take between
   * uploading a blob and pushing the manifest that uses it; `graceMs` only spares pushes a retry. Apart so
   * that the concurrency test can run claims with no grace at all while its clients still get to finish.
   */
  readonly linkGraceMs?: number;
  /** Untagged manifests are kept this long, unless their project says otherwise (default 7 days). */
  readonly untaggedRetentionMs?: number;
  readonly projects?: ProjectSettingsProvider;
  /** How long the collector's lease lasts without renewal (default 2 min; renewed at a third of it). */
  readonly leaseTtlMs?: number;
  /** Entries per list in the report (default 1,000); the counts are always complete. */
  readonly maxListed?: number;
  readonly now?: () => Date;
  /** For tests: told about each step, and may pause there (the crash test kills the process in one). */
  readonly onStep?: (step: GcStep) => void | Promise<void>;
}

export type GcStep =
  | { readonly kind: 'repository'; readonly repository: string }
  | { readonly kind: 'claimed' | 'deleted' | 'finished'; readonly digest: Digest };

export interface GcStores {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
}

const PAGE = 500;
const PLAN_ATTEMPTS = 3;

export async function runGc(stores: GcStores, options: GcOptions = {}): Promise<GcReport> {
  return new Collector(stores, options).run();
}

class Collector {
  readonly #blobs: BlobStore;
  readonly #metadata: MetadataStore;
  readonly #dryRun: boolean;
  readonly #now: () => Date;
  readonly #graceMs: number;
  readonly #linkGraceMs: number;
  readonly #untaggedRetentionMs: number;
  readonly #projects: ProjectSettingsProvider;
  readonly #lease: GcLease;
  readonly #tally: GcTally;
  readonly #onStep: GcOptions['onStep'];
  readonly #settings = new Map<string, Promise<ProjectSettings>>();
  /** Dry run: `repository@digest` of manifests the plans would delete, and the blobs that may go with them. */
  readonly #plannedManifests = new Set<string>();
  readonly #maybeGarbage = new Set<Digest>();
  /** Blobs touched before this are old enough to collect (set when the run starts). */
  #cutoff = '';
  /** Links made before this are old enough to be loose. */
  #linkCutoff = '';

  constructor(stores: GcStores, options: GcOptions) {
    this.#blobs = stores.blobs;
    this.#metadata = stores.metadata;
    this.#dryRun = options.dryRun === true;
    this.#now = options.now ?? (() => new Date());
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.#linkGraceMs = options.linkGraceMs ?? this.#graceMs;
    this.#untaggedRetentionMs = options.untaggedRetentionMs ?? DEFAULT_UNTAGGED_RETENTION_MS;
    this.#projects = options.projects ?? NO_PROJECT_SETTINGS;
    this.#lease = new GcLease(this.#metadata, options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, this.#now);
    this.#tally = new GcTally(options.maxListed ?? 1000);
    this.#onStep = options.onStep;
  }

  async run(): Promise<GcReport> {
    const started = this.#now();
    const startedMs = Date.now();
    if (!this.#dryRun) await this.#lease.take(true);
    try {
      const cutoff = new Date(this.#now().getTime() - this.#graceMs);
      this.#cutoff = cutoff.toISOString();
      this.#linkCutoff = new Date(this.#now().getTime() - this.#linkGraceMs).toISOString();
      if (!this.#dryRun) await this.finishLeftClaims();
      if (!this.#dryRun) await this.recordSizes();
      await this.retention();
      await this.sweep(this.#cutoff);
      if (this.#dryRun) await this.sweepPlanned();
      await this.sweepOrphans(cutoff);
    } finally {
      if (!this.#dryRun) await this.#lease.release();
    }
    return this.#tally.report({ dryRun: this.#dryRun, startedAt: started.toISOString(), durationMs: Date.now() - startedMs });
  }

  private async step(step: GcStep): Promise<void> {
    await this.#onStep?.(step);
  }

  /** Claims a collector left behind (it stopped between claiming and dropping the row): delete, drop. */
  private async finishLeftClaims(): Promise<void> {
    const seen = new Set<string>();
    for (;;) {
      // A claim that comes back again (its row would not drop) is not looped on: the next run sees it.
      const claims = (await this.#metadata.claimedBlobs({ limit: PAGE })).filter((c) => !seen.has(`${c.digest}@${c.epoch}`));
      if (claims.length === 0) return;
      for (const claim of claims) {
        seen.add(`${claim.digest}@${claim.epoch}`);
        await this.deleteClaimed(claim, false);
        this.#tally.claimsFinished++;
      }
    }
  }

  /**
   * Sizes of blobs recorded before sizes were (schema v1), read from storage, so quotas count them. A blob
   * with no bytes (a foreign layer a manifest names) keeps no size, and is looked at again next run.
   */
  private async recordSizes(): Promise<void> {
    let after = '';
    for (;;) {
      const page = await this.#metadata.blobsWithoutSize({ after, limit: PAGE });
      for (const digest of page) {
        const info = await this.#blobs.stat(digest);
        if (info !== undefined) await this.#metadata.setBlobSize(digest, info.size);
      }
      if (page.length < PAGE) return;
      after = page.at(-1)!;
    }
  }

  private async retention(): Promise<void> {
    let last: string | undefined;
    for (;;) {
      const page = await this.#metadata.listRepositories({ ...(last !== undefined ? { last } : {}), limit: PAGE });
      for (const repository of page) {
        this.#tally.repositories++;
        await this.step({ kind: 'repository', repository });
        await this.retainRepository(repository);
        await this.unlinkLoose(repository);
      }
      if (page.length < PAGE) return;
      last = page.at(-1);
    }
  }

  private async retainRepository(repository: string): Promise<void> {
    const settings = await this.settingsOf(repository);
    const policy = { untaggedRetentionMs: settings.untaggedRetentionMs ?? this.#untaggedRetentionMs, ...(settings.retention ? { rules: settings.retention } : {}) };
    for (let attempt = 1; attempt <= PLAN_ATTEMPTS; attempt++) {
      const snapshot = await this.#metadata.repositorySnapshot(repository);
      if (snapshot === undefined) return;
      const plan = planRetention(snapshot, policy, this.#now(), await this.subjectsElsewhere(snapshot));
      if (plan.tags.length === 0 && plan.manifests.length === 0) return;
      if (this.#dryRun) {
        this.#tally.retained(repository, plan);
        for (const digest of plan.manifests) this.#plannedManifests.add(`${repository}@${digest}`);
        for (const digest of plan.manifests) {
          this.#maybeGarbage.add(digest);
          for (const ref of (await this.#metadata.getManifest(repository, digest))?.references ?? []) this.#maybeGarbage.add(ref);
        }
        return;
      }
      await this.#lease.take();
      // Applied only at the version it was computed from, and while the subjects it took to be nowhere are:
      // a push in between, here or of such a subject elsewhere, makes us look again.
      if (await this.#metadata.applyDeletions(repository, plan, this.#now().toISOString())) {
        this.#tally.retained(repository, plan);
        return;
      }
    }
    this.#tally.skipped(repository);
  }

  /** Subjects the repository's accessories name, held by another repository (their accessories stay). */
  private async subjectsElsewhere(snapshot: RepositorySnapshot): Promise<Set<string>> {
    const elsewhere = new Set<string>();
    for (const subject of absentSubjects(snapshot)) if ((await this.#metadata.repositoriesWithManifest(subject)).length > 0) elsewhere.add(subject);
    return elsewhere;
  }

  /** Links of the repository that none of its manifests use, older than the cutoff (dry run: the blobs they may free). */
  private async unlinkLoose(repository: string): Promise<void> {
    let after = '';
    for (;;) {
      const page = await this.#metadata.looseLinks(repository, this.#linkCutoff, { after, limit: PAGE });
      for (const digest of page) {
        if (this.#dryRun) {
          this.#tally.linksRemoved++;
          this.#maybeGarbage.add(digest);
        } else {
          await this.#lease.take();
          if (await this.#metadata.unlinkIfLoose(repository, digest, this.#linkCutoff)) this.#tally.linksRemoved++;
        }
      }
      if (page.length < PAGE) return;
      after = page.at(-1)!;
    }
  }

  private settingsOf(repository: string): Promise<ProjectSettings> {
    const project = projectOf(repository);
    let settings = this.#settings.get(project);
    if (settings === undefined) {
      settings = this.#projects.settingsFor(project);
      this.#settings.set(project, settings);
    }
    return settings;
  }

  /** Blobs nothing links or references, untouched since the cutoff: claim, delete, drop, one at a time. */
  private async sweep(touchedBefore: string): Promise<void> {
    let after = '';
    for (;;) {
      const page = await this.#metadata.unreferencedBlobs({ touchedBefore, after, limit: PAGE });
      for (const digest of page) {
        if (this.#dryRun) {
          this.#maybeGarbage.delete(digest);
          await this.wouldDelete(digest);
          continue;
        }
        await this.#lease.beforeDelete();
        const claim = await this.#metadata.claimBlob(digest, { touchedBefore, now: this.#now().toISOString() });
        if (claim === undefined) continue; // touched, linked or claimed since it was listed
        await this.step({ kind: 'claimed', digest });
        await this.deleteClaimed(claim, false);
      }
      if (page.length < PAGE) return;
      after = page.at(-1)!;
    }
  }

  /**
   * Dry run: the blobs the planned deletions would leave unreferenced — held only by manifests the plans
   * delete, and by links that are (or would become) loose: older than the cutoff, in a repository where
   * only planned manifests use the blob.
   */
  private async sweepPlanned(): Promise<void> {
    for (const digest of this.#maybeGarbage) {
      const holders = await this.#metadata.blobHolders(digest, 1000);
      if (holders.truncated) continue;
      const planned = (m: { repository: string; digest: Digest }): boolean => this.#plannedManifests.has(`${m.repository}@${m.digest}`);
      if (!holders.manifests.every(planned)) continue;
      const linkStays = (link: { repository: string; linkedAt?: string }): boolean =>
        (link.linkedAt ?? '') >= this.#linkCutoff || holders.manifests.some((m) => m.repository === link.repository && !planned(m));
      if (holders.links.some(linkStays)) continue;
      await this.wouldDelete(digest);
    }
  }

  /** Stored bytes older than the cutoff that no row describes. */
  private async sweepOrphans(cutoff: Date): Promise<void> {
    let batch: Array<{ digest: Digest; size: number }> = [];
    const flush = async (): Promise<void> => {
      const found = batch;
      batch = [];
      if (this.#dryRun) {
        for (const blob of found) if ((await this.#metadata.blobRow(blob.digest)) === undefined) this.#tally.blobDeleted(blob.digest, blob.size, true);
        return;
      }
      await this.#lease.beforeDelete();
      const sizes = new Map(found.map((b) => [b.digest, b.size]));
      for (const claim of await this.#metadata.claimOrphans(found.map((b) => b.digest), this.#now().toISOString())) {
        await this.step({ kind: 'claimed', digest: claim.digest });
        await this.deleteClaimed({ ...claim, size: sizes.get(claim.digest) ?? 0 }, true);
      }
    };
    for await (const blob of this.#blobs.list()) {
      if (blob.modifiedAt.getTime() >= cutoff.getTime()) continue;
      batch.push({ digest: blob.digest, size: blob.size });
      if (batch.length >= PAGE) await flush();
    }
    if (batch.length > 0) await flush();
  }

  /** Deletes a claimed blob's bytes and drops its row; true when there were bytes. */
  private async deleteClaimed(claim: BlobClaim, orphan: boolean): Promise<boolean> {
    await this.#lease.beforeDelete();
    const size = claim.size ?? (await this.#blobs.stat(claim.digest))?.size;
    const existed = await this.#blobs.delete(claim.digest);
    await this.step({ kind: 'deleted', digest: claim.digest });
    await this.#metadata.finishClaim(claim);
    await this.step({ kind: 'finished', digest: claim.digest });
    if (existed) this.#tally.blobDeleted(claim.digest, size, orphan);
    return existed;
  }

  /** Dry run: counts a blob as going when it has bytes to free (a row alone, such as a foreign layer's, frees nothing). */
  private async wouldDelete(digest: Digest): Promise<void> {
    const size = (await this.#blobs.stat(digest))?.size;
    if (size !== undefined) this.#tally.blobDeleted(digest, size, false);
  }
}
