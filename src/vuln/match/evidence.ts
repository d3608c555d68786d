/**
 * Why a package matched: the evidence a user needs to re-check a finding by
 * hand (feed, advisory and vendor record, what was queried, the range as the
 * advisory states it, the version scheme), and the one shared judgement of
 * an affected entry against a version. Version order comes only from
 * src/vuln/versions.
 */
import type { AdvisoryEvent, AffectedMatch, AffectedPackage, AffectedRange, MatchEvidence } from '../../core/index.js';
import { schemeForEcosystem, schemeForRange } from '../versions/all.js';
import { inRange } from '../versions/range.js';
import { comparerFor, type VersionScheme } from '../versions/scheme.js';
import type { MatchQuery, Verdict } from './matcher.js';

export type { MatchEvidence } from '../../core/index.js';

const MAX_LISTED_VERSIONS = 12;

function eventText(e: AdvisoryEvent): string {
  if ('introduced' in e) return `>=${e.introduced}`;
  if ('fixed' in e) return `<${e.fixed}`;
  if ('last_affected' in e) return `<=${e.last_affected}`;
  return `<${e.limit} (limit)`;
}

/** Rendered ranges per affected entry (entries are read-only and judged against many packages). */
const RENDERED = new WeakMap<AffectedPackage, string>();

/** `>=0, <1.1.1n-0+deb11u1`; several ranges joined with ` || `; a version list as `= a | b | …`. */
export function renderRange(affected: AffectedPackage): string {
  let text = RENDERED.get(affected);
  if (text === undefined) {
    text = render(affected);
    RENDERED.set(affected, text);
  }
  return text;
}

function render(affected: AffectedPackage): string {
  const parts = affected.ranges.map((r) => `${r.events.map(eventText).join(', ')}${r.type === 'SEMVER' ? ' (semver)' : ''}`);
  if (affected.versions && affected.versions.length > 0) {
    const listed = affected.versions.slice(0, MAX_LISTED_VERSIONS).join(' | ');
    const more = affected.versions.length > MAX_LISTED_VERSIONS ? ` | … (${affected.versions.length} versions)` : '';
    parts.push(`= ${listed}${more}`);
  }
  if (parts.length === 0) return affected.status === 'not-affected' ? 'not affected' : 'all versions';
  return parts.join(' || ');
}

/** The smallest `fixed` event above `version` in `events` (the fix on this package's stream). */
function nextFix(scheme: VersionScheme, version: string, events: readonly AdvisoryEvent[]): string | undefined {
  let best: string | undefined;
  for (const e of events) {
    if (!('fixed' in e)) continue;
    if (scheme.compare(e.fixed, version) <= 0) continue;
    if (best === undefined || scheme.compare(e.fixed, best) < 0) best = e.fixed;
  }
  return best;
}

/**
 * Judges one affected entry: `not-affected` never matches; otherwise the
 * version is affected when it is in any range (OSV semantics, `inRange`) or
 * equals a listed version; an entry with neither ranges nor versions but a
 * status of affected / will-not-fix covers every version. Throws VersionError
 * when the version cannot be ordered by the entry's scheme.
 */
export function judge(query: MatchQuery, affected: AffectedPackage): Verdict {
  // The verdict depends only on the entry's content and the version: many packages share both (every binary
  // package of one source package, the same library in several places), and many entries share their content
  // (the store hands out one ranges/versions value per distinct text), so each pair is judged once.
  const verdicts = verdictsFor(affected);
  let verdict = verdicts.get(query.version);
  if (!verdict) {
    verdict = judgeOnce(query.version, affected); // a VersionError is thrown again on every call, never cached
    verdicts.set(query.version, verdict);
  }
  return verdict;
}

/**
 * Verdicts by version for entries of one ranges value and one version list
 * (read-only values, shared by entries of the same text) and the ecosystem,
 * status and fixed version met first with them; every other combination (rarer)
 * goes to `others`, by a composite key. Together, everything `judgeOnce` reads.
 */
interface ShapeVerdicts {
  readonly versions: readonly string[] | undefined;
  readonly ecosystem: string;
  readonly status: string;
  readonly fixed: string | undefined;
  readonly byVersion: Map<string, Verdict>;
  others?: Map<readonly string[] | undefined, Map<string, Map<string, Verdict>>>;
}

const VERDICTS = new WeakMap<readonly AffectedRange[], ShapeVerdicts>();

function verdictsFor(affected: AffectedPackage): Map<string, Verdict> {
  const { ranges, versions, ecosystem, status, fixed } = affected;
  let shape = VERDICTS.get(ranges);
  if (!shape) VERDICTS.set(ranges, (shape = { versions, ecosystem, status, fixed, byVersion: new Map() }));
  if (shape.versions === versions && shape.ecosystem === ecosystem && shape.status === status && shape.fixed === fixed) return shape.byVersion;
  shape.others ??= new Map();
  let byKey = shape.others.get(versions);
  if (!byKey) shape.others.set(versions, (byKey = new Map()));
  const key = `${ecosystem}\u0000${status}\u0000${fixed === undefined ? '\u0001' : fixed}`;
  let byVersion = byKey.get(key);
  if (!byVersion) byKey.set(key, (byVersion = new Map()));
  return byVersion;
}

function judgeOnce(version: string, affected: AffectedPackage): Verdict {
  const query = { version };
  const ecoScheme = schemeForEcosystem(affected.ecosystem);
  const range = renderRange(affected);
  if (affected.status === 'not-affected') return { vulnerable: false, scheme: ecoScheme.name, range };
  let schemeName = ecoScheme.name;
  for (const r of affected.ranges) {
    const scheme = schemeForRange(r.type, affected.ecosystem);
    schemeName = scheme.name;
    if (inRange(scheme, query.version, r.events)) {
      const fixedVersion = nextFix(scheme, query.version, r.events);
      return { vulnerable: true, scheme: scheme.name, range, ...(fixedVersion !== undefined ? { fixedVersion } : {}) };
    }
  }
  if (affected.versions && affected.versions.length > 0) {
    ecoScheme.parse(query.version);
    const compare = comparerFor(ecoScheme, query.version); // ecoScheme.compare(query.version, ·), parsed once
    for (const v of affected.versions) {
      let same = false;
      try {
        same = compare(v) === 0;
      } catch {
        same = v === query.version;
      }
      if (same) {
        const fixedVersion = affected.fixed !== undefined && ecoScheme.isValid(affected.fixed) && ecoScheme.compare(affected.fixed, query.version) > 0 ? affected.fixed : undefined;
        return { vulnerable: true, scheme: ecoScheme.name, range, ...(fixedVersion !== undefined ? { fixedVersion } : {}) };
      }
    }
    return { vulnerable: false, scheme: ecoScheme.name, range };
  }
  if (affected.ranges.length === 0 && (affected.status === 'affected' || affected.status === 'will-not-fix')) {
    ecoScheme.parse(query.version);
    return { vulnerable: true, scheme: ecoScheme.name, range };
  }
  return { vulnerable: false, scheme: schemeName, range };
}

/**
 * The feed an affected entry came from (a merged advisory may hold entries of
 * several feeds): `debian-tracker:…`, `<distro>-secdb:…` and `photon:…`
 * source records name their feed, an ALAS id is Amazon's updateinfo;
 * everything else came from OSV.
 */
export function entryFeed(affected: AffectedPackage): string {
  const record = affected.sourceRecord;
  if (record.startsWith('debian-tracker:')) return 'debian-tracker';
  if (record.startsWith('photon:')) return 'photon';
  if (/^[a-z]+-secdb:/.test(record)) return 'alpine-secdb';
  if (/^ALAS[0-9A-Za-z._-]*-\d{4}-\d+$/.test(record)) return 'amazon-updateinfo';
  return 'osv';
}

/** The evidence of one matched entry (of its advisory, only the id is read). */
export function evidenceOf(match: Pick<AffectedMatch, 'affected'> & { readonly advisory: { readonly id: string } }, query: MatchQuery, verdict: Verdict, distribution: boolean): MatchEvidence {
  const vendor = distribution ? match.affected.sourceRecord || match.advisory.id : undefined;
  // Built by assignment in this key order (no spread of a temporary object per finding).
  const evidence = { feed: entryFeed(match.affected), advisoryId: match.advisory.id } as { -readonly [K in keyof MatchEvidence]: MatchEvidence[K] };
  if (vendor) evidence.vendorRecord = vendor;
  evidence.ecosystem = query.ecosystem;
  evidence.queriedName = query.name;
  evidence.range = verdict.range;
  evidence.scheme = verdict.scheme;
  return evidence;
}
