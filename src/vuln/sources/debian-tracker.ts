/**
 * The Debian security tracker JSON
 * (https://security-tracker.debian.org/tracker/data/json):
 * `{<source package>: {<CVE or TEMP- id>: {description, scope, debianbug?,
 * releases: {<codename>: {status, repositories, fixed_version?, urgency,
 * nodsa?, nodsa_reason?}}}}}`. The document is streamed one source package
 * at a time (files.ts `topLevelMembers`), never parsed whole.
 *
 * One advisory per (id, source package): id `DEBIAN-<id>`, `upstream: [<id>]`,
 * scope = the source package, one affected entry per known release:
 *
 * | tracker                                        | status         | ranges                      |
 * |------------------------------------------------|----------------|-----------------------------|
 * | resolved, fixed_version "0"                    | not-affected   | none                        |
 * | resolved, fixed_version V                      | fixed          | introduced 0, fixed V       |
 * | open/undetermined, nodsa_reason "ignored"      | will-not-fix   | introduced 0                |
 * | open/undetermined, urgency "end-of-life"       | will-not-fix   | introduced 0                |
 * | open/undetermined otherwise (incl. postponed)  | affected       | introduced 0                |
 *
 * Releases: codename → `Debian:<major>` (buzz 1.1 … trixie 13, forky 14,
 * duke 15), `sid` → `Debian:sid`; unknown codenames are dropped with a
 * warning. Urgency → severity (source `debian`): `unimportant` → NEGLIGIBLE,
 * `low`/`medium`/`high` as written, `not yet assigned`/`end-of-life`/other →
 * UNKNOWN; a trailing `*`/`**` (the tracker's "from the NVD" marks) is
 * ignored. The advisory's rating is the highest over its releases. A fixed
 * version dpkg rejects skips that release's entry, counted and named.
 * `releases: []` (an empty array instead of an object) means no release data.
 */
import {
  normalizePackageName,
  severityFromWord,
  type Advisory,
  type AffectedPackage,
  type SeverityLevel,
  SEVERITY_LEVELS,
} from '../../core/index.js';
import { dpkg } from '../versions/dpkg.js';
import { topLevelMembers } from './files.js';
import { checkAborted, countingSink, messageOf, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';

/** Debian release codenames and their OSV release names. */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
  sid: 'sid',
};

type Json = Record<string, unknown>;
function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function worst(levels: readonly SeverityLevel[]): SeverityLevel {
  // SEVERITY_LEVELS runs from CRITICAL down to UNKNOWN
  let best = SEVERITY_LEVELS.length - 1;
  for (const l of levels) best = Math.min(best, SEVERITY_LEVELS.indexOf(l));
  return SEVERITY_LEVELS[best]!;
}

/** Converts one (source package, id) entry of the tracker. */
export function convertTrackerEntry(
  pkg: string,
  vulnId: string,
  entry: unknown,
  label: string,
  report: { skip(record: string, reason: string): void; warn(record: string, message: string): void },
): Advisory | undefined {
  const record = `${label}: ${pkg}/${vulnId}`;
  if (!isObject(entry)) {
    report.skip(record, 'entry is not an object');
    return undefined;
  }
  const sourceRecord = `debian-tracker:${pkg}/${vulnId}`;
  const releases = isObject(entry.releases) ? entry.releases : {};
  const affected: AffectedPackage[] = [];
  const levels: SeverityLevel[] = [];
  for (const [codename, rel] of Object.entries(releases)) {
    const major = DEBIAN_RELEASES[codename];
    if (!major) {
      report.warn(record, `unknown release ${JSON.stringify(codename)} dropped`);
      continue;
    }
    if (!isObject(rel) || typeof rel.status !== 'string') {
      report.skip(`${record} (${codename})`, 'release entry without a status');
      continue;
    }
    const ecosystem = `Debian:${major}`;
    const name = normalizePackageName(ecosystem, pkg);
    const urgency = typeof rel.urgency === 'string' ? rel.urgency : undefined;
    levels.push(severityFromWord(urgency));
    const fixedVersion = typeof rel.fixed_version === 'string' ? rel.fixed_version : undefined;
    if (rel.status === 'resolved') {
      if (fixedVersion === '0') {
        affected.push({ ecosystem, name, ranges: [], status: 'not-affected', sourceRecord });
      } else if (fixedVersion && dpkg.isValid(fixedVersion)) {
        affected.push({ ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fixedVersion }] }], fixed: fixedVersion, status: 'fixed', sourceRecord });
      } else {
        report.skip(`${record} (${codename})`, fixedVersion ? `invalid dpkg version ${JSON.stringify(fixedVersion)}` : 'resolved without a fixed_version');
      }
    } else if (rel.status === 'open' || rel.status === 'undetermined') {
      const wontFix = rel.nodsa_reason === 'ignored' || (urgency ?? '').replace(/\*+$/, '') === 'end-of-life';
      affected.push({ ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], status: wontFix ? 'will-not-fix' : 'affected', sourceRecord });
    } else {
      report.skip(`${record} (${codename})`, `unknown status ${JSON.stringify(rel.status)}`);
    }
  }
  const upstream = /^(CVE|TEMP)-/.test(vulnId) ? [vulnId] : [];
  return {
    id: `DEBIAN-${vulnId}`,
    feed: 'debian-tracker',
    scope: pkg,
    aliases: [],
    upstream,
    ...(typeof entry.description === 'string' && entry.description !== '' ? { details: entry.description } : {}),
    severities: levels.length > 0 ? [{ source: 'debian', severity: worst(levels) }] : [],
    references: vulnId.startsWith('CVE-') ? [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${vulnId}` }] : [],
    affected,
  };
}

export const debianTrackerSource: Source = {
  name: 'debian-tracker',
  async import(input: string, sink: AdvisorySink, options: SourceOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    const label = options.label ?? input;
    try {
      for await (const [pkg, text] of topLevelMembers(input)) {
        checkAborted(options.signal);
        let entries: unknown;
        try {
          entries = JSON.parse(text);
        } catch (error) {
          counting.skip(`${label}: ${pkg}`, `not valid JSON: ${messageOf(error)}`);
          continue;
        }
        if (!isObject(entries)) {
          counting.skip(`${label}: ${pkg}`, 'not an object of vulnerabilities');
          continue;
        }
        for (const [vulnId, entry] of Object.entries(entries)) {
          const advisory = convertTrackerEntry(pkg, vulnId, entry, label, counting);
          if (advisory) await counting.advisory(advisory);
        }
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'SourceError') throw error;
      counting.skip(label, `not a tracker JSON document: ${messageOf(error)}`);
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};
