/**
 * OSV records (https://ossf.github.io/osv-schema/) as JSON or as YAML (PyPA
 * stores its advisories as YAML), read from a single file, a directory tree,
 * or a per-ecosystem `all.zip` as osv.dev publishes it. Zip archives are
 * streamed with fflate's `Unzip`: one entry is held in memory at a time,
 * never the archive.
 *
 * Checks, each of which skips the record with a reason naming it:
 * - not an object with a string `id`; unparsable JSON/YAML;
 * - `affected[].package.ecosystem` not an OSV ecosystem (ossf/osv-schema `ecosystems.json`);
 * - a range without `introduced`, an event with other than one key, or (in
 *   `GIT` ranges) two events naming the same commit (osv-linter's "distinct"
 *   rule; version ranges may legitimately say `introduced: X, fixed: X`);
 * - an `ECOSYSTEM`/`SEMVER` event version that the ecosystem's version scheme
 *   rejects (ecosystems without a scheme here are stored unchecked).
 *
 * Kept but trimmed (a warning, no skip): `GIT` ranges (commits cannot be
 * compared with package versions), affected entries without a package or
 * with neither a usable range nor versions, `versions[]` entries the scheme
 * rejects (PyPA lists legacy releases such as `0.7.1.fix1`), CVSS vectors
 * that do not parse. Ranges that are only `introduced: 0, fixed: 0` mean
 * "never affected" (Chainguard) and become status `not-affected`.
 *
 * Severities: `severity[]` CVSS vectors (base scores computed by ../cvss.ts;
 * v4 scores left undefined), `{type: "Ubuntu", score}`, `database_specific.severity`
 * (GHSA), `database_specific.cvss` (RustSec) and Debian's `urgency`. The
 * rating's `source` is the record's publisher, read from the id prefix.
 *
 * Rocky Linux (RLSA) and AlmaLinux (ALSA) errata name the CVEs they fix in
 * `related`, not `upstream`; for them `related` CVE ids are kept as
 * `upstream`, so their findings join the CVE (its NVD rating, its other
 * records) as Red Hat's RHSA records do.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  normalizePackageName,
  severityFromScore,
  severityFromWord,
  type Advisory,
  type AdvisoryEvent,
  type AffectedPackage,
  type AffectedRange,
  type Reference,
  type Severity,
} from '../../core/index.js';
import { parseCvss } from '../cvss.js';
import { schemeForEcosystem, schemeForRange } from '../versions/all.js';
import { VersionError } from '../versions/errors.js';
import type { VersionScheme } from '../versions/scheme.js';
import { walkFiles } from './files.js';
import { checkAborted, countingSink, messageOf, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';
import { zipEntries } from './zip.js';

/** ossf/osv-schema `ecosystems.json` plus names the schema has retired but feeds still carry. */
export const OSV_ECOSYSTEMS: ReadonlySet<string> = new Set([
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'BellSoft Hardened Containers', 'Bioconductor', 'Bitnami',
  'Chainguard', 'CleanStart', 'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'Docker Hardened Images', 'Echo', 'FreeBSD',
  'GHC', 'GitHub Actions', 'Go', 'Hackage', 'Hex', 'Julia', 'Kubernetes', 'Linux', 'Mageia', 'Maven', 'MinimOS', 'npm',
  'NuGet', 'opam', 'openEuler', 'openSUSE', 'OSS-Fuzz', 'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat', 'Rocky Linux',
  'Root', 'RubyGems', 'SUSE', 'SwiftURL', 'TuxCare', 'Ubuntu', 'VSCode', 'Wolfi',
  // retired or historical names still found in feeds
  'GSD', 'UVI', 'ConanCenter', 'DWF',
]);

const PUBLISHERS: readonly (readonly [prefix: string, source: string])[] = [
  ['GHSA-', 'ghsa'],
  ['GO-', 'go'],
  ['PYSEC-', 'pypa'],
  ['RUSTSEC-', 'rustsec'],
  ['UBUNTU-', 'ubuntu'],
  ['USN-', 'ubuntu'],
  ['LSN-', 'ubuntu'],
  ['DSA-', 'debian'],
  ['DLA-', 'debian'],
  ['DTSA-', 'debian'],
  ['DEBIAN-', 'debian'],
  ['ALPINE-', 'alpine'],
  ['RHSA-', 'redhat'],
  ['RHBA-', 'redhat'],
  ['RHEA-', 'redhat'],
  ['RLSA-', 'rocky'],
  ['RXSA-', 'rocky'],
  ['ALSA-', 'almalinux'],
  ['ALBA-', 'almalinux'],
  ['ALEA-', 'almalinux'],
  ['CGA-', 'chainguard'],
  ['SUSE-', 'suse'],
  ['openSUSE-', 'suse'],
  ['AZL-', 'azurelinux'], // Microsoft's Azure Linux records (google/osv.dev source.yaml `db_prefix`)
  ['PHSA-', 'photon'], // Photon OS advisories (captn3m0/photon-os-advisories, unofficial OSV)
  ['MAL-', 'ossf-malicious-packages'],
];

/** The publisher of an OSV record, from its id prefix; `osv` when unknown. */
export function publisherOf(id: string): string {
  for (const [prefix, source] of PUBLISHERS) if (id.startsWith(prefix)) return source;
  return 'osv';
}

/** Publishers whose errata list the CVEs they fix under `related` rather than `upstream` (RLSA, ALSA). */
const RELATED_AS_UPSTREAM = new Set(['rocky', 'almalinux']);
const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

/** `upstream`, or for Rocky and AlmaLinux errata that have none, the CVE ids of `related`. */
function upstreamOf(doc: Json, id: string, publisher: string): string[] {
  const upstream = strings(doc.upstream).filter((a) => a !== id);
  if (upstream.length > 0 || !RELATED_AS_UPSTREAM.has(publisher)) return upstream;
  return strings(doc.related).filter((a) => CVE_ID.test(a));
}

class Invalid extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

const EVENT_KEYS = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

function parseEvents(range: Json, where: string, distinct: boolean): AdvisoryEvent[] {
  if (!Array.isArray(range.events)) throw new Invalid(`${where}: events is not a list`);
  const events: AdvisoryEvent[] = [];
  const seen = new Set<string>();
  for (const e of range.events) {
    if (!isObject(e)) throw new Invalid(`${where}: an event is not an object`);
    const keys = Object.keys(e);
    if (keys.length !== 1 || !EVENT_KEYS.has(keys[0]!)) throw new Invalid(`${where}: event ${JSON.stringify(e)} must have exactly one of introduced/fixed/last_affected/limit`);
    const key = keys[0]!;
    const value = e[key];
    if (typeof value !== 'string' || value === '') throw new Invalid(`${where}: event ${key} is not a non-empty string`);
    if (distinct && seen.has(value)) throw new Invalid(`${where}: events are not distinct (${JSON.stringify(value)} appears twice)`);
    seen.add(value);
    events.push({ [key]: value } as AdvisoryEvent);
  }
  if (!events.some((e) => 'introduced' in e)) throw new Invalid(`${where}: range has no introduced event`);
  return events;
}

function checkVersion(scheme: VersionScheme | undefined, version: string, where: string): void {
  if (scheme && !scheme.isValid(version)) throw new Invalid(`${where}: invalid ${scheme.name} version ${JSON.stringify(version)}`);
}

function eventVersion(e: AdvisoryEvent): [string, string] {
  const [k, v] = Object.entries(e)[0]!;
  return [k, v as string];
}

function firstFixed(ranges: readonly AffectedRange[]): string | undefined {
  for (const r of ranges) for (const e of r.events) if ('fixed' in e) return e.fixed;
  return undefined;
}

function convertAffected(raw: Json, index: number, id: string, warn: (m: string) => void): AffectedPackage | undefined {
  const where = `affected[${index}]`;
  const pkg = raw.package;
  // Validate every range first (GIT included): a malformed range makes the record invalid even if it is not kept.
  const rawRanges = raw.ranges === undefined ? [] : raw.ranges;
  if (!Array.isArray(rawRanges)) throw new Invalid(`${where}: ranges is not a list`);
  const parsed = rawRanges.map((r, i) => {
    if (!isObject(r) || typeof r.type !== 'string') throw new Invalid(`${where}.ranges[${i}]: not a range with a type`);
    // Commits must be distinct (osv-linter); version ranges may say `introduced: X, fixed: X` (an empty interval, as RustSec does).
    return { type: r.type, events: parseEvents(r, `${where}.ranges[${i}]`, r.type === 'GIT') };
  });
  if (pkg === undefined) {
    if (parsed.length === 0) throw new Invalid(`${where}: neither a package nor ranges`);
    warn(`${where}: no package (only ${[...new Set(parsed.map((r) => r.type))].join('/')} ranges); not matchable, dropped`);
    return undefined;
  }
  if (!isObject(pkg)) throw new Invalid(`${where}: package is not an object`);
  const ecosystem = str(pkg.ecosystem);
  const name = str(pkg.name);
  if (!ecosystem || !name) throw new Invalid(`${where}: package needs an ecosystem and a name`);
  const base = ecosystem.split(':')[0]!;
  if (!OSV_ECOSYSTEMS.has(base)) throw new Invalid(`${where}: unknown ecosystem ${JSON.stringify(ecosystem)}`);
  let scheme: VersionScheme | undefined;
  try {
    scheme = schemeForEcosystem(ecosystem);
  } catch {
    scheme = undefined; // an OSV ecosystem without a version scheme here: stored unchecked
  }
  const ranges: AffectedRange[] = [];
  for (const [i, r] of parsed.entries()) {
    if (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER') {
      if (r.type !== 'GIT') warn(`${where}.ranges[${i}]: range type ${JSON.stringify(r.type)} dropped`);
      continue;
    }
    const rs = r.type === 'SEMVER' ? schemeForRange('SEMVER', ecosystem) : scheme;
    for (const e of r.events) {
      const [k, v] = eventVersion(e);
      if ((k === 'introduced' && v === '0') || (k === 'limit' && v === '*')) continue;
      checkVersion(rs, v, `${where}.ranges[${i}]`);
    }
    ranges.push({ type: r.type, events: r.events });
  }
  if (raw.versions !== undefined && !Array.isArray(raw.versions)) throw new Invalid(`${where}: versions is not a list`);
  // Enumerated versions are informative (ranges decide); PyPA lists legacy releases such as "0.7.1.fix1" that PEP 440 rejects: drop those.
  const versions = strings(raw.versions).filter((v) => {
    if (!scheme || scheme.isValid(v)) return true;
    warn(`${where}.versions: invalid ${scheme.name} version ${JSON.stringify(v)} dropped`);
    return false;
  });
  if (ranges.length === 0 && versions.length === 0) {
    warn(`${where}: ${ecosystem}/${name} has no ECOSYSTEM/SEMVER range and no versions; not matchable, dropped`);
    return undefined;
  }
  const fixed = firstFixed(ranges);
  // `introduced: 0, fixed: 0` everywhere: the vendor says "never affected" (Chainguard, like Alpine's fixed "0").
  const neverAffected = versions.length === 0 && ranges.every((r) => r.events.length === 2 && r.events.every((e) => Object.values(e)[0] === '0'));
  if (neverAffected) {
    return { ecosystem, name: normalizePackageName(ecosystem, name), ...(str(pkg.purl) ? { purl: str(pkg.purl)! } : {}), ranges: [], status: 'not-affected', sourceRecord: id };
  }
  return {
    ecosystem,
    name: normalizePackageName(ecosystem, name),
    ...(str(pkg.purl) ? { purl: str(pkg.purl)! } : {}),
    ranges,
    ...(versions.length > 0 ? { versions } : {}),
    ...(fixed !== undefined ? { fixed } : {}),
    status: fixed !== undefined ? 'fixed' : 'affected',
    sourceRecord: id,
  };
}

function cvssSeverity(source: string, vector: string, warn: (m: string) => void): Severity | undefined {
  const cvss = parseCvss(vector);
  if (!cvss) {
    warn(`CVSS vector ${JSON.stringify(vector)} does not parse; dropped`);
    return undefined;
  }
  return { source, severity: cvss.score === undefined ? 'UNKNOWN' : severityFromScore(cvss.score, cvss.version), cvss };
}

function convertSeverities(doc: Json, publisher: string, warn: (m: string) => void): Severity[] {
  const out: Severity[] = [];
  const vectors = new Set<string>();
  if (doc.severity !== undefined && !Array.isArray(doc.severity)) warn('severity is not a list; ignored');
  for (const s of Array.isArray(doc.severity) ? doc.severity : []) {
    if (!isObject(s) || typeof s.type !== 'string' || typeof s.score !== 'string') continue;
    if (s.type.startsWith('CVSS_')) {
      const sev = cvssSeverity(publisher, s.score, warn);
      if (sev) {
        out.push(sev);
        vectors.add(sev.cvss!.vector);
      }
    } else if (s.type === 'Ubuntu') {
      out.push({ source: 'ubuntu', severity: severityFromWord(s.score) });
    } else {
      out.push({ source: publisher, severity: severityFromWord(s.score) });
    }
  }
  const ds = isObject(doc.database_specific) ? doc.database_specific : {};
  if (typeof ds.severity === 'string') out.push({ source: publisher, severity: severityFromWord(ds.severity) });
  if (typeof ds.cvss === 'string' && !vectors.has(ds.cvss)) {
    const sev = cvssSeverity(publisher, ds.cvss, warn);
    if (sev) out.push(sev);
  }
  const urgencies = new Set<string>();
  if (typeof ds.urgency === 'string') urgencies.add(ds.urgency);
  for (const a of Array.isArray(doc.affected) ? doc.affected : []) {
    if (!isObject(a)) continue;
    for (const k of ['ecosystem_specific', 'database_specific'] as const) {
      const x = a[k];
      if (isObject(x) && typeof x.urgency === 'string') urgencies.add(x.urgency);
      if (isObject(x) && typeof x.severity === 'string' && k === 'ecosystem_specific') out.push({ source: publisher, severity: severityFromWord(x.severity) });
    }
  }
  for (const u of urgencies) out.push({ source: 'debian', severity: severityFromWord(u) });
  // one entry per (source, level, vector)
  const seen = new Set<string>();
  return out.filter((s) => {
    const key = `${s.source}|${s.severity}|${s.cvss?.vector ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Converts one parsed OSV document. Throws `Invalid` (caught by the caller
 * and reported as a skip) when the record must not be stored.
 */
export function convertOsv(doc: unknown, warn: (message: string) => void = () => {}): Advisory {
  if (!isObject(doc)) throw new Invalid('not an OSV object');
  const id = str(doc.id);
  if (!id) throw new Invalid('no id');
  if (doc.affected !== undefined && !Array.isArray(doc.affected)) throw new Invalid('affected is not a list');
  const publisher = publisherOf(id);
  const affected: AffectedPackage[] = [];
  for (const [i, a] of (Array.isArray(doc.affected) ? doc.affected : []).entries()) {
    if (!isObject(a)) throw new Invalid(`affected[${i}] is not an object`);
    const entry = convertAffected(a, i, id, warn);
    if (entry) affected.push(entry);
  }
  const references: Reference[] = [];
  for (const r of Array.isArray(doc.references) ? doc.references : []) {
    if (isObject(r) && typeof r.url === 'string') references.push({ type: typeof r.type === 'string' ? r.type : 'WEB', url: r.url });
  }
  const withdrawn = str(doc.withdrawn);
  return {
    id,
    feed: 'osv',
    scope: '',
    aliases: strings(doc.aliases).filter((a) => a !== id),
    upstream: upstreamOf(doc, id, publisher),
    ...(str(doc.summary) ? { summary: str(doc.summary)! } : {}),
    ...(str(doc.details) ? { details: str(doc.details)! } : {}),
    severities: convertSeverities(doc, publisher, warn),
    references,
    ...(str(doc.published) ? { published: str(doc.published)! } : {}),
    ...(str(doc.modified) ? { modified: str(doc.modified)! } : {}),
    ...(withdrawn ? { withdrawn } : {}),
    affected,
  };
}

function isOsvFileName(name: string): boolean {
  return /\.(json|ya?ml|zip)$/i.test(name);
}

/** Parses and converts one file's bytes; reports skips and warnings. */
async function importText(text: string, label: string, yaml: boolean, sink: AdvisorySink): Promise<void> {
  let doc: unknown;
  try {
    // failsafe: every scalar stays a string, as OSV wants (`introduced: 0` is "0", not a number), and it parses twice as fast.
    doc = yaml ? parseYaml(text, { schema: 'failsafe' }) : JSON.parse(text);
  } catch (error) {
    sink.skip(label, `not valid ${yaml ? 'YAML' : 'JSON'}: ${messageOf(error)}`);
    return;
  }
  const name = isObject(doc) && typeof doc.id === 'string' ? `${label}: ${doc.id}` : label;
  let advisory: Advisory;
  try {
    advisory = convertOsv(doc, (m) => sink.warn(name, m));
  } catch (error) {
    if (error instanceof Invalid || error instanceof VersionError) {
      sink.skip(name, error instanceof Error ? error.message : String(error));
      return;
    }
    throw error;
  }
  await sink.advisory(advisory);
}


/** Streams a zip's entries, converting each `.json`/`.yaml` entry as it completes. */
async function importZip(path: string, label: string, sink: AdvisorySink, signal?: AbortSignal): Promise<void> {
  const decoder = new TextDecoder();
  for await (const entry of zipEntries(path, (name) => !name.endsWith('/') && /\.(json|ya?ml)$/i.test(name), signal)) {
    if ('error' in entry) sink.skip(`${label}#${entry.name}`, `unreadable zip entry: ${entry.error}`);
    else await importText(decoder.decode(entry.data), `${label}#${entry.name}`, !entry.name.toLowerCase().endsWith('.json'), sink);
  }
}

export const osvSource: Source = {
  name: 'osv',
  async import(input: string, sink: AdvisorySink, options: SourceOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    for await (const file of walkFiles(input, isOsvFileName)) {
      checkAborted(options.signal);
      const label = file === input && options.label ? options.label : file;
      if (/\.zip$/i.test(file)) {
        await importZip(file, label, counting, options.signal);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        counting.skip(label, `unreadable: ${messageOf(error)}`);
        continue;
      }
      await importText(text, label, !/\.json$/i.test(basename(file)), counting);
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};
