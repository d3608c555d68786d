/**
 * `cyclonedx`: CycloneDX 1.6 JSON with `vulnerabilities[]` (a VDR/VEX-style
 * BOM), built with `@cyclonedx/cyclonedx-library` on top of the SBOM
 * module's `buildCycloneDxBom`, so components look exactly as in
 * `portcullis sbom --format cyclonedx` (same bom-refs, properties, layers).
 *
 * Components: the image (metadata.component), its OS, and the packages that
 * have findings (the affected components). One vulnerability per id:
 * - `id`, `source` {name, url} (the feed of the record used), `references`
 *   for the other ids (aliases) when they are vulnerability ids;
 * - `ratings`: {source, score, severity, method CVSSv2/CVSSv3/CVSSv31/CVSSv4,
 *   vector} from the CVSS, and the severity by its source's word when it
 *   differs from the CVSS rating's or there is no CVSS; then every other
 *   source's rating (`Finding.ratings`: the distributor's, GHSA's, NVD's);
 * - properties `portcullis:kev…` (CISA KEV: dateAdded, dueDate,
 *   knownRansomwareCampaignUse) and `portcullis:epss:…` (probability,
 *   percentile, date): CycloneDX has no field for either;
 * - `description` (title), `detail` (description), `recommendation`
 *   ("Upgrade openssl to 3.0.13-1~deb12u1"), `advisories` (primary link and
 *   the other references), `published`, `updated`;
 * - `affects[]`: {ref: the component's bom-ref, versions [{version, status
 *   affected}]}, one per package the vulnerability was found in;
 * - `analysis` when every affected package suppressed it: a VEX
 *   `not_affected` statement → state `not_affected` with its justification
 *   (OpenVEX justifications mapped to CycloneDX's) and the reason in
 *   `detail`; an ignore-file entry claims nothing about exploitability, so it
 *   gives no state, only `detail` "ignored by .portcullisignore: reason".
 *   When the vendor will not fix it: response `will_not_fix`, no state.
 * Deterministic: serial number derived from the scan, timestamp from `now`,
 * lists sorted by the library's normaliser.
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { type Cvss, type SeverityLevel, type Finding, type ScanResult, type Inventory, type Package, isDigest } from '../../core/index.js';
import { parsePlatformString, PROP, sortPackages, uniqueRefs, buildCycloneDxBom } from '../../sbom/index.js';
import { sortFindings } from '../severity.js';
import { trivyDataSource } from './trivy-json.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

const SEVERITY: Record<SeverityLevel, Enums.Vulnerability.Severity> = {
  CRITICAL: Enums.Vulnerability.Severity.Critical,
  HIGH: Enums.Vulnerability.Severity.High,
  MEDIUM: Enums.Vulnerability.Severity.Medium,
  LOW: Enums.Vulnerability.Severity.Low,
  NEGLIGIBLE: Enums.Vulnerability.Severity.Info,
  UNKNOWN: Enums.Vulnerability.Severity.Unknown,
};

function ratingMethod(cvss: Cvss): Enums.Vulnerability.RatingMethod {
  switch (cvss.version) {
    case '2.0':
      return Enums.Vulnerability.RatingMethod.CVSSv2;
    case '3.0':
      return Enums.Vulnerability.RatingMethod.CVSSv3;
    case '3.1':
      return Enums.Vulnerability.RatingMethod.CVSSv31;
    case '4.0':
      return Enums.Vulnerability.RatingMethod.CVSSv4;
  }
}

const JUSTIFICATIONS = new Set<string>(Object.values(Enums.Vulnerability.AnalysisJustification));

/** OpenVEX justifications → the nearest CycloneDX ones (CycloneDX's own names pass through). */
const OPENVEX_JUSTIFICATION: Readonly<Record<string, Enums.Vulnerability.AnalysisJustification>> = {
  component_not_present: Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_present: Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_in_execute_path: Enums.Vulnerability.AnalysisJustification.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary: Enums.Vulnerability.AnalysisJustification.ProtectedByMitigatingControl,
  inline_mitigations_already_exist: Enums.Vulnerability.AnalysisJustification.ProtectedByMitigatingControl,
};

function justificationOf(text: string | undefined): Enums.Vulnerability.AnalysisJustification | undefined {
  if (!text) return undefined;
  if (JUSTIFICATIONS.has(text)) return text as Enums.Vulnerability.AnalysisJustification;
  return OPENVEX_JUSTIFICATION[text];
}

function isVulnId(id: string): boolean {
  return /^(CVE|GHSA|GO|PYSEC|RUSTSEC|OSV|DSA|DLA|USN|RHSA|ALAS|GMS)-/.test(id);
}

function isHttpUrl(text: string): boolean {
  return /^https?:\/\/\S+$/i.test(text);
}

function packageKey(pkg: Package): string {
  return `${pkg.purl}\0${pkg.path}\0${pkg.name}\0${pkg.version}`;
}

/** The BOM model (for callers that add to it). */
export function buildVulnerabilityBom(result: ScanResult, options: ReportOptions = {}): Models.Bom {
  const { now, tool } = resolveOptions(result, options);
  const findings = sortFindings(result.findings);

  // The affected components: every package with a finding, once.
  const byKey = new Map<string, Package>();
  for (const f of findings) if (!byKey.has(packageKey(f.package))) byKey.set(packageKey(f.package), f.package);
  const packages = sortPackages([...byKey.values()]);
  const refs = uniqueRefs(packages);
  const refOf = new Map(packages.map((p, i) => [packageKey(p), refs[i] as string]));

  const inventory: Inventory = {
    ...(result.os ? { os: { id: result.os.id, ...(result.os.versionId ? { versionId: result.os.versionId } : {}), ...(result.os.prettyName ? { prettyName: result.os.prettyName } : {}), path: '' } } : {}),
    packages,
    ownedFiles: [],
    warnings: [],
    // An incomplete scan: `portcullis:incomplete` metadata properties, as in an SBOM of an incomplete inventory.
    ...(result.incomplete?.length ? { incomplete: result.incomplete } : {}),
  };
  const image = result.image;
  const platform = image?.platform ? parsePlatformString(image.platform) : undefined;
  const seed = createHash('sha256').update([result.target, image?.digest ?? '', result.scannedAt].join('\0')).digest('hex');
  const serial = `urn:uuid:${seed.slice(0, 8)}-${seed.slice(8, 12)}-5${seed.slice(13, 16)}-${((parseInt(seed.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${seed.slice(17, 20)}-${seed.slice(20, 32)}`;
  const bom = buildCycloneDxBom(inventory, {
    image: {
      name: result.target,
      ...(image?.digest && isDigest(image.digest) ? { digest: image.digest } : {}),
      ...(image?.configDigest && isDigest(image.configDigest) ? { configDigest: image.configDigest } : {}),
      ...(platform ? { platform } : {}),
    },
    serialNumber: serial,
    timestamp: now,
    tool: { name: tool.name, version: tool.version },
  });

  // The scan result does not say which file the OS was read from: leave out the empty path property.
  for (const c of bom.components) {
    if (c.type !== Enums.ComponentType.OperatingSystem) continue;
    for (const p of [...c.properties]) if (p.name === PROP.osPath) c.properties.delete(p);
  }

  // One vulnerability per id; findings of the same id in several packages become several `affects`.
  const byId = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  for (const [id, group] of byId) {
    const lead = group[0]!;
    const source = trivyDataSource(lead);
    const vuln = new Models.Vulnerability.Vulnerability({
      bomRef: `vuln:${id}`,
      id,
      source: new Models.Vulnerability.Source({ name: source.ID, ...(source.URL ? { url: source.URL } : {}) }),
      ...(lead.title ? { description: lead.title } : {}),
      ...(lead.description ? { detail: lead.description } : {}),
      ...(recommendation(group) ? { recommendation: recommendation(group) } : {}),
      ...(validDate(lead.published) ? { published: validDate(lead.published) } : {}),
      ...(validDate(lead.modified) ? { updated: validDate(lead.modified) } : {}),
    });
    const ratingSources = new Set<string>();
    for (const f of group) {
      if (f.cvss && !ratingSources.has(`cvss:${f.cvss.vector}`)) {
        ratingSources.add(`cvss:${f.cvss.vector}`);
        vuln.ratings.add(
          new Models.Vulnerability.Rating({
            source: new Models.Vulnerability.Source({ name: f.severitySource === 'debian' || f.severitySource === 'alpine' || f.severitySource === 'ubuntu' ? 'nvd' : f.severitySource }),
            ...(f.cvss.score !== undefined ? { score: f.cvss.score } : {}),
            method: ratingMethod(f.cvss),
            vector: f.cvss.vector,
          }),
        );
      }
      if (!ratingSources.has(`sev:${f.severitySource}:${f.severity}`)) {
        ratingSources.add(`sev:${f.severitySource}:${f.severity}`);
        vuln.ratings.add(
          new Models.Vulnerability.Rating({
            source: new Models.Vulnerability.Source({ name: f.severitySource }),
            severity: SEVERITY[f.severity],
            method: Enums.Vulnerability.RatingMethod.Other,
          }),
        );
      }
      // Every other source's rating too (Debian's urgency beside NVD's CVSS beside GHSA's), each once.
      for (const r of f.ratings ?? []) {
        const key = `rating:${r.source}:${r.severity}:${r.cvss?.vector ?? ''}`;
        if (ratingSources.has(key) || (!r.cvss && ratingSources.has(`sev:${r.source}:${r.severity}`))) continue;
        ratingSources.add(key);
        vuln.ratings.add(
          new Models.Vulnerability.Rating({
            source: new Models.Vulnerability.Source({ name: r.source }),
            ...(r.severity !== 'UNKNOWN' ? { severity: SEVERITY[r.severity] } : {}),
            ...(r.cvss?.score !== undefined ? { score: r.cvss.score } : {}),
            method: r.cvss ? ratingMethod(r.cvss) : Enums.Vulnerability.RatingMethod.Other,
            ...(r.cvss ? { vector: r.cvss.vector } : {}),
          }),
        );
      }
    }
    for (const alias of lead.aliases) {
      if (alias !== id && isVulnId(alias)) {
        vuln.references.add(new Models.Vulnerability.Reference(alias, new Models.Vulnerability.Source({ name: alias.split('-')[0]! })));
      }
    }
    const urls = new Set<string>();
    for (const f of group) {
      if (f.primaryUrl && isHttpUrl(f.primaryUrl)) urls.add(f.primaryUrl);
      for (const r of f.references) if (isHttpUrl(r)) urls.add(r);
    }
    for (const url of urls) vuln.advisories.add(new Models.Vulnerability.Advisory(url));
    for (const f of group) {
      const ref = refOf.get(packageKey(f.package));
      const component = ref ? findComponent(bom, ref) : undefined;
      if (!component) continue;
      vuln.affects.add(
        new Models.Vulnerability.Affect(component.bomRef, {
          versions: new Models.Vulnerability.AffectedVersionRepository([
            new Models.Vulnerability.AffectedSingleVersion(f.installedVersion, { status: Enums.Vulnerability.AffectStatus.Affected }),
          ]),
        }),
      );
    }
    const analysis = analysisOf(group);
    if (analysis) vuln.analysis = analysis;
    vuln.properties.add(new Models.Property('portcullis:severity', lead.severity));
    vuln.properties.add(new Models.Property('portcullis:severitySource', lead.severitySource));
    vuln.properties.add(new Models.Property('portcullis:status', lead.status));
    vuln.properties.add(new Models.Property('portcullis:advisory', lead.evidence.advisoryId));
    if (lead.evidence.vendorRecord) vuln.properties.add(new Models.Property('portcullis:vendorRecord', lead.evidence.vendorRecord));
    // CycloneDX 1.6 has no field for "exploited in the wild" nor a rating method for EPSS: properties, as its taxonomy allows.
    for (const [name, value] of exploitProperties(lead)) vuln.properties.add(new Models.Property(name, value));
    bom.vulnerabilities.add(vuln);
  }
  return bom;
}

/** CISA KEV and EPSS of a finding as `portcullis:kev*` and `portcullis:epss:*` properties. */
function exploitProperties(f: Finding): [string, string][] {
  const out: [string, string][] = [];
  if (f.kev) {
    out.push(['portcullis:kev', 'true'], ['portcullis:kev:dateAdded', f.kev.dateAdded]);
    if (f.kev.dueDate) out.push(['portcullis:kev:dueDate', f.kev.dueDate]);
    if (f.kev.knownRansomwareCampaignUse) out.push(['portcullis:kev:knownRansomwareCampaignUse', f.kev.knownRansomwareCampaignUse]);
  }
  if (f.epss) {
    out.push(['portcullis:epss:probability', String(f.epss.probability)], ['portcullis:epss:percentile', String(f.epss.percentile)]);
    if (f.epss.date) out.push(['portcullis:epss:date', f.epss.date]);
  }
  return out;
}

function findComponent(bom: Models.Bom, ref: string): Models.Component | undefined {
  for (const c of bom.components) if (c.bomRef.value === ref) return c;
  return undefined;
}

function validDate(text: string | undefined): Date | undefined {
  if (!text || text.startsWith('0001-01-01')) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function recommendation(group: readonly Finding[]): string | undefined {
  const lines = new Set<string>();
  for (const f of group) {
    if (f.status === 'fixed' && f.fixedVersion) lines.add(`Upgrade ${f.package.name} to ${f.fixedVersion}`);
    else if (f.status === 'will-not-fix') lines.add(`${f.package.name}: the vendor will not fix it`);
  }
  return lines.size ? [...lines].join('; ') : undefined;
}

function analysisOf(group: readonly Finding[]): Models.Vulnerability.Analysis | undefined {
  if (group.every((f) => f.suppressed)) {
    const s = group[0]!.suppressed!;
    const detail = [s.reason, s.justification && s.justification !== s.reason ? `justification: ${s.justification}` : ''].filter((x) => x).join('; ');
    if (s.by === 'vex') {
      const justification = justificationOf(s.justification);
      return new Models.Vulnerability.Analysis({
        state: Enums.Vulnerability.AnalysisState.NotAffected,
        ...(justification ? { justification } : {}),
        ...(detail ? { detail } : {}),
      });
    }
    return new Models.Vulnerability.Analysis({ detail: `ignored by .portcullisignore: ${detail}` });
  }
  if (group.every((f) => f.status === 'will-not-fix')) {
    const analysis = new Models.Vulnerability.Analysis({ detail: 'The vendor will not fix it.' });
    analysis.response.add(Enums.Vulnerability.AnalysisResponse.WillNotFix);
    return analysis;
  }
  return undefined;
}

export function toVulnerabilityCycloneDxJson(result: ScanResult, options: ReportOptions = {}): string {
  const bom = buildVulnerabilityBom(result, options);
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

export const cycloneDxWriter: ReportWriter = {
  format: 'cyclonedx',
  mediaType: 'application/vnd.cyclonedx+json',
  write: (result, options) => toVulnerabilityCycloneDxJson(result, options),
};
