/**
 * Photon OS's own CVE data: `cve_data_photon<release>.json` as published at
 * https://packages.broadcom.com/photon/photon_cve_metadata/ (with
 * `photon_versions.json` listing the releases), and vuln-list's layout of the
 * same entries, one per file with `os_version` added. This is Photon's real
 * feed: Trivy reads it (aquasecurity/vuln-list-update@6837fa8
 * `photon/photon.go`, aquasecurity/trivy-db@a0049d7 `pkg/vulnsrc/photon`), so
 * does Grype (anchore/vunnel@42a1d42 `src/vunnel/providers/photon`), while
 * osv.dev has no Photon OS source and no version order for it
 * (google/osv.dev@7e6c189 `source.yaml`, `osv/ecosystems/_ecosystems.py`:
 * `'Photon OS': None`), so the OSV bucket carries nothing for Photon.
 *
 * An entry is `{cve_id, pkg, cve_score, aff_ver, res_ver, status}`. Mapping
 * (one advisory per id and release, scoped to the release):
 * - ecosystem `Photon OS:<release>`: the release from the file name
 *   (`cve_data_photon4.0.json` → `4.0`, the os-release VERSION_ID), from
 *   `os_version` in vuln-list's layout, or `options.ecosystem`;
 * - package = `pkg`, a binary rpm name (`curl-libs`, `linux-esx`);
 * - `status: "Not Affected"` → status `not-affected`, no range;
 * - `res_ver` a version → `introduced 0, fixed res_ver`, status `fixed`;
 * - `res_ver` `NA` or empty, not "Not Affected" → status `affected`, no fix.
 *   The feed names no fixed version (`status: "Fixed"` with `NA` exists):
 *   Grype reports these as unfixed, trivy-db drops them; portcullis fails
 *   closed and reports them without a fix;
 * - when one id lists a package twice, an unfixed entry wins, else the
 *   lowest fix (rpm order); `not-affected` only when every entry says so;
 * - `cve_score` is a CVSS v3 base score (trivy-db stores it as
 *   `CvssScoreV3`; no vector is published): the level by the v3 bands,
 *   source `photon`;
 * - id `PHOTON-<cve_id>` with `upstream: [cve_id]`, as Alpine's records;
 *   placeholder ids (`UNK-1`, `Re`, which vuln-list-update also drops) skip
 *   the entry, named.
 * A file over MAX_PHOTON_FILE_BYTES is skipped whole (today's largest is a
 * few MB).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { severityFromScore, type Advisory, type AffectedPackage, type Severity } from '../../core/index.js';
import { rpm } from '../versions/rpm.js';
import { walkFiles } from './files.js';
import { checkAborted, countingSink, messageOf, SourceError, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';

export const MAX_PHOTON_FILE_BYTES = 256 << 20;

type Json = Record<string, unknown>;
function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `4.0` from `…cve_data_photon4.0.json`; undefined when the name does not say. */
export function photonReleaseOfFile(path: string): string | undefined {
  return /cve_data_photon(\d+\.\d+)\.json$/i.exec(basename(path))?.[1];
}

const RELEASE = /^\d+\.\d+$/;
const ID = /^[A-Z][A-Z0-9]*-\d{4}-\d+$/;
const PLACEHOLDER = /^UNK-/i;
const VERSION = /^(?:\d+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$/;

type Verdict = { readonly kind: 'fixed'; readonly fixed: string } | { readonly kind: 'unfixed' } | { readonly kind: 'not-affected' };

function verdictOf(entry: Json): Verdict | string {
  if (typeof entry.status === 'string' && entry.status.trim().toLowerCase() === 'not affected') return { kind: 'not-affected' };
  const res = typeof entry.res_ver === 'string' ? entry.res_ver.trim() : '';
  if (res === '' || res.toUpperCase() === 'NA') return { kind: 'unfixed' };
  if (!VERSION.test(res) || !rpm.isValid(res)) return `invalid fixed version ${JSON.stringify(res)}`;
  return { kind: 'fixed', fixed: res };
}

/** The stronger of two verdicts on one package (module comment). */
function merge(a: Verdict, b: Verdict): Verdict {
  if (a.kind === 'unfixed' || b.kind === 'unfixed') return { kind: 'unfixed' };
  if (a.kind === 'not-affected') return b;
  if (b.kind === 'not-affected') return a;
  return rpm.compare(b.fixed, a.fixed) < 0 ? b : a;
}

interface Collected {
  readonly pkgs: Map<string, Verdict>;
  readonly scores: Set<number>;
}

export interface PhotonReport {
  skip(record: string, reason: string): void;
  warn(record: string, message: string): void;
}

/**
 * Converts one parsed document (a list of entries, or one vuln-list entry)
 * into advisories; skips are reported through `report`.
 */
export function convertPhoton(doc: unknown, label: string, report: PhotonReport, options: { release?: string } = {}): Advisory[] {
  const entries = Array.isArray(doc) ? doc : isObject(doc) && typeof doc.cve_id === 'string' ? [doc] : undefined;
  if (!entries) {
    report.skip(label, 'not Photon CVE data (a list of {cve_id, pkg, res_ver} entries)');
    return [];
  }
  const byRelease = new Map<string, Map<string, Collected>>();
  for (const [i, entry] of entries.entries()) {
    const record = `${label}#${i}`;
    if (!isObject(entry)) {
      report.skip(record, 'entry is not an object');
      continue;
    }
    const id = typeof entry.cve_id === 'string' ? entry.cve_id.trim() : '';
    const pkg = typeof entry.pkg === 'string' ? entry.pkg.trim() : '';
    const named = `${record}: ${id || '(no id)'} ${pkg || '(no package)'}`;
    if (!ID.test(id) || PLACEHOLDER.test(id)) {
      report.skip(named, `${JSON.stringify(id)} is not a vulnerability id`);
      continue;
    }
    if (pkg === '' || /\s/.test(pkg)) {
      report.skip(named, 'no package name');
      continue;
    }
    const release = typeof entry.os_version === 'string' && RELEASE.test(entry.os_version) ? entry.os_version : options.release;
    if (!release) {
      report.skip(named, 'no Photon release: name the file cve_data_photon<release>.json');
      continue;
    }
    const verdict = verdictOf(entry);
    if (typeof verdict === 'string') {
      report.skip(named, verdict);
      continue;
    }
    let ids = byRelease.get(release);
    if (!ids) byRelease.set(release, (ids = new Map()));
    let c = ids.get(id);
    if (!c) ids.set(id, (c = { pkgs: new Map(), scores: new Set() }));
    const had = c.pkgs.get(pkg);
    c.pkgs.set(pkg, had ? merge(had, verdict) : verdict);
    if (typeof entry.cve_score === 'number' && Number.isFinite(entry.cve_score) && entry.cve_score >= 0 && entry.cve_score <= 10) c.scores.add(entry.cve_score);
  }
  const out: Advisory[] = [];
  for (const [release, ids] of byRelease) {
    const ecosystem = `Photon OS:${release}`;
    const sourceRecord = `photon:${release}`;
    for (const [id, c] of ids) {
      const affected: AffectedPackage[] = [...c.pkgs].map(([name, v]) =>
        v.kind === 'fixed'
          ? { ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: v.fixed }] }], fixed: v.fixed, status: 'fixed', sourceRecord }
          : v.kind === 'unfixed'
            ? { ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], status: 'affected', sourceRecord }
            : { ecosystem, name, ranges: [], status: 'not-affected', sourceRecord },
      );
      const severities: Severity[] = [...c.scores].map((score) => ({ source: 'photon', severity: severityFromScore(score, '3.1') }));
      out.push({
        id: `PHOTON-${id}`,
        feed: 'photon',
        scope: release,
        aliases: [],
        upstream: [id],
        severities,
        references: [],
        affected,
      });
    }
  }
  return out;
}

export const photonSource: Source = {
  name: 'photon',
  async import(input: string, sink: AdvisorySink, options: SourceOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    const fromOption = /^Photon OS:(\d+\.\d+)$/.exec(options.ecosystem ?? '')?.[1];
    for await (const file of walkFiles(input, (n) => /\.json$/i.test(n))) {
      checkAborted(options.signal);
      const label = file === input && options.label ? options.label : file;
      let doc: unknown;
      try {
        const size = statSync(file).size;
        if (size > MAX_PHOTON_FILE_BYTES) {
          counting.skip(label, `${size} bytes is over the ${MAX_PHOTON_FILE_BYTES}-byte limit for a Photon CVE file`);
          continue;
        }
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        counting.skip(label, `unreadable: ${messageOf(error)}`);
        continue;
      }
      const release = photonReleaseOfFile(file) ?? fromOption;
      for (const advisory of convertPhoton(doc, label, counting, release ? { release } : {})) await counting.advisory(advisory);
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};

/**
 * The releases `photon_versions.json` lists (`{"branches": ["3.0", "4.0", "5.0", "dev"]}`,
 * aquasecurity/vuln-list-update@6837fa8 `photon/types.go`): the numbered
 * ones, at most 64. Throws SourceError('INPUT_UNREADABLE') naming `url` when
 * the list is not that shape, so an update fails rather than drops Photon.
 */
export function photonReleasesOf(text: string, url: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SourceError('INPUT_UNREADABLE', `${url}: not JSON: ${messageOf(error)}`);
  }
  const branches = isObject(doc) && Array.isArray(doc.branches) ? doc.branches : undefined;
  if (!branches) throw new SourceError('INPUT_UNREADABLE', `${url}: no "branches" list of Photon releases`);
  const releases = branches.filter((b): b is string => typeof b === 'string' && RELEASE.test(b)).slice(0, 64);
  if (releases.length === 0) throw new SourceError('INPUT_UNREADABLE', `${url}: lists no numbered Photon release`);
  return releases;
}
