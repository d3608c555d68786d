/**
 * `matchInventory`: every package of an inventory against the advisory
 * store, through the one matcher that filters it (`MATCHERS`), merged into
 * one finding per package and vulnerability, sorted with `compareFindings`.
 * Store answers are cached per (ecosystem, name) for the run, so the many
 * binary packages of one Debian source package cost one query; a store that
 * offers the batch lookups is asked for every lookup of the run at once (one
 * query per ecosystem instead of one per package name). With
 * `findEntriesBatch` matching reads the affected entries alone, judges them,
 * and loads (`getByIds`) only the advisories of packages found vulnerable:
 * loading and parsing every advisory a package name meets was most of the
 * time of a large inventory (bench/README.md, issue #14).
 *
 * An entry of `vuln` of its own (docs/architecture.md): `scan` and `lint`
 * match; the commands that only open the database do not load the matchers.
 */
import {
  appendAll,
  type Advisory,
  type AffectedMatch,
  type LayerOrigin,
  compareFindings,
  type Finding,
  type Inventory,
  type Package,
} from '../../core/index.js';
import { inSnapshot, type AdvisoryFacts, type AdvisoryReader, type AdvisoryStore, type AffectedEntry, type AffectedQuery } from '../store/store.js';
import { VersionError } from '../versions/errors.js';
import { languageMatcher } from './language.js';
import type { Matcher, MatchQuery, Verdict } from './matcher.js';
import { addLookupCandidates, mergeLoaded, type Evaluation, type LoadedMergeContext } from './merge.js';
import { isDistroSupported, osMatcher } from './os.js';
import { missingDistribution } from './vendor-feeds.js';

export type { Matcher, MatchQuery, Verdict } from './matcher.js';
export { distroEcosystems, osMatcher } from './os.js';
export { goToolchainSemver, languageMatcher, LANGUAGE_ECOSYSTEMS } from './language.js';
export { judge, renderRange, entryFeed } from './evidence.js';
export { mergeEvaluations, mergeLoaded, primaryUrlFor, vendorCve, type Evaluation, type LoadedMergeContext } from './merge.js';
export { rerateFindings, type RatingLookup, type RerateOptions, type RerateResult } from '../severity/enrich.js';
export { chooseRating, collectRatings, parseSeverityOrder, SEVERITY_SOURCE_NAMES } from '../severity/precedence.js';

const NO_WARNINGS: readonly string[] = [];

/** The one list of matchers; the first whose `filter` accepts a package handles it. */
export const MATCHERS: readonly Matcher[] = [osMatcher, languageMatcher];

/** What matching needs from the store (an AdvisoryStore has it); the batch lookups are used when the store offers them. */
export type MatchStore = Pick<AdvisoryStore, 'findAffected' | 'getById'> &
  Partial<Pick<AdvisoryStore, 'findAffectedBatch' | 'findEntriesBatch' | 'getByIds' | 'getFactsByIds' | 'ecosystemsWithEntries'>> &
  Partial<Pick<AdvisoryReader, 'exploitation' | 'readSnapshot'>>;

export interface MatchOptions {
  readonly matchers?: readonly Matcher[];
  /** Non-fatal problems: unparsable versions. */
  readonly onWarning?: (message: string) => void;
  /**
   * Packages that were found but could not be matched at all, so findings may
   * be missing: the OS packages of a distribution without advisory data (or
   * that could not be detected). Said once, with the count. Without this
   * callback it goes to `onWarning`.
   */
  readonly onIncomplete?: (reason: string) => void;
  /** The image history command that created a layer (`RUN apt-get install …`). */
  readonly layerCreatedBy?: (layer: LayerOrigin) => string | undefined;
  readonly signal?: AbortSignal;
}

/** An affected entry as matching meets it: its advisory is there when the store's lookup already loaded it. */
type Entry = AffectedEntry & { readonly advisory?: Advisory };

/** Who handles a package, what it asks the store, and where each query's answer is among the run's distinct lookups. */
interface Planned {
  readonly matcher: Matcher;
  readonly queries: readonly MatchQuery[];
  /** Where this package's queries' places among the run's distinct lookups start in the run's `slots`. */
  readonly first: number;
  readonly warnings: readonly string[];
}

/** An entry judged against one query of one package, before its advisory is loaded. */
interface Judged {
  readonly entry: Entry;
  readonly query: MatchQuery;
  readonly verdict: Verdict;
}

/**
 * The answers to the distinct lookups of one run, in their order: from
 * `findEntriesBatch` when the store has it (entries without advisories), else
 * from the lookups that load advisories with them.
 */
async function lookups(store: MatchStore, pending: readonly MatchQuery[]): Promise<(readonly Entry[])[]> {
  const asked: readonly AffectedQuery[] = pending;
  const withAdvisory = (matches: readonly AffectedMatch[]): Entry[] => matches.map((m) => ({ advisoryId: m.advisory.id, affected: m.affected, advisory: m.advisory }));
  if (asked.length === 0) return [];
  if (store.findEntriesBatch) return store.findEntriesBatch(asked);
  if (store.findAffectedBatch) return (await store.findAffectedBatch(asked)).map(withAdvisory);
  const out: Entry[][] = [];
  for (const q of pending) out.push(withAdvisory(await store.findAffected(q.ecosystem, q.name)));
  return out;
}

/**
 * Every entry of a package's queries judged: the list when at least one is
 * vulnerable, else undefined (then nothing of it is kept). An entry whose
 * versions cannot be compared is left out, with one warning per package.
 */
function judgePackage(pkg: Package, plan: Planned, slots: readonly number[], found: readonly (readonly Entry[])[], warn: (message: string) => void): Judged[] | undefined {
  const { queries, first, matcher } = plan;
  const judged: Judged[] = [];
  let vulnerable = false;
  let versionWarned = false;
  for (let q = 0; q < queries.length; q++) {
    const query = queries[q]!;
    for (const entry of found[slots[first + q]!]!) {
      let verdict: Verdict;
      try {
        verdict = matcher.vulnerable(query, entry.affected);
      } catch (error) {
        if (!(error instanceof VersionError)) throw error;
        if (!versionWarned) {
          versionWarned = true;
          warn(`${pkg.path}: ${pkg.name} ${query.version}: cannot compare with ${entry.advisoryId} (${query.ecosystem}): ${error.message}`);
        }
        continue;
      }
      if (verdict.vulnerable) vulnerable = true;
      judged.push({ entry, query, verdict });
    }
  }
  return vulnerable ? judged : undefined;
}

/**
 * Matching reads the store several times (entries, distributions, advisories, then the CVEs beside them): on a
 * store that offers snapshots all of them read one state, so an import committing meanwhile is not half seen.
 */
export function matchInventory(inventory: Inventory, store: MatchStore, options: MatchOptions = {}): Promise<Finding[]> {
  return inSnapshot(store, (reader) => matchOnce(inventory, reader, options));
}

async function matchOnce(inventory: Inventory, store: MatchStore, options: MatchOptions): Promise<Finding[]> {
  const matchers = options.matchers ?? MATCHERS;
  const warn = options.onWarning ?? (() => undefined);
  /**
   * What the run shows of advisories, by id: the facts alone (`getFactsByIds`: no affected
   * entries to parse) when the store offers them, else whole advisories, together when the store
   * can (`getByIds`), else one by one.
   */
  const loaded = new Map<string, AdvisoryFacts | undefined>();
  const load = async (ids: ReadonlySet<string>): Promise<void> => {
    const missing: string[] = [];
    for (const id of ids) if (!loaded.has(id)) missing.push(id);
    if (missing.length === 0) return;
    const batch = store.getFactsByIds ? await store.getFactsByIds(missing) : store.getByIds ? await store.getByIds(missing) : undefined;
    for (const id of missing) loaded.set(id, batch ? batch.get(id) : await store.getById(id));
  };

  const os = inventory.os;
  const distroOk = isDistroSupported(os);
  // First pass: who handles each package and what it asks the store, so that a store able to answer
  // many lookups at once (one query per ecosystem) gets them all together. The matchers' warnings are
  // kept per package and given in the second pass, in the order one pass would give them.
  const plans: (Planned | undefined)[] = [];
  const pending: MatchQuery[] = [];
  /** The ecosystems OS packages were looked up in, and how many packages asked (vendor-feeds.ts). */
  const osEcosystems = new Set<string>();
  let osPackagesAsked = 0;
  /** (ecosystem, name) → its place in `pending` (and in the answers); `slots`: that place for every query of every plan. */
  const pendingIndex = new Map<string, number>();
  const slots: number[] = [];
  for (const pkg of inventory.packages) {
    const matcher = matchers.find((m) => m.filter(pkg, os));
    if (!matcher || (matcher.distribution && !distroOk)) {
      plans.push(matcher ? { matcher, queries: [], first: 0, warnings: [] } : undefined);
      continue;
    }
    let warnings: string[] | undefined;
    const queries = matcher.query(pkg, os, (message) => (warnings ??= []).push(message));
    plans.push({ matcher, queries, first: slots.length, warnings: warnings ?? NO_WARNINGS });
    if (matcher.distribution && queries.length > 0) {
      osPackagesAsked++;
      for (const q of queries) osEcosystems.add(q.ecosystem);
    }
    for (const q of queries) {
      const key = `${q.ecosystem}\u0000${q.name}`;
      let at = pendingIndex.get(key);
      if (at === undefined) {
        pendingIndex.set(key, (at = pending.length));
        pending.push(q);
      }
      slots.push(at);
    }
  }
  const found = await lookups(store, pending);
  const noDistribution = await missingDistribution(store, os, osEcosystems, osPackagesAsked);
  if (noDistribution) (options.onIncomplete ?? warn)(noDistribution);

  // Second pass: judge every entry (versions only; no advisory needed yet).
  let unmatchedOsPackages = 0;
  const vulnerable: { readonly pkg: Package; readonly matcher: Matcher; readonly judged: readonly Judged[] }[] = [];
  for (let index = 0; index < inventory.packages.length; index++) {
    const pkg = inventory.packages[index]!;
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    const plan = plans[index];
    if (!plan) continue;
    const matcher = plan.matcher;
    if (matcher.distribution && !distroOk) {
      unmatchedOsPackages++;
      continue;
    }
    for (const message of plan.warnings) warn(message);
    // A package none of whose entries is vulnerable has no finding (merging decides only vulnerable
    // evidence), so its advisories are never loaded and its verdicts are not kept.
    const judged = judgePackage(pkg, plan, slots, found, warn);
    if (judged) vulnerable.push({ pkg, matcher, judged });
  }
  if (unmatchedOsPackages > 0) {
    const packages = unmatchedOsPackages === 1 ? '1 OS package was' : `${unmatchedOsPackages} OS packages were`;
    (options.onIncomplete ?? warn)(
      os
        ? `no advisory data is known for ${os.id}${os.versionId ? ` ${os.versionId}` : ''}; its ${packages} not matched`
        : `the distribution could not be detected (no os-release); ${packages} not matched`,
    );
  }

  // Third pass: the advisories of the vulnerable packages' entries (together when the store can), then merging.
  const wanted = new Set<string>();
  for (const v of vulnerable) for (const j of v.judged) if (!j.entry.advisory) wanted.add(j.entry.advisoryId);
  await load(wanted);
  const judgedPackages: { readonly pkg: Package; readonly evaluations: readonly Evaluation[] }[] = [];
  const candidates = new Set<string>();
  for (const { pkg, matcher, judged } of vulnerable) {
    const evaluations: Evaluation[] = [];
    for (const { entry, query, verdict } of judged) {
      const advisory = entry.advisory ?? loaded.get(entry.advisoryId);
      // The match table named it a moment ago: the database changed under the scan (a store without snapshots). Fail, never match on half.
      if (!advisory) throw new Error(`advisory ${entry.advisoryId} has no record: the advisory database changed during matching; scan again`);
      evaluations.push({ match: { advisory, affected: entry.affected }, query, verdict, distribution: matcher.distribution });
    }
    addLookupCandidates(evaluations, candidates);
    judgedPackages.push({ pkg, evaluations });
  }
  // The advisories merging may look up by id (a CVE's own NVD record), fetched together when the store can;
  // then every package is merged without waiting on the store.
  await load(candidates);
  const lookup = (id: string): AdvisoryFacts | undefined => loaded.get(id);
  const findings: Finding[] = [];
  for (const { pkg, evaluations } of judgedPackages) {
    const createdBy = pkg.layer ? options.layerCreatedBy?.(pkg.layer) : undefined;
    const context: LoadedMergeContext = pkg.layer ? { lookup, layer: pkg.layer, ...(createdBy ? { layerCreatedBy: createdBy } : {}) } : { lookup };
    appendAll(findings, mergeLoaded(pkg, evaluations, context));
  }
  return findings.sort(compareFindings);
}
