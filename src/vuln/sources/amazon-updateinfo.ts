/**
 * Amazon Linux security advisories (ALAS) from the yum `updateinfo.xml(.gz)`
 * of Amazon's repositories: the only machine-readable form Amazon publishes
 * (OSV has no Amazon ecosystem), and what Trivy reads (vuln-list-update
 * `amazon/`). `db update` finds the document through each repository's
 * `mirror.list` and `repodata/repomd.xml` (src/vuln/db/amazon.ts); `db
 * import` reads a saved copy, gzipped or not.
 *
 * Mapping (one advisory per `<update type="security">`):
 * - id: the ALAS id as written (`ALAS2-2023-2001`, `ALAS2023-2023-001`,
 *   `ALAS-2018-1000`); its prefix names the release, hence the ecosystem:
 *   `ALAS-` → `Amazon Linux:1` (AL1, the 2018.03 repository serves every
 *   20xx.yy release), `ALAS2…` → `Amazon Linux:2`, `ALAS2022-` →
 *   `Amazon Linux:2022`, `ALAS2023-` → `Amazon Linux:2023`. An id without
 *   one of these prefixes is skipped;
 * - AL2 Extras topics (`ALAS2KERNEL-5.10-2022-001`, `ALAS2PHP8.0-…`) stay in
 *   `Amazon Linux:2`: their packages keep the binary names of the core ones.
 *   When the topic ends in a version line (`KERNEL-5.10`, `PHP8.0`,
 *   `NGINX1`) and a fixed version is on that line, the range starts at the
 *   line (`introduced 5.10`), so a 5.10 fix does not flag a 4.14 kernel and
 *   a PHP 8.0 fix does not flag the core PHP 5.4;
 * - packages: the binary rpms of `<pkglist>` by name (`arch="src"` entries
 *   are dropped: a source name would judge subpackages whose versions differ,
 *   as perl's); fixed = `[epoch:]version-release` (epoch 0 omitted), the
 *   lowest when a name is listed with several; range `introduced 0` (or the
 *   line above), `fixed`;
 * - aliases: the `<reference type="cve">` ids; severity: `<severity>`
 *   (`critical`, `important` → HIGH, `medium`, `low`) as source `amazon`,
 *   the distributor's rating; published/modified from `<issued>`/`<updated>`
 *   (`2023-03-02 19:04`, UTC); reference: the ALAS page;
 * - source record (the vendor record a finding shows) = the ALAS id.
 * Updates of other types (bugfix, enhancement) are not advisories: counted
 * in one warning per file. A record without an id or without one usable
 * package, or over a per-record cap, is skipped and named; a package entry
 * with a missing or invalid version is skipped and named, the rest kept.
 */
import { severityFromWord, type Advisory, type AffectedPackage, type Reference, type Severity } from '../../core/index.js';
import { rpm } from '../versions/rpm.js';
import { walkFiles } from './files.js';
import { checkAborted, countingSink, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';
import { readUpdateinfo, type UpdateinfoLimits, type UpdateRecord } from './updateinfo-xml.js';

export const AMAZON_FEED = 'amazon-updateinfo';

/** `ALAS` + release (none for AL1) + Extras topic + `-YYYY-N`. */
const ALAS_ID = /^ALAS(2023|2022|2)?([A-Z][A-Za-z0-9._-]*?)?-(\d{4})-(\d{1,6})$/;

const RELEASES: Readonly<Record<string, { readonly ecosystem: string; readonly pages: string }>> = {
  '': { ecosystem: 'Amazon Linux:1', pages: '' },
  '2': { ecosystem: 'Amazon Linux:2', pages: 'AL2/' },
  '2022': { ecosystem: 'Amazon Linux:2022', pages: 'AL2022/' },
  '2023': { ecosystem: 'Amazon Linux:2023', pages: 'AL2023/' },
};

export interface AlasId {
  readonly ecosystem: string;
  /** The Extras topic (`KERNEL-5.10`), when there is one. */
  readonly topic?: string;
  /** The version line the topic names (`5.10`), when it names one. */
  readonly line?: string;
  /** The advisory's page on alas.aws.amazon.com. */
  readonly page: string;
}

/** What an ALAS id says; undefined when it is not one (or names no known release). */
export function parseAlasId(id: string): AlasId | undefined {
  const m = ALAS_ID.exec(id);
  if (!m) return undefined;
  const release = m[1] ?? '';
  const topic = m[2];
  if (release === '' && topic) return undefined; // an Extras topic belongs to a release
  const r = RELEASES[release]!;
  const line = topic ? /(\d+(?:\.\d+)*)$/.exec(topic)?.[1] : undefined;
  return {
    ecosystem: r.ecosystem,
    ...(topic ? { topic } : {}),
    ...(line ? { line } : {}),
    page: `https://alas.aws.amazon.com/${r.pages}ALAS${topic ?? ''}-${m[3]}-${m[4]}.html`,
  };
}

/** `2023-03-02 19:04` (UTC, as Amazon writes it) → RFC 3339; undefined when it is not a date. */
export function alasDate(text: string | undefined): string | undefined {
  const m = /^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2}))?)?/.exec(text ?? '');
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2] ?? '00:00'}:${m[3] ?? '00'}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;
const EPOCH = /^\d{1,10}$/;
const SEVERITY_WORDS: ReadonlySet<string> = new Set(['critical', 'important', 'medium', 'moderate', 'low']);

interface Report {
  skip(record: string, reason: string): void;
  warn(record: string, message: string): void;
}

/** The fixed EVR of each binary package name (the lowest when listed twice); bad entries reported. */
function fixedVersions(record: UpdateRecord, name: string, report: Report): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of record.packages) {
    if (p.arch === 'src') continue;
    const what = `${name}: package ${p.name ?? '(no name)'}`;
    if (!p.name || !p.version || !p.release) {
      report.skip(what, 'a package entry without name, version or release');
      continue;
    }
    const epoch = p.epoch?.trim() ?? '';
    if (epoch !== '' && !EPOCH.test(epoch)) {
      report.skip(what, `invalid epoch ${JSON.stringify(p.epoch)}`);
      continue;
    }
    const fixed = `${epoch !== '' && Number(epoch) !== 0 ? `${Number(epoch)}:` : ''}${p.version}-${p.release}`;
    if (!rpm.isValid(fixed)) {
      report.skip(what, `invalid rpm version ${JSON.stringify(fixed)}`);
      continue;
    }
    const had = out.get(p.name);
    if (had === undefined || rpm.compare(fixed, had) < 0) out.set(p.name, fixed);
  }
  return out;
}

/** The advisory of one `<update type="security">`; undefined (after reporting why) when it is skipped. */
export function convertAlas(record: UpdateRecord, label: string, report: Report): Advisory | undefined {
  const id = record.id?.trim() ?? '';
  const name = id ? `${label}#${id}` : `${label}:${record.line}`;
  if (!id) return void report.skip(name, '<update> without an <id>');
  const alas = parseAlasId(id);
  if (!alas) return void report.skip(name, `${JSON.stringify(id.slice(0, 80))} is not an Amazon Linux advisory id (ALAS-, ALAS2…, ALAS2022-, ALAS2023-)`);
  const overCap = record.problems.find((p) => p.startsWith('more than'));
  if (overCap) return void report.skip(name, `${overCap}: over the per-advisory cap`);
  for (const p of record.problems) report.warn(name, p);
  const fixes = fixedVersions(record, name, report);
  if (fixes.size === 0) return void report.skip(name, 'no package with a usable name, version and release');

  const affected: AffectedPackage[] = [];
  for (const [pkg, fixed] of fixes) {
    // An Extras fix on its topic's line (`5.10.x` under KERNEL-5.10) starts there (module comment).
    const bare = fixed.replace(/^\d+:/, '');
    const onLine = alas.line !== undefined && (bare === alas.line || bare.startsWith(`${alas.line}.`) || bare.startsWith(`${alas.line}-`));
    const introduced = onLine ? `${fixed.slice(0, fixed.length - bare.length)}${alas.line}` : '0';
    affected.push({ ecosystem: alas.ecosystem, name: pkg, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] }], fixed, status: 'fixed', sourceRecord: id });
  }
  const aliases = [...new Set(record.references.filter((r) => r.type === 'cve' && r.id !== undefined && CVE.test(r.id.trim())).map((r) => r.id!.trim()))];
  const word = record.severity?.trim().toLowerCase() ?? '';
  const severities: Severity[] = [];
  if (SEVERITY_WORDS.has(word)) severities.push({ source: 'amazon', severity: severityFromWord(word) });
  else if (word !== '') report.warn(name, `unknown severity ${JSON.stringify(word.slice(0, 40))}; not rated`);
  const references: Reference[] = [{ type: 'ADVISORY', url: alas.page }];
  const published = alasDate(record.issued);
  const modified = alasDate(record.updated) ?? published;
  const title = record.title?.trim();
  const details = record.description?.trim();
  return {
    id,
    feed: AMAZON_FEED,
    scope: '',
    aliases,
    upstream: [],
    ...(title ? { summary: title } : {}),
    ...(details ? { details } : {}),
    severities,
    references,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    affected,
  };
}

export interface AmazonImportOptions extends SourceOptions {
  /** Caps of the XML reader (tests lower them). */
  readonly limits?: Partial<UpdateinfoLimits>;
}

/** Imports every updateinfo document at `input` (a file, or the `.xml`/`.xml.gz` files under a directory). */
export async function importAmazonUpdateinfo(input: string, sink: AdvisorySink, options: AmazonImportOptions = {}): Promise<SourceSummary> {
  const counting = countingSink(sink);
  for await (const file of walkFiles(input, (n) => /\.xml(\.gz)?$/i.test(n))) {
    checkAborted(options.signal);
    const label = file === input && options.label ? options.label : file;
    const other = new Map<string, number>();
    for await (const record of readUpdateinfo(file, { label, ...(options.limits ? { limits: options.limits } : {}), ...(options.signal ? { signal: options.signal } : {}) })) {
      if (record.type !== 'security') {
        const named = (record.type ?? '(no type)').slice(0, 40);
        const type = other.has(named) || other.size < 16 ? named : 'of other types';
        other.set(type, (other.get(type) ?? 0) + 1);
        continue;
      }
      const advisory = convertAlas(record, label, counting);
      if (advisory) await counting.advisory(advisory);
    }
    if (other.size > 0) {
      const list = [...other].map(([type, n]) => `${n} ${type}`).join(', ');
      counting.warn(label, `updates that are not security advisories were not imported: ${list}`);
    }
  }
  return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
}

export const amazonUpdateinfoSource: Source = {
  name: AMAZON_FEED,
  import: (input, sink, options) => importAmazonUpdateinfo(input, sink, options),
};
