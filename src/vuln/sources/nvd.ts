/**
 * NVD CVE API 2.0 (https://nvd.nist.gov/developers/vulnerabilities): result
 * pages `{resultsPerPage, startIndex, totalResults, vulnerabilities: [{cve}]}`
 * (single-CVE responses are one-entry pages) and vuln-list's stored per-CVE
 * objects (the bare `cve` object). NVD records are severity/CVSS enrichment
 * keyed by the CVE id: they add no affected packages (NVD's CPE
 * configurations do not name distribution or language packages).
 *
 * Metrics are read leniently: `cvssMetricV40`, `cvssMetricV31`,
 * `cvssMetricV30` and `cvssMetricV2` are used, any other kind (`ssvcV203`, …)
 * is ignored. Per CVSS version one metric is kept: the `Primary` one (NVD's
 * own) when present, else the first. The published `baseScore` is used, or
 * computed from the vector when missing. Severity source is `nvd`.
 * `vulnStatus: "Rejected"` marks the record withdrawn (date: lastModified).
 * Timestamps without a zone are UTC and get a `Z`.
 */
import { readFileSync } from 'node:fs';
import { severityFromScore, severityFromWord, type Advisory, type CvssVersion, type Reference, type Severity } from '../../core/index.js';
import { parseCvss } from '../cvss.js';
import { walkFiles } from './files.js';
import { checkAborted, countingSink, messageOf, withZone, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';

type Json = Record<string, unknown>;
function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const METRIC_KINDS: readonly (readonly [key: string, version: CvssVersion])[] = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

const TAG_TYPES: Readonly<Record<string, string>> = {
  Patch: 'FIX',
  'Vendor Advisory': 'ADVISORY',
  'Third Party Advisory': 'ADVISORY',
  'US Government Resource': 'ADVISORY',
  'Issue Tracking': 'REPORT',
  'Mailing List': 'DISCUSSION',
  Exploit: 'EVIDENCE',
  'Release Notes': 'WEB',
};

function severities(metrics: unknown, warn: (m: string) => void): Severity[] {
  if (!isObject(metrics)) return [];
  const out: Severity[] = [];
  for (const [key, version] of METRIC_KINDS) {
    const list = metrics[key];
    if (!Array.isArray(list) || list.length === 0) continue;
    const chosen = list.find((m) => isObject(m) && m.type === 'Primary') ?? list[0];
    if (!isObject(chosen) || !isObject(chosen.cvssData) || typeof chosen.cvssData.vectorString !== 'string') {
      warn(`${key}: no cvssData.vectorString; ignored`);
      continue;
    }
    const data = chosen.cvssData;
    const vector = data.vectorString as string;
    const computed = parseCvss(vector);
    const score = typeof data.baseScore === 'number' ? data.baseScore : computed?.score;
    const word = typeof data.baseSeverity === 'string' ? data.baseSeverity : typeof chosen.baseSeverity === 'string' ? chosen.baseSeverity : undefined;
    const level = word ? severityFromWord(word) : score !== undefined ? severityFromScore(score, version) : 'UNKNOWN';
    out.push({ source: 'nvd', severity: level, cvss: { version, vector, ...(score !== undefined ? { score } : {}) } });
  }
  return out;
}

/** Converts one API 2.0 `cve` object. Throws when it has no CVE id. */
export function convertNvdCve(cve: unknown, warn: (message: string) => void = () => {}): Advisory {
  if (!isObject(cve) || typeof cve.id !== 'string' || !/^CVE-\d{4}-\d+$/.test(cve.id)) throw new Error('not an NVD cve object with a CVE id');
  const descriptions = Array.isArray(cve.descriptions) ? cve.descriptions.filter(isObject) : [];
  const english = descriptions.find((d) => d.lang === 'en') ?? descriptions[0];
  const references: Reference[] = [];
  for (const r of Array.isArray(cve.references) ? cve.references : []) {
    if (!isObject(r) || typeof r.url !== 'string') continue;
    const tags = Array.isArray(r.tags) ? r.tags.filter((t): t is string => typeof t === 'string') : [];
    const type = tags.map((t) => TAG_TYPES[t]).find((t) => t !== undefined) ?? 'WEB';
    references.push({ type, url: r.url });
  }
  const published = withZone(typeof cve.published === 'string' ? cve.published : undefined);
  const modified = withZone(typeof cve.lastModified === 'string' ? cve.lastModified : undefined);
  const rejected = cve.vulnStatus === 'Rejected';
  return {
    id: cve.id,
    feed: 'nvd',
    scope: '',
    aliases: [],
    upstream: [],
    ...(english && typeof english.value === 'string' ? { details: english.value } : {}),
    severities: severities(cve.metrics, warn),
    references,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    ...(rejected ? { withdrawn: modified ?? published ?? '1970-01-01T00:00:00Z' } : {}),
    affected: [],
  };
}

/** The `cve` objects of a page, a single-CVE response or a bare stored cve object. */
export function nvdCves(doc: unknown): unknown[] | undefined {
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc.vulnerabilities)) return doc.vulnerabilities.map((v) => (isObject(v) ? v.cve : v));
  // An empty page (`totalResults: 0`) has no `vulnerabilities` member at all.
  if (doc.format === 'NVD_CVE' || typeof doc.totalResults === 'number') return [];
  if (typeof doc.id === 'string' && ('metrics' in doc || 'descriptions' in doc || 'sourceIdentifier' in doc)) return [doc];
  return undefined;
}

export const nvdSource: Source = {
  name: 'nvd',
  async import(input: string, sink: AdvisorySink, options: SourceOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    for await (const file of walkFiles(input, (n) => /\.json$/i.test(n))) {
      checkAborted(options.signal);
      const label = file === input && options.label ? options.label : file;
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        counting.skip(label, `not valid JSON: ${messageOf(error)}`);
        continue;
      }
      const cves = nvdCves(doc);
      if (!cves) {
        counting.skip(label, 'not an NVD API 2.0 response or cve object');
        continue;
      }
      for (const [i, cve] of cves.entries()) {
        const name = isObject(cve) && typeof cve.id === 'string' ? `${label}: ${cve.id}` : `${label}#${i}`;
        let advisory: Advisory;
        try {
          advisory = convertNvdCve(cve, (m) => counting.warn(name, m));
        } catch (error) {
          counting.skip(name, messageOf(error));
          continue;
        }
        await counting.advisory(advisory);
      }
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};
