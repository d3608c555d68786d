/**
 * SPDX 2.3 JSON out, written by hand.
 *
 * Why by hand: no maintained npm library writes SPDX 2.3 JSON. Checked with
 * `npm view` / `npm pack --dry-run` (2026-11): `spdx` (0.5.2) is a licence-
 * expression parser only; `@spdx/tools`, `spdx-tools`, `spdx-js`, `spdx2`,
 * `spdx-sbom-generator` do not exist on npm; `@cyclonedx/cdxgen` writes
 * SPDX 3.0.1 JSON-LD (it ships `spdx-export.schema.json`, the 3.0.1 schema),
 * not 2.3. The format is small enough to write directly; the tests check it
 * against the official 2.3 schema (spdx/spdx-spec `schemas/spdx-schema.json`)
 * when one is supplied (see docs/sbom.md).
 *
 * Shape: `SPDXRef-DOCUMENT` DESCRIBES the image package
 * (`primaryPackagePurpose: CONTAINER`, version = manifest digest), which
 * CONTAINS the OS package (`OPERATING_SYSTEM`) and every non-OS package; the
 * OS CONTAINS the OS packages; `dependsOn` becomes DEPENDS_ON. Each package has
 * a `PACKAGE-MANAGER`/`purl` external ref, `licenseDeclared` (a valid SPDX
 * expression, `LicenseRef-…` for names, with `hasExtractedLicensingInfos`, or
 * `NOASSERTION`), `sourceInfo` for the source package, and annotations
 * (`portcullis:layer:digest: sha256:…`, …) for what SPDX 2.3 has no field for.
 * An incomplete inventory: one document annotation `portcullis:incomplete: …`
 * per reason (what a cataloguer could not read).
 * Deterministic for a given `created` and `documentNamespace`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Inventory, OsRelease, Package } from '../core/index.js';
import { DEFAULT_TOOL, isOsEcosystem, osSourceProperties, platformString, PROP, type SbomImage, type SbomTool, sortPackages, uniqueRefs } from './common.js';
import { asOperand, classifyLicense } from './license.js';

export interface SpdxOptions {
  readonly image?: SbomImage;
  /** Unique absolute URI without `#`; by default `https://spdx.org/spdxdocs/portcullis-NAME-UUID`. */
  readonly documentNamespace?: string;
  /** Defaults to now. */
  readonly created?: Date;
  readonly tool?: SbomTool;
  /** JSON indentation (default 2; 0 for compact). */
  readonly space?: number;
}

export interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER' | 'SECURITY' | 'PERSISTENT-ID' | 'OTHER';
  referenceType: string;
  referenceLocator: string;
}

export interface SpdxAnnotation {
  annotator: string;
  annotationDate: string;
  annotationType: 'OTHER' | 'REVIEW';
  comment: string;
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  primaryPackagePurpose?: string;
  licenseConcluded?: string;
  licenseDeclared?: string;
  copyrightText?: string;
  sourceInfo?: string;
  description?: string;
  comment?: string;
  externalRefs?: SpdxExternalRef[];
  annotations?: SpdxAnnotation[];
}

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  relatedSpdxElement: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  annotations?: SpdxAnnotation[];
  packages: SpdxPackage[];
  hasExtractedLicensingInfos?: Array<{ licenseId: string; extractedText: string; name: string }>;
  relationships: SpdxRelationship[];
}

const NOASSERTION = 'NOASSERTION';
export const IMAGE_SPDXID = 'SPDXRef-Image';
export const OS_SPDXID = 'SPDXRef-OperatingSystem';

/** `[A-Za-z0-9.-]` only, as SPDX idstrings allow. */
export function spdxIdString(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** SPDX dates: `YYYY-MM-DDThh:mm:ssZ`, no fractions. */
export function spdxDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Collects `LicenseRef-` ids for licence names so each is declared once in the document. */
export class LicenseRefs {
  private readonly byName = new Map<string, string>();
  private readonly used = new Set<string>();
  readonly infos: Array<{ licenseId: string; extractedText: string; name: string }> = [];

  refFor(name: string): string {
    const known = this.byName.get(name);
    if (known) return known;
    const base = `LicenseRef-${spdxIdString(name).slice(0, 64)}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.add(id, name);
    this.byName.set(name, id);
    return id;
  }

  /** A `LicenseRef-x` an input expression already uses: declared with its own id as text. */
  declare(id: string): void {
    if (!this.used.has(id)) this.add(id, id);
  }

  private add(id: string, text: string): void {
    this.used.add(id);
    this.infos.push({ licenseId: id, extractedText: text, name: text });
  }
}

/** `licenseDeclared` for a package: SPDX ids and expressions ANDed; names as `LicenseRef-…`; none is NOASSERTION. */
export function spdxLicenseExpression(licenses: readonly string[], refs: LicenseRefs): string {
  const unique = [...new Set(licenses.map((l) => l.trim()).filter((l) => l))];
  if (unique.length === 0) return NOASSERTION;
  const operands = unique.map((text) => {
    const c = classifyLicense(text);
    if (c.kind === 'id') return c.id;
    if (c.kind === 'expression') {
      if (c.refs.some((r) => r.startsWith('DocumentRef-'))) return refs.refFor(text);
      for (const r of c.refs) refs.declare(r);
      return c.expression;
    }
    return refs.refFor(c.name);
  });
  return operands.length === 1 ? (operands[0] as string) : operands.map(asOperand).join(' AND ');
}

/** The SPDX 2.3 document as a plain object. */
export function buildSpdxDocument(inventory: Inventory, options: SpdxOptions = {}): SpdxDocument {
  const tool = options.tool ?? DEFAULT_TOOL;
  const created = spdxDate(options.created ?? new Date());
  const imageName = options.image?.name ?? 'unknown';
  const namespace = options.documentNamespace ?? `https://spdx.org/spdxdocs/portcullis-${spdxIdString(imageName)}-${randomUUID()}`;
  const annotator = `Tool: ${tool.name}-${tool.version}`;
  const licenseRefs = new LicenseRefs();
  const packages: SpdxPackage[] = [];
  const relationships: SpdxRelationship[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_SPDXID }];

  packages.push(imagePackage(options.image, annotator, created));
  if (inventory.os) {
    packages.push(osPackage(inventory.os, annotator, created));
    relationships.push({ spdxElementId: IMAGE_SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: OS_SPDXID });
  }

  const sorted = sortPackages(inventory.packages);
  const refs = uniqueRefs(sorted);
  const ids = spdxIds(sorted, refs);
  const idsByPurl = new Map<string, string[]>();
  sorted.forEach((pkg, i) => {
    const id = ids[i] as string;
    const list = idsByPurl.get(pkg.purl);
    if (list) list.push(id);
    else idsByPurl.set(pkg.purl, [id]);
  });
  sorted.forEach((pkg, i) => {
    const id = ids[i] as string;
    packages.push(packageEntry(pkg, id, licenseRefs, annotator, created));
    const parent = inventory.os && isOsEcosystem(pkg.ecosystem) ? OS_SPDXID : IMAGE_SPDXID;
    relationships.push({ spdxElementId: parent, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  sorted.forEach((pkg, i) => {
    const id = ids[i] as string;
    const targets = new Set<string>();
    for (const dep of pkg.dependsOn ?? []) for (const t of idsByPurl.get(dep) ?? []) if (t !== id) targets.add(t);
    for (const t of [...targets].sort()) relationships.push({ spdxElementId: id, relationshipType: 'DEPENDS_ON', relatedSpdxElement: t });
  });

  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: imageName,
    documentNamespace: namespace,
    creationInfo: { created, creators: [annotator] },
    ...(inventory.incomplete?.length ? { annotations: inventory.incomplete.map((r) => annotation(annotator, created, `${PROP.incomplete}: ${r}`)) } : {}),
    packages,
    ...(licenseRefs.infos.length ? { hasExtractedLicensingInfos: [...licenseRefs.infos].sort((a, b) => cmp(a.licenseId, b.licenseId)) } : {}),
    relationships,
  };
}

/** SPDX 2.3 JSON text for an inventory. */
export function toSpdxJson(inventory: Inventory, options: SpdxOptions = {}): string {
  return JSON.stringify(buildSpdxDocument(inventory, options), null, options.space ?? 2);
}

/** `SPDXRef-Package-<type>-<name>-<hash of the unique ref>`: stable, unique, valid characters. */
function spdxIds(packages: readonly Package[], refs: readonly string[]): string[] {
  const used = new Set<string>([IMAGE_SPDXID, OS_SPDXID, 'SPDXRef-DOCUMENT']);
  return packages.map((pkg, i) => {
    const hash = createHash('sha256')
      .update(refs[i] as string)
      .digest('hex')
      .slice(0, 16);
    const type = /^pkg:([a-z0-9.+-]+)\//i.exec(pkg.purl)?.[1] ?? pkg.ecosystem;
    let id = `SPDXRef-Package-${spdxIdString(type)}-${spdxIdString(pkg.name).slice(0, 80)}-${hash}`;
    for (let n = 2; used.has(id); n++) id = `${id}-${n}`;
    used.add(id);
    return id;
  });
}

function annotation(annotator: string, date: string, comment: string): SpdxAnnotation {
  return { annotator, annotationDate: date, annotationType: 'OTHER', comment };
}

function imagePackage(image: SbomImage | undefined, annotator: string, date: string): SpdxPackage {
  const annotations: SpdxAnnotation[] = [];
  const platform = platformString(image?.platform);
  if (platform) annotations.push(annotation(annotator, date, `${PROP.imagePlatform}: ${platform}`));
  if (image?.configDigest) annotations.push(annotation(annotator, date, `${PROP.imageConfigDigest}: ${image.configDigest}`));
  return {
    SPDXID: IMAGE_SPDXID,
    name: image?.name ?? 'unknown',
    ...(image?.digest ? { versionInfo: image.digest } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(annotations.length ? { annotations } : {}),
  };
}

function osPackage(os: OsRelease, annotator: string, date: string): SpdxPackage {
  const annotations: SpdxAnnotation[] = [];
  if (os.versionCodename) annotations.push(annotation(annotator, date, `${PROP.osCodename}: ${os.versionCodename}`));
  if (os.idLike?.length) annotations.push(annotation(annotator, date, `${PROP.osIdLike}: ${os.idLike.join(' ')}`));
  if (os.distroless) annotations.push(annotation(annotator, date, `${PROP.osDistroless}: true`));
  for (const [name, value] of osSourceProperties(os)) annotations.push(annotation(annotator, date, `${name}: ${value}`));
  annotations.push(annotation(annotator, date, `${PROP.osPath}: ${os.path}`));
  return {
    SPDXID: OS_SPDXID,
    name: os.id,
    ...(os.versionId ? { versionInfo: os.versionId } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING_SYSTEM',
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(os.prettyName ? { description: os.prettyName } : {}),
    annotations,
  };
}

function packageEntry(pkg: Package, id: string, refs: LicenseRefs, annotator: string, date: string): SpdxPackage {
  const notes: string[] = [`${PROP.foundBy}: ${pkg.foundBy}`, `${PROP.path}: ${pkg.path}`];
  if (pkg.layer) {
    notes.push(`${PROP.layerIndex}: ${pkg.layer.index}`, `${PROP.layerDigest}: ${pkg.layer.digest}`);
    if (pkg.layer.diffId) notes.push(`${PROP.layerDiffId}: ${pkg.layer.diffId}`);
  }
  if (pkg.source) {
    notes.push(`${PROP.sourceName}: ${pkg.source.name}`);
    if (pkg.source.version !== undefined) notes.push(`${PROP.sourceVersion}: ${pkg.source.version}`);
  }
  for (const [k, v] of Object.entries(pkg.metadata ?? {})) notes.push(`${PROP.metadataPrefix}${k}: ${v}`);
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'LIBRARY',
    licenseConcluded: NOASSERTION,
    licenseDeclared: spdxLicenseExpression(pkg.licenses ?? [], refs),
    copyrightText: NOASSERTION,
    ...(pkg.source ? { sourceInfo: `built package from: ${pkg.source.name}${pkg.source.version !== undefined ? ` ${pkg.source.version}` : ''}` } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
    annotations: notes.map((c) => annotation(annotator, date, c)),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
