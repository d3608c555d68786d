/**
 * Ratings by alias, after matching: a finding whose advisories carry no NVD
 * or GHSA rating (an OSV Go or PyPA record: they publish none) looks up its
 * CVE and GHSA aliases in the database (NVD's record of the CVE, the GHSA
 * record) and takes their ratings; then the reported rating is chosen again
 * (`precedence.ts`, in the user's `--severity-source` order when given).
 * One batched lookup for the whole scan, outside the matching loop: this
 * adds data beside the findings, it never changes what matched.
 */
import type { Advisory, Finding, Severity } from '../../core/index.js';
import { chooseRating, collectRatings } from './precedence.js';

const BY_ALIAS: ReadonlySet<string> = new Set(['nvd', 'ghsa']);
const ALIAS = /^(CVE-\d{4}-\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$/;

/** What enrichment needs of the store (an AdvisoryStore has it). */
export interface RatingLookup {
  getById(id: string): Promise<Advisory | undefined>;
  getByIds?(ids: readonly string[]): Promise<Map<string, Advisory | undefined>>;
}

export interface RerateOptions {
  /** `--severity-source`, parsed (undefined: the default precedence). */
  readonly order?: readonly string[];
  /** Whether a finding is of a distribution package (default: its evidence names a distribution ecosystem). */
  readonly isDistribution: (f: Finding) => boolean;
}

export interface RerateResult {
  readonly findings: Finding[];
  /** Findings that were UNKNOWN before and are rated now. */
  readonly rated: number;
}

/** The alias ids a finding may take ratings from, when its own ratings have neither NVD nor GHSA. */
function wantedAliases(f: Finding): string[] {
  const sources = new Set((f.ratings ?? []).map((r) => r.source));
  if (sources.has('nvd') && sources.has('ghsa')) return [];
  return [f.id, ...f.aliases].filter((id) => ALIAS.test(id));
}

export async function rerateFindings(findings: readonly Finding[], store: RatingLookup, options: RerateOptions): Promise<RerateResult> {
  const wanted = new Set<string>();
  for (const f of findings) for (const id of wantedAliases(f)) wanted.add(id);
  let records: Map<string, Advisory | undefined>;
  if (store.getByIds) records = await store.getByIds([...wanted]);
  else {
    records = new Map();
    for (const id of wanted) records.set(id, await store.getById(id));
  }
  let rated = 0;
  const out = findings.map((f) => {
    const extra: Severity[] = [];
    // Only NVD's and GHSA's ratings travel by alias: a CVE's merged records may also hold another
    // distribution's (the Debian tracker's urgency for a CVE found in an Ubuntu package).
    for (const id of wantedAliases(f)) for (const s of records.get(id)?.severities ?? []) if (BY_ALIAS.has(s.source)) extra.push(s);
    if (extra.length === 0 && !options.order) return f;
    const own = f.ratings ?? [];
    const present = new Set(own.map((r) => r.source));
    const ratings = collectRatings([...own, ...extra.filter((s) => !present.has(s.source))]);
    const chosen = chooseRating(ratings, options.isDistribution(f), options.order);
    if (f.severity === 'UNKNOWN' && chosen.severity !== 'UNKNOWN') rated++;
    const next: Finding = { ...f, severity: chosen.severity, severitySource: chosen.source, ...(chosen.cvss ? { cvss: chosen.cvss } : {}), ...(ratings.length ? { ratings } : {}) };
    if (chosen.cvss || !next.cvss) return next;
    const { cvss: _none, ...withoutCvss } = next;
    return withoutCvss;
  });
  return { findings: out, rated };
}
