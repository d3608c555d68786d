/**
 * Which rating a finding reports, when the advisories of one vulnerability
 * disagree (docs/scan.md "Severity"). Users trust the rating of whoever
 * ships the package they run:
 *
 * - distribution packages: the distributor first (Debian's urgency, Ubuntu's
 *   priority, Red Hat's impact, SUSE's rating, …; Alpine publishes no
 *   ratings, so Alpine packages fall through to NVD), then NVD's CVSS, then
 *   GHSA and the ecosystem sources, then whatever else rated it (the
 *   record's own: a CNA's rating, an OSV publisher without a name here);
 * - language packages: GHSA first, then the ecosystem's own database (Go,
 *   PyPA, RustSec, …), then NVD's CVSS, then the record's own.
 *
 * `--severity-source` replaces that order with the user's (Trivy's
 * `--vuln-severity-source`): a comma list of source names, `distro` for
 * whichever distributor rated it, and `auto` for the order above at that
 * point. A source missing from the list never rates: a finding no listed
 * source rated is UNKNOWN (severitySource `none`).
 *
 * Every source's rating is kept (`ratings`, one per source: its highest
 * level, NVD's preferred CVSS version), so JSON outputs show the
 * disagreement the choice resolved.
 */
import type { Cvss, Severity, SeverityLevel } from '../../core/index.js';

/** Sources that are distributors: they rate what they ship. Alpine is not among them: it does not rate. */
export const DISTRIBUTORS: ReadonlySet<string> = new Set([
  'debian', 'ubuntu', 'redhat', 'suse', 'opensuse', 'rocky', 'almalinux', 'alma', 'chainguard', 'wolfi', 'photon', 'amazon', 'oracle', 'minimos', 'azurelinux',
]);
/** Language ecosystems' own databases, after GHSA. */
export const ECOSYSTEM_RATERS: ReadonlySet<string> = new Set(['go', 'pypa', 'rustsec', 'osv', 'rubysec', 'npm', 'ossf-malicious-packages']);

/** The names `--severity-source` accepts: the sources above, `nvd`, `ghsa`, and the groups `distro` and `auto`. */
export const SEVERITY_SOURCE_NAMES: readonly string[] = ['auto', 'distro', 'nvd', 'ghsa', ...DISTRIBUTORS, ...ECOSYSTEM_RATERS];

const LEVEL_RANK: Record<SeverityLevel, number> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, NEGLIGIBLE: 1, UNKNOWN: 0 };
const CVSS_PREFERENCE: Record<string, number> = { '3.1': 0, '3.0': 1, '4.0': 2, '2.0': 3 };

function cvssRank(s: Severity): number {
  return s.cvss ? (CVSS_PREFERENCE[s.cvss.version] ?? 9) : 10;
}

/**
 * One rating per source, in first-seen order: NVD's by CVSS version
 * preference (3.1 > 3.0 > 4.0 > 2.0), every other source's highest level
 * (a CVSS-carrying one first among equals). Unknown levels are kept only for
 * a source that gave nothing better.
 */
export function collectRatings(severities: Iterable<Severity>): Severity[] {
  const best = new Map<string, Severity>();
  for (const s of severities) {
    const had = best.get(s.source);
    if (!had) {
      best.set(s.source, s);
      continue;
    }
    const known = (x: Severity): number => (x.severity === 'UNKNOWN' ? 0 : 1);
    const better =
      known(s) !== known(had)
        ? known(s) > known(had)
        : s.source === 'nvd'
          ? cvssRank(s) < cvssRank(had)
          : LEVEL_RANK[s.severity] !== LEVEL_RANK[had.severity]
            ? LEVEL_RANK[s.severity] > LEVEL_RANK[had.severity]
            : cvssRank(s) < cvssRank(had);
    if (better) best.set(s.source, s);
  }
  return [...best.values()];
}

export interface Rated {
  readonly severity: SeverityLevel;
  /** The source that gave the severity, `none` when nobody did. */
  readonly source: string;
  readonly cvss?: Cvss;
}

type Step = (ratings: readonly Severity[]) => Severity | undefined;

function highest(list: readonly Severity[]): Severity | undefined {
  let top: Severity | undefined;
  for (const s of list) if (!top || LEVEL_RANK[s.severity] > LEVEL_RANK[top.severity]) top = s;
  return top;
}

const bySource =
  (name: string): Step =>
  (ratings) =>
    ratings.find((r) => r.source === name);
const distro: Step = (ratings) => highest(ratings.filter((r) => DISTRIBUTORS.has(r.source)));
const ecosystem: Step = (ratings) => highest(ratings.filter((r) => ECOSYSTEM_RATERS.has(r.source)));
const own: Step = (ratings) => highest(ratings.filter((r) => r.source !== 'nvd' && r.source !== 'ghsa' && !DISTRIBUTORS.has(r.source) && !ECOSYSTEM_RATERS.has(r.source)));

/** The default order (module header). */
export function defaultSteps(distribution: boolean): Step[] {
  return distribution ? [distro, bySource('nvd'), bySource('ghsa'), ecosystem, own] : [bySource('ghsa'), ecosystem, bySource('nvd'), own];
}

function stepsFor(order: readonly string[] | undefined, distribution: boolean): Step[] {
  if (!order || order.length === 0) return defaultSteps(distribution);
  const out: Step[] = [];
  for (const name of order) {
    if (name === 'auto') for (const step of defaultSteps(distribution)) out.push(step);
    else if (name === 'distro') out.push(distro);
    else out.push(bySource(name));
  }
  return out;
}

/**
 * The rating to report from `ratings` (collected with `collectRatings`).
 * The CVSS shown is the chosen rating's, else NVD's, else the first one
 * present, so a distributor's word still comes with a vector to read.
 */
export function chooseRating(ratings: readonly Severity[], distribution: boolean, order?: readonly string[]): Rated {
  const known = ratings.filter((r) => r.severity !== 'UNKNOWN');
  const anyCvss = (): Cvss | undefined => ratings.find((r) => r.source === 'nvd' && r.cvss)?.cvss ?? ratings.find((r) => r.cvss)?.cvss;
  for (const step of stepsFor(order, distribution)) {
    const chosen = step(known);
    if (!chosen) continue;
    const cvss = chosen.cvss ?? anyCvss();
    return { severity: chosen.severity, source: chosen.source, ...(cvss ? { cvss } : {}) };
  }
  const cvss = anyCvss();
  return { severity: 'UNKNOWN', source: 'none', ...(cvss ? { cvss } : {}) };
}

/** `--severity-source`: a comma list of SEVERITY_SOURCE_NAMES; throws with the list of names on anything else. */
export function parseSeverityOrder(text: string): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !SEVERITY_SOURCE_NAMES.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new RangeError(`--severity-source takes a comma list of ${SEVERITY_SOURCE_NAMES.join(', ')}${unknown.length ? `, not "${unknown.join(', ')}"` : ''}`);
  }
  return [...new Set(names)];
}
