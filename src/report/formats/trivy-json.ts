/**
 * `trivy-json`: Trivy's JSON report, `SchemaVersion` 2, so tools that ingest
 * Trivy (DefectDojo's "Trivy Scan", Dependency-Track's Trivy analyser,
 * scripts using jq on `.Results[].Vulnerabilities[]`) take ours unchanged.
 *
 * Field names and shapes follow Trivy's Go types:
 * - aquasecurity/trivy `pkg/types/report.go` — Report {SchemaVersion,
 *   CreatedAt, ArtifactName, ArtifactType, Metadata, Results}, Metadata {OS,
 *   ImageID, DiffIDs, RepoTags, RepoDigests, ImageConfig, Layers}, Result
 *   {Target, Class, Type, Vulnerabilities, ExperimentalModifiedFindings};
 * - `pkg/types/vulnerability.go` — DetectedVulnerability {VulnerabilityID,
 *   VendorIDs, PkgID, PkgName, PkgPath, PkgIdentifier {PURL}, InstalledVersion,
 *   FixedVersion, Status, Layer {Digest, DiffID}, SeveritySource, PrimaryURL,
 *   DataSource} with the embedded trivy-db Vulnerability;
 * - `pkg/types/finding.go` — ModifiedFinding {Type, Status, Statement, Source, Finding};
 * - `pkg/fanal/types/artifact.go` — OS {Family, Name}, Layer {Size, Digest, DiffID, CreatedBy};
 * - aquasecurity/trivy-db `pkg/types/types.go` — Vulnerability {Title,
 *   Description, Severity, CweIDs, VendorSeverity (source → 0..4), CVSS
 *   (source → {V2Vector, V3Vector, V40Vector, V2Score, V3Score, V40Score}),
 *   References, PublishedDate, LastModifiedDate}, DataSource {ID, Name, URL};
 *   `pkg/types/status.go` — statuses `fixed`, `affected`, `will_not_fix`, …
 * Every field is `omitempty` there, so absent values are left out here too.
 */
import type { Cvss, SeverityLevel, Finding, ScanResult } from '../../core/index.js';
import { splitSuppressed } from '../severity.js';
import { groupByTarget, osFamily, osTargetName } from '../targets.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

type Json = Record<string, unknown>;

/** trivy-db severities: UNKNOWN 0, LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4. Debian's "unimportant" is LOW in Trivy. */
function trivySeverity(level: SeverityLevel): 'UNKNOWN' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' {
  return level === 'NEGLIGIBLE' ? 'LOW' : level;
}
const SEVERITY_NUMBER = { UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 } as const;

/** Trivy's status names (trivy-db `pkg/types/status.go`). */
function trivyStatus(status: Finding['status']): string {
  return status === 'will-not-fix' ? 'will_not_fix' : status;
}

/** A data source in Trivy's terms (trivy-db `pkg/vulnsrc/vulnerability/const.go` ids). */
export function trivyDataSource(finding: Finding): { ID: string; Name: string; URL: string } {
  const { feed, advisoryId, ecosystem } = finding.evidence;
  const base = ecosystem.split(':')[0] ?? ecosystem;
  if (feed === 'debian-tracker' || advisoryId.startsWith('DEBIAN-') || base === 'Debian') {
    return { ID: 'debian', Name: 'Debian Security Tracker', URL: 'https://salsa.debian.org/security-tracker-team/security-tracker' };
  }
  if (feed === 'alpine-secdb' || advisoryId.startsWith('ALPINE-') || base === 'Alpine') {
    return { ID: 'alpine', Name: 'Alpine Secdb', URL: 'https://secdb.alpinelinux.org/' };
  }
  if (feed === 'photon') return { ID: 'photon', Name: 'Photon OS CVE metadata', URL: 'https://packages.broadcom.com/photon/photon_cve_metadata/' };
  if (feed === 'amazon-updateinfo' || base === 'Amazon Linux') {
    return { ID: 'amazon', Name: 'Amazon Linux Security Center', URL: 'https://alas.aws.amazon.com/' };
  }
  if (advisoryId.startsWith('UBUNTU-') || base === 'Ubuntu') {
    return { ID: 'ubuntu', Name: 'Ubuntu CVE Tracker', URL: 'https://git.launchpad.net/ubuntu-cve-tracker' };
  }
  if (advisoryId.startsWith('GO-')) {
    return { ID: 'govulndb', Name: 'The Go Vulnerability Database', URL: 'https://pkg.go.dev/vuln/' };
  }
  if (advisoryId.startsWith('GHSA-')) {
    const eco = GHSA_ECOSYSTEM[base] ?? base.toLowerCase();
    return {
      ID: 'ghsa',
      Name: `GitHub Security Advisory ${eco.charAt(0).toUpperCase()}${eco.slice(1)}`,
      URL: `https://github.com/advisories?query=type%3Areviewed+ecosystem%3A${eco}`,
    };
  }
  if (advisoryId.startsWith('PYSEC-')) {
    return { ID: 'osv', Name: 'Python Packaging Advisory Database', URL: 'https://github.com/pypa/advisory-database' };
  }
  if (feed === 'nvd') return { ID: 'nvd', Name: 'National Vulnerability Database', URL: 'https://nvd.nist.gov/' };
  return { ID: feed === 'osv' ? 'osv' : feed, Name: feed === 'osv' ? 'OSV' : feed, URL: feed === 'osv' ? 'https://osv.dev/' : '' };
}

/** OSV ecosystem → GitHub advisory ecosystem query names. */
const GHSA_ECOSYSTEM: Readonly<Record<string, string>> = {
  npm: 'npm',
  PyPI: 'pip',
  Go: 'go',
  Maven: 'maven',
  RubyGems: 'rubygems',
  NuGet: 'nuget',
  Packagist: 'composer',
  'crates.io': 'rust',
};

/** Vendor advisory ids (DSA, DLA, RHSA, USN, ALAS…) among the finding's other ids, as Trivy lists them in VendorIDs. */
function vendorIds(finding: Finding): string[] {
  const ids = new Set<string>();
  const isVendor = (id: string): boolean => /^(DSA|DLA|RHSA|RHBA|RHEA|USN|ALAS\d*|ELSA|SUSE-SU|ALSA|RLSA)-/.test(id);
  for (const id of finding.aliases) if (isVendor(id)) ids.add(id);
  if (finding.evidence.vendorRecord && isVendor(finding.evidence.vendorRecord)) ids.add(finding.evidence.vendorRecord);
  return [...ids].sort();
}

/** The CVSS map key: who published the vector. Distributions that rate by words (Debian, Alpine, Ubuntu) publish no CVSS of their own: the vector comes from NVD. */
function cvssSource(finding: Finding): string {
  const s = finding.severitySource;
  return s === 'debian' || s === 'alpine' || s === 'ubuntu' || s === 'osv' ? 'nvd' : s;
}

function cvssEntry(cvss: Cvss): Json {
  const out: Json = {};
  if (cvss.version === '2.0') {
    out.V2Vector = cvss.vector;
    if (cvss.score !== undefined) out.V2Score = cvss.score;
  } else if (cvss.version === '4.0') {
    out.V40Vector = cvss.vector;
    if (cvss.score !== undefined) out.V40Score = cvss.score;
  } else {
    out.V3Vector = cvss.vector;
    if (cvss.score !== undefined) out.V3Score = cvss.score;
  }
  return out;
}

/** Trivy's PkgID: `name@version` (Maven `group:artifact:version`). */
function pkgId(finding: Finding): string {
  const { name } = finding.package;
  return name.includes(':') && finding.package.ecosystem === 'maven' ? `${name}:${finding.installedVersion}` : `${name}@${finding.installedVersion}`;
}

/** RFC 3339 dates as Go's time.Time marshals them; invalid or "unknown" (year 1) dates are left out. */
function goTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : value;
}

/** One DetectedVulnerability with the embedded trivy-db Vulnerability fields, in Trivy's field order. */
export function trivyVulnerability(finding: Finding, osPackage: boolean): Json {
  const severity = trivySeverity(finding.severity);
  const v: Json = { VulnerabilityID: finding.id };
  const vendor = vendorIds(finding);
  if (vendor.length) v.VendorIDs = vendor;
  v.PkgID = pkgId(finding);
  v.PkgName = finding.package.name;
  if (!osPackage && finding.package.path) v.PkgPath = finding.package.path;
  if (finding.package.purl) v.PkgIdentifier = { PURL: finding.package.purl };
  v.InstalledVersion = finding.installedVersion;
  if (finding.fixedVersion) v.FixedVersion = finding.fixedVersion;
  v.Status = trivyStatus(finding.status);
  const layer = finding.layer ?? finding.package.layer;
  if (layer) v.Layer = { Digest: layer.digest, ...(layer.diffId ? { DiffID: layer.diffId } : {}) };
  v.SeveritySource = finding.severitySource;
  if (finding.primaryUrl) v.PrimaryURL = finding.primaryUrl;
  v.DataSource = trivyDataSource(finding);
  if (finding.title) v.Title = finding.title;
  if (finding.description) v.Description = finding.description;
  v.Severity = severity;
  // Every source's rating (Finding.ratings), as Trivy keeps each vendor's; the chosen one always.
  const vendorSeverity: Json = {};
  const cvssBySource: Json = {};
  for (const r of finding.ratings ?? []) {
    if (r.severity !== 'UNKNOWN') vendorSeverity[r.source] = SEVERITY_NUMBER[trivySeverity(r.severity)];
    if (r.cvss) cvssBySource[r.source] = { ...(cvssBySource[r.source] as Json | undefined), ...cvssEntry(r.cvss) };
  }
  vendorSeverity[finding.severitySource] = SEVERITY_NUMBER[severity];
  v.VendorSeverity = vendorSeverity;
  if (finding.cvss) cvssBySource[cvssSource(finding)] ??= cvssEntry(finding.cvss);
  if (Object.keys(cvssBySource).length) v.CVSS = cvssBySource;
  if (finding.references.length) v.References = [...finding.references];
  const published = goTime(finding.published);
  const modified = goTime(finding.modified);
  if (published) v.PublishedDate = published;
  if (modified) v.LastModifiedDate = modified;
  return v;
}

/** Trivy's ArtifactType (`pkg/fanal/types/artifact.go`): an image, an SBOM (by file name), else a filesystem. */
function artifactType(result: ScanResult): string {
  if (result.image) return 'container_image';
  const t = result.target.toLowerCase();
  if (t.endsWith('.cdx.json') || t.endsWith('.cdx') || t.includes('cyclonedx') || t.endsWith('bom.json')) return 'cyclonedx';
  if (t.endsWith('.spdx.json') || t.endsWith('.spdx')) return 'spdx';
  return 'filesystem';
}

/** `registry/repo@sha256:…` from the target name and manifest digest (tag dropped). */
function repoDigest(target: string, digest: string): string {
  const at = target.indexOf('@');
  let name = at >= 0 ? target.slice(0, at) : target;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  name = name.replace(/^[a-z-]+:\/\//, '').replace(/^(docker|oci|oci-archive|docker-archive):/, '');
  return `${name}@${digest}`;
}

function metadata(result: ScanResult): Json {
  const m: Json = {};
  if (result.os) m.OS = { Family: osFamily(result), Name: result.os.versionId ?? '', ...(result.os.eol ? { EOSL: true } : {}) };
  const image = result.image;
  if (!image) return m;
  if (image.configDigest) m.ImageID = image.configDigest;
  const diffIds = (image.layers ?? []).map((l) => l.diffId).filter((d): d is string => !!d);
  if (diffIds.length) m.DiffIDs = diffIds;
  if (image.digest) m.RepoDigests = [repoDigest(result.target, image.digest)];
  const config: Json = {};
  const [os, architecture, variant] = (image.platform ?? '').split('/');
  if (architecture) config.architecture = architecture;
  if (image.created) config.created = image.created;
  if (os) config.os = os;
  if (variant) config.variant = variant;
  if (diffIds.length) config.rootfs = { type: 'layers', diff_ids: diffIds };
  if (Object.keys(config).length) m.ImageConfig = config;
  if (image.layers?.length) {
    m.Layers = image.layers.map((l) => ({
      Digest: l.digest,
      ...(l.diffId ? { DiffID: l.diffId } : {}),
      ...(l.createdBy ? { CreatedBy: l.createdBy } : {}),
    }));
  }
  return m;
}

/** The report object (before serialisation). */
export function trivyReport(result: ScanResult, options: ReportOptions = {}): Json {
  const { now } = resolveOptions(result, options);
  const results = groupByTarget(result).map((target) => {
    const os = target.class === 'os-pkgs';
    const { active, suppressed } = splitSuppressed(target.findings);
    const r: Json = { Target: target.name, Class: target.class, Type: target.type };
    if (active.length) r.Vulnerabilities = active.map((f) => trivyVulnerability(f, os));
    if (suppressed.length) {
      r.ExperimentalModifiedFindings = suppressed.map((f) => ({
        Type: 'vulnerability',
        Status: f.suppressed!.by === 'vex' ? 'not_affected' : 'ignored',
        Statement: f.suppressed!.justification ?? f.suppressed!.reason,
        Source: f.suppressed!.by === 'vex' ? 'vex' : '.portcullisignore',
        Finding: trivyVulnerability(f, os),
      }));
    }
    return r;
  });
  // Trivy always reports the OS target, with or without vulnerabilities.
  if (result.os && !results.some((r) => r.Class === 'os-pkgs')) {
    const family = osFamily(result);
    results.unshift({ Target: osTargetName(result, family), Class: 'os-pkgs', Type: family });
  }
  const report: Json = {
    SchemaVersion: 2,
    CreatedAt: now.toISOString(),
    ArtifactName: result.target,
    ArtifactType: artifactType(result),
  };
  const meta = metadata(result);
  if (Object.keys(meta).length) report.Metadata = meta;
  if (results.length) report.Results = results;
  return report;
}

export const trivyJsonWriter: ReportWriter = {
  format: 'trivy-json',
  mediaType: 'application/json',
  write: (result, options) => `${JSON.stringify(trivyReport(result, options), null, 2)}\n`,
};
