/**
 * `matchInventory`: every package of an inventory against the advisory
 * store, through the one matcher that filters it (`MATCHERS`), merged into
 * one finding per package and vulnerability, sorted with `compareFindings`.
 * Store answers are cached per (ecosystem, name) for the run, so the many
 * binary packages of one Debian source package cost one query; a store that
 * offers `findAffectedBatch`/`getByIds` is asked for every lookup of the run
 * at once (one query per ecosystem instead of one per package name).
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
import type { AdvisoryStore } from '../store/store.js';
import { VersionError } from '../versions/errors.js';
import { languageMatcher } from './language.js';
import type { Matcher, MatchQuery } from './matcher.js';
import { lookupCandidates, mergeEvaluations, type Evaluation } from './merge.js';
import { isDistroSupported, osMatcher } from './os.js';

export type { Matcher, MatchQuery, Verdict } from './matcher.js';
export { distroEcosystems, osMatcher } from './os.js';
export { goToolchainSemver, languageMatcher, LANGUAGE_ECOSYSTEMS } from './language.js';
export { judge, renderRange, entryFeed } from './evidence.js';
export { mergeEvaluations, primaryUrlFor, vendorCve, type Evaluation } from './merge.js';
export { rerateFindings, type RatingLookup, type RerateOptions, type RerateResult } from '../severity/enrich.js';
export { chooseRating, collectRatings, parseSeverityOrder, SEVERITY_SOURCE_NAMES } from '../severity/precedence.js';

/** The one list of matchers; the first whose `filter` accepts a package handles it. */
export const MATCHERS: readonly Matcher[] = [osMatcher, languageMatcher];

/** What matching needs from the store (an AdvisoryStore has it); the batch lookups are used when the store offers them. */
export type MatchStore = Pick<AdvisoryStore, 'findAffected' | 'getById'> & Partial<Pick<AdvisoryStore, 'findAffectedBatch' | 'getByIds'>>;

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

export async function matchInventory(inventory: Inventory, store: MatchStore, options: MatchOptions = {}): Promise<Finding[]> {
  const matchers = options.matchers ?? MATCHERS;
  const warn = options.onWarning ?? (() => undefined);
  const affectedCache = new Map<string, Promise<AffectedMatch[]>>();
  const byIdCache = new Map<string, Promise<Advisory | undefined>>();
  const getById = (id: string): Promise<Advisory | undefined> => {
    let p = byIdCache.get(id);
    if (!p) byIdCache.set(id, (p = store.getById(id)));
    return p;
  };
  const find = (ecosystem: string, name: string): Promise<AffectedMatch[]> => {
    const key = `${ecosystem}\u0000${name}`;
    let p = affectedCache.get(key);
    if (!p) affectedCache.set(key, (p = store.findAffected(ecosystem, name)));
    return p;
  };

  const os = inventory.os;
  const distroOk = isDistroSupported(os);
  // First pass: who handles each package and what it asks the store, so that a store able to answer
  // many lookups at once (one query per ecosystem) gets them all together. The matchers' warnings are
  // kept per package and given in the second pass, in the order one pass would give them.
  interface Planned {
    readonly matcher: Matcher;
    readonly queries: readonly MatchQuery[];
    readonly warnings: readonly string[];
  }
  const plans: (Planned | undefined)[] = [];
  const pending: MatchQuery[] = [];
  const pendingKeys = new Set<string>();
  for (const pkg of inventory.packages) {
    const matcher = matchers.find((m) => m.filter(pkg, os));
    if (!matcher || (matcher.distribution && !distroOk)) {
      plans.push(matcher ? { matcher, queries: [], warnings: [] } : undefined);
      continue;
    }
    const warnings: string[] = [];
    const queries = matcher.query(pkg, os, (message) => warnings.push(message));
    plans.push({ matcher, queries, warnings });
    for (const q of queries) {
      const key = `${q.ecosystem}\u0000${q.name}`;
      if (!pendingKeys.has(key)) {
        pendingKeys.add(key);
        pending.push(q);
      }
    }
  }
  if (store.findAffectedBatch && pending.length > 0) {
    const answers = await store.findAffectedBatch(pending.map((q) => ({ ecosystem: q.ecosystem, name: q.name })));
    pending.forEach((q, i) => affectedCache.set(`${q.ecosystem}\u0000${q.name}`, Promise.resolve(answers[i]!)));
  }

  let unmatchedOsPackages = 0;
  const findings: Finding[] = [];
  const judged: { readonly pkg: Package; readonly evaluations: readonly Evaluation[] }[] = [];
  for (const [index, pkg] of inventory.packages.entries()) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    const plan = plans[index];
    if (!plan) continue;
    const matcher = plan.matcher;
    if (matcher.distribution && !distroOk) {
      unmatchedOsPackages++;
      continue;
    }
    for (const message of plan.warnings) warn(message);
    const queries = plan.queries;
    const evaluations: Evaluation[] = [];
    let versionWarned = false;
    for (const query of queries) {
      const matches = await find(query.ecosystem, query.name);
      for (const match of matches) {
        try {
          const verdict = matcher.vulnerable(query, match.affected);
          evaluations.push({ match, query, verdict, distribution: matcher.distribution });
        } catch (error) {
          if (!(error instanceof VersionError)) throw error;
          if (!versionWarned) {
            versionWarned = true;
            warn(`${pkg.path}: ${pkg.name} ${query.version}: cannot compare with ${match.advisory.id} (${query.ecosystem}): ${error.message}`);
          }
        }
      }
    }
    if (evaluations.length > 0) judged.push({ pkg, evaluations });
  }
  if (unmatchedOsPackages > 0) {
    const packages = unmatchedOsPackages === 1 ? '1 OS package was' : `${unmatchedOsPackages} OS packages were`;
    (options.onIncomplete ?? warn)(
      os
        ? `no advisory data is known for ${os.id}${os.versionId ? ` ${os.versionId}` : ''}; its ${packages} not matched`
        : `the distribution could not be detected (no os-release); ${packages} not matched`,
    );
  }
  // The advisories merging may look up by id (a CVE's own NVD record), fetched together when the store can.
  if (store.getByIds) {
    const ids = new Set<string>();
    for (const j of judged) for (const id of lookupCandidates(j.evaluations)) if (!byIdCache.has(id)) ids.add(id);
    if (ids.size > 0) {
      const found = await store.getByIds([...ids]);
      for (const id of ids) byIdCache.set(id, Promise.resolve(found.get(id)));
    }
  }
  for (const { pkg, evaluations } of judged) {
    const createdBy = pkg.layer ? options.layerCreatedBy?.(pkg.layer) : undefined;
    const merged = await mergeEvaluations(pkg, evaluations, {
      getById,
      ...(pkg.layer ? { layer: pkg.layer } : {}),
      ...(createdBy ? { layerCreatedBy: createdBy } : {}),
    });
    appendAll(findings, merged);
  }
  return findings.sort(compareFindings);
}
