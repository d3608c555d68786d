/**
 * Oracle Linux errata (ELSA) from Oracle's own feed, the OVAL definitions
 * of https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2
 * (bzip2, gzip or plain: compressed-input.ts; read by oval-reader.ts). The
 * same feed Trivy (vuln-list-update `oracle/oval`, trivy-db
 * `oracle-oval`) and Grype (vunnel `oracle`) read.
 *
 * One advisory per ELSA (the definition's `elsa` reference, else its title):
 * - criteria are resolved by id (criterion → test → object name and states):
 *   a state `evr less than E` on package P is a fix of P in E (`0:` epochs
 *   dropped); `oraclelinux-release` with `version ^N` is Oracle Linux N, with
 *   an `arch` pattern the architecture of that branch. A test, object or
 *   state that does not resolve skips the whole definition, named. The
 *   AND/OR operators are not evaluated, as Trivy and vunnel do not: each
 *   `less than` test is a fix under the release and architecture of its
 *   branch, and the "signed with the Oracle key" tests are not checked (an
 *   rpm of the same name from elsewhere is judged by Oracle's fix);
 * - ecosystem `Oracle Linux:<major>`; the fixes of ksplice userspace builds
 *   (`.ksplice1.` in the release) and of FIPS builds (`_fips` at the end) go
 *   to `Oracle Linux:<major>:ksplice` and `:fips`, as trivy-db keeps its
 *   flavours apart, so they never judge ordinary packages (nor the reverse);
 * - within one ELSA, per package, flavour and architecture the highest fix
 *   counts (the criteria are an OR: a package older than one of the listed
 *   builds is affected). When every architecture has the same fix, one
 *   entry without an architecture; when they differ (an aarch64 build
 *   respun later than x86_64), one entry per architecture, under `…:<arch>`
 *   (vunnel's rule);
 * - package = the binary rpm name; aliases none; `upstream` = the CVEs
 *   (`<cve>` and CVE references), so findings join the CVE as Red Hat's RHSA
 *   records do; severity (source `oracle`) from `<severity>`: LOW, MODERATE →
 *   MEDIUM, IMPORTANT → HIGH, CRITICAL; `N/A` is no rating; `published` =
 *   `<issued date>`.
 * The same ELSA twice in one input keeps the definition of the higher
 * `version` (vunnel's rule), with a warning.
 */
import { severityFromWord, type Advisory, type AffectedPackage, type Reference } from '../../core/index.js';
import { rpm } from '../versions/rpm.js';
import { walkFiles } from './files.js';
import { ovalIdText, readOval, type OvalDefinition, type OvalDocument } from './oval-reader.js';
import { checkAborted, countingSink, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';

export const ORACLE_FEED = 'oracle-oval';

export type OracleFlavour = 'normal' | 'ksplice' | 'fips';

/** The flavour of an Oracle Linux rpm version (trivy-db's PackageFlavor). */
export function oracleFlavour(version: string): OracleFlavour {
  const v = version.toLowerCase();
  if (v.endsWith('_fips')) return 'fips';
  return v.split('.').some((s) => s.startsWith('ksplice')) ? 'ksplice' : 'normal';
}

/** `Oracle Linux:8`, `Oracle Linux:8:ksplice`, `Oracle Linux:8:aarch64`, `Oracle Linux:8:fips:x86_64`. */
export function oracleEcosystem(major: string, flavour: OracleFlavour, arch?: string): string {
  return `Oracle Linux:${major}${flavour === 'normal' ? '' : `:${flavour}`}${arch ? `:${arch}` : ''}`;
}

const ELSA_ID = /^ELSA-\d{4}-\d{4,}(?:-\d+)?$/;
const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const ARCH = /^[A-Za-z0-9_]{1,32}$/;
/** The package whose version pattern and arch name the release and architecture ("Oracle Linux 8 is installed"); OL5's was `enterprise-release`. */
const RELEASE_PACKAGES: ReadonlySet<string> = new Set(['oraclelinux-release', 'enterprise-release']);

interface Fix {
  readonly name: string;
  readonly evr: string;
  readonly platform: string | undefined;
  readonly arch: string | undefined;
}

interface Report {
  skip(record: string, reason: string): void;
  warn(record: string, message: string): void;
}

function elsaIdOf(def: OvalDefinition): string | undefined {
  const ref = def.references.find((r) => r.source.toLowerCase() === 'elsa')?.id.trim();
  if (ref && ELSA_ID.test(ref)) return ref;
  const fromTitle = def.title.split(':')[0]?.trim();
  return fromTitle && ELSA_ID.test(fromTitle) ? fromTitle : undefined;
}

/**
 * The fixes a definition's criteria name, each with the platform and
 * architecture of its branch (the nearest criteria, itself or above, that
 * has an "Oracle Linux N is installed" or "arch is" test); a string when a
 * reference does not resolve. Linear: criterions first, then the criteria in
 * order (a parent comes before its children).
 */
function fixesOf(def: OvalDefinition, doc: OvalDocument): Fix[] | string {
  const platformOf: (string | undefined)[] = new Array<string | undefined>(def.parents.length);
  const archOf: (string | undefined)[] = new Array<string | undefined>(def.parents.length);
  const own: { node: number; name: string; evr: string }[] = [];
  for (const [j, ref] of def.tests.entries()) {
    const node = def.testNodes[j]!;
    const test = doc.tests.get(ref);
    const refText = ovalIdText(ref, 'tst');
    if (!test) return `test ${refText} is not in the file`;
    if (test.kind !== 'rpminfo_test') continue; // module and file tests do not name a package fix
    const name = test.object === undefined ? undefined : doc.objects.get(test.object);
    if (name === undefined) return `object ${test.object === undefined ? '(none)' : ovalIdText(test.object, 'obj')} of test ${refText} is not in the file`;
    for (const stateRef of test.states) {
      const state = doc.states.get(stateRef);
      if (!state) return `state ${ovalIdText(stateRef, 'ste')} of test ${refText} is not in the file`;
      if (state.evr !== undefined) {
        if (state.evrOperation !== 'less than') return `test ${refText}: evr operation "${state.evrOperation ?? ''}" is not supported`;
        own.push({ node, name, evr: state.evr });
      } else if (RELEASE_PACKAGES.has(name)) {
        const major = /^\^?(\d+)(?:\\?\.|$)/.exec(state.version ?? '')?.[1];
        if (major) platformOf[node] = major;
        if (state.arch !== undefined && ARCH.test(state.arch)) archOf[node] = state.arch;
      }
    }
  }
  for (const [i, parent] of def.parents.entries()) {
    if (parent < 0) continue;
    platformOf[i] ??= platformOf[parent];
    archOf[i] ??= archOf[parent];
  }
  return own.map((f) => ({ name: f.name, evr: f.evr, platform: platformOf[f.node], arch: archOf[f.node] }));
}

/** Highest fix per (platform, flavour, package, arch); arch-less when every arch has the same one. */
function affectedOf(elsa: string, fixes: readonly Fix[], def: OvalDefinition, record: string, report: Report): AffectedPackage[] {
  const fallback = def.platforms.map((p) => /^Oracle Linux (\d+)$/.exec(p.trim())?.[1]).filter((p): p is string => p !== undefined);
  const groups = new Map<string, Map<string, string>>(); // `${platform}\0${flavour}\0${name}` → arch ('' none) → evr
  for (const f of fixes) {
    const platform = f.platform ?? (fallback.length === 1 ? fallback[0] : undefined);
    if (!platform) {
      report.warn(record, `${f.name} ${f.evr}: no Oracle Linux release for this fix; dropped`);
      continue;
    }
    if (!rpm.isValid(f.evr)) {
      report.warn(record, `${f.name}: invalid rpm version ${JSON.stringify(f.evr)}; dropped`);
      continue;
    }
    const key = `${platform}\u0000${oracleFlavour(f.evr)}\u0000${f.name}`;
    let byArch = groups.get(key);
    if (!byArch) groups.set(key, (byArch = new Map()));
    const had = byArch.get(f.arch ?? '');
    if (had === undefined || rpm.compare(f.evr, had) > 0) byArch.set(f.arch ?? '', f.evr);
  }
  const out: AffectedPackage[] = [];
  for (const [key, byArch] of groups) {
    const [platform, flavour, name] = key.split('\u0000') as [string, OracleFlavour, string];
    const versions = new Set(byArch.values());
    const entries: [string | undefined, string][] = versions.size === 1 ? [[undefined, [...versions][0]!]] : [...byArch].map(([arch, evr]) => [arch || undefined, evr]);
    for (const [arch, evr] of entries) {
      const fixed = evr.replace(/^0:/, '');
      out.push({
        ecosystem: oracleEcosystem(platform, flavour, arch),
        name,
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        fixed,
        status: 'fixed',
        sourceRecord: elsa,
      });
    }
  }
  return out.sort((a, b) => (a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function publishedOf(date: string | undefined): string | undefined {
  return date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00Z` : undefined;
}

/** One definition as an advisory; undefined (and reported) when it cannot be used. */
export function convertDefinition(def: OvalDefinition, doc: OvalDocument, label: string, report: Report): Advisory | undefined {
  const elsa = elsaIdOf(def);
  const record = `${label}#${elsa ?? (def.id || '(no id)')}`;
  if (!elsa) {
    report.skip(record, `no ELSA id (reference or title "${def.title.slice(0, 80)}")`);
    return undefined;
  }
  if (def.problem) {
    report.skip(record, def.problem);
    return undefined;
  }
  const fixes = fixesOf(def, doc);
  if (typeof fixes === 'string') {
    report.skip(record, fixes);
    return undefined;
  }
  const affected = affectedOf(elsa, fixes, def, record, report);
  if (affected.length === 0) {
    report.skip(record, 'names no Oracle Linux package fix');
    return undefined;
  }
  const cves = new Set<string>();
  for (const c of def.cves) if (CVE_ID.test(c)) cves.add(c);
  for (const r of def.references) if (r.source.toUpperCase() === 'CVE' && CVE_ID.test(r.id)) cves.add(r.id);
  const elsaUrl = def.references.find((r) => r.id === elsa && r.url)?.url ?? `https://linux.oracle.com/errata/${elsa}.html`;
  const references: Reference[] = [{ type: 'ADVISORY', url: elsaUrl }];
  for (const r of def.references) if (r.url && r.id !== elsa && !references.some((x) => x.url === r.url)) references.push({ type: 'WEB', url: r.url });
  const severity = severityFromWord(def.severity);
  const summary = def.title.replace(/^ELSA-[\d-]+:\s*/, '').trim();
  const published = publishedOf(def.issued);
  return {
    id: elsa,
    feed: ORACLE_FEED,
    scope: '',
    aliases: [],
    upstream: [...cves].sort(),
    ...(summary ? { summary } : {}),
    ...(def.description ? { details: def.description } : {}),
    severities: severity === 'UNKNOWN' ? [] : [{ source: 'oracle', severity }],
    references,
    ...(published ? { published } : {}),
    affected,
  };
}

/** Every definition of one OVAL document, converted; the same ELSA twice keeps the higher definition version. */
export function convertOval(doc: OvalDocument, label: string, report: Report): Advisory[] {
  const byId = new Map<string, { advisory: Advisory; version: number }>();
  for (const def of doc.definitions) {
    const advisory = convertDefinition(def, doc, label, report);
    if (!advisory) continue;
    const version = Number(def.version) || 0;
    const had = byId.get(advisory.id);
    if (had) {
      report.warn(`${label}#${advisory.id}`, `defined twice (versions ${had.version} and ${version}); kept version ${Math.max(had.version, version)}`);
      if (version <= had.version) continue;
    }
    byId.set(advisory.id, { advisory, version });
  }
  return [...byId.values()].map((v) => v.advisory);
}

export interface OracleOvalOptions extends SourceOptions {
  /** Uncompressed bytes allowed per file (default compressed-input.ts MAX_UNCOMPRESSED_BYTES). */
  readonly maxBytes?: number;
}

export const oracleOvalSource: Source & { import(input: string, sink: AdvisorySink, options?: OracleOvalOptions): Promise<SourceSummary> } = {
  name: ORACLE_FEED,
  async import(input: string, sink: AdvisorySink, options: OracleOvalOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    for await (const file of walkFiles(input, (n) => /\.xml(\.bz2|\.gz)?$/i.test(n))) {
      checkAborted(options.signal);
      const label = file === input && options.label ? options.label : file;
      const doc = await readOval(file, { label, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      for (const advisory of convertOval(doc, label, counting)) {
        checkAborted(options.signal);
        await counting.advisory(advisory);
      }
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};
