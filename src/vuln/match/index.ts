/**
 * `matchInventory`: every package of an inventory against the advisory
 * store, through the one matcher that filters it (`MATCHERS`), merged into
 * one finding per package and vulnerability, sorted with `compareFindings`.
 * Store answers are cached per (ecosystem, name) for the run, so the many
 * binary packages of one Debian source package cost one query.
 */
import type { Advisory, AffectedMatch } from '../../core/advisory.js';
import type { LayerOrigin } from '../../core/files.js';
import { compareFindings, type Finding } from '../../core/finding.js';
import type { Inventory } from '../../core/inventory.js';
import type { AdvisoryStore } from '../store/store.js';
import { VersionError } from '../versions/errors.js';
import { languageMatcher } from './language.js';
import type { Matcher } from './matcher.js';
import { mergeEvaluations, type Evaluation } from './merge.js';
import { isDistroSupported, osMatcher } from './os.js';

export type { Matcher, MatchQuery, Verdict } from './matcher.js';
export { distroEcosystems, osMatcher } from './os.js';
export { goToolchainSemver, languageMatcher, LANGUAGE_ECOSYSTEMS } from './language.js';
export { judge, renderRange, entryFeed } from './evidence.js';
export { mergeEvaluations, primaryUrlFor, vendorCve, type Evaluation } from './merge.js';

/** The one list of matchers; the first whose `filter` accepts a package handles it. */
export const MATCHERS: readonly Matcher[] = [osMatcher, languageMatcher];

/** What matching needs from the store (an AdvisoryStore has it). */
export type MatchStore = Pick<AdvisoryStore, 'findAffected' | 'getById'>;

export interface MatchOptions {
  readonly matchers?: readonly Matcher[];
  /** Non-fatal problems: unparsable versions, unknown distribution. */
  readonly onWarning?: (message: string) => void;
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
  let unknownDistroWarned = false;
  const findings: Finding[] = [];
  for (const pkg of inventory.packages) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    const matcher = matchers.find((m) => m.filter(pkg, os));
    if (!matcher) continue;
    if (matcher.distribution && !distroOk) {
      if (!unknownDistroWarned) {
        unknownDistroWarned = true;
        warn(
          os
            ? `no advisory data is known for ${os.id}${os.versionId ? ` ${os.versionId}` : ''}; its OS packages were not matched`
            : 'the distribution could not be detected (no os-release); OS packages were not matched',
        );
      }
      continue;
    }
    const queries = matcher.query(pkg, os, warn);
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
    if (evaluations.length === 0) continue;
    const createdBy = pkg.layer ? options.layerCreatedBy?.(pkg.layer) : undefined;
    findings.push(
      ...(await mergeEvaluations(pkg, evaluations, {
        getById,
        ...(pkg.layer ? { layer: pkg.layer } : {}),
        ...(createdBy ? { layerCreatedBy: createdBy } : {}),
      })),
    );
  }
  return findings.sort(compareFindings);
}
