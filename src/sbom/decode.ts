/**
 * SBOM in: CycloneDX JSON (1.2–1.7; ours, Syft's, Trivy's), SPDX 2.2/2.3
 * JSON, Syft's native JSON and our native inventory JSON (json.ts) →
 * `Inventory`.
 *
 * What is read (details in docs/sbom.md):
 * - packages: every component / package / artifact with a purl of a type we
 *   know (ecosystem from the purl type, and for `deb` the vendor/distro).
 *   Purls are made canonical (purl.ts `canonicalPurl`) so the same package
 *   compares equal whoever wrote it; name and version are taken from the purl
 *   (keeping the document's spelling when it is the same name);
 * - the layer: ours (`portcullis:layer:*`), Syft (`syft:location:0:layerID`,
 *   a diffID; in Syft JSON also the layer list and manifest, so index and
 *   digest), Trivy (`aquasecurity:trivy:LayerDigest` / `LayerDiffID`). A
 *   `LayerOrigin` needs index and digest: pass the image's layers
 *   (`options.layers`) to place packages that name a layer by diffID or
 *   digest only; otherwise the hint is kept as `metadata.layerDiffID` /
 *   `metadata.layerDigest` and one warning says so;
 * - the source package: ours, Trivy `SrcName`/`SrcVersion`/`SrcRelease`/`SrcEpoch`,
 *   Syft's purl `upstream` qualifier or `syft:metadata:source*`, SPDX `sourceInfo`;
 * - the OS: CycloneDX `operating-system` component, SPDX `OPERATING_SYSTEM`
 *   package, Syft `distro`;
 * - dependencies: CycloneDX `dependencies`, SPDX DEPENDS_ON / DEPENDENCY_OF,
 *   Syft `dependency-of` relationships.
 *
 * Hostile input: at most `maxBytes` (256 MiB) are read and at most
 * `maxComponents` (500,000) components looked at (SbomError `TOO_LARGE`);
 * malformed JSON or a wrong shape is `SBOM_INVALID`; an unknown format or
 * version `SBOM_UNSUPPORTED`; an invalid purl is a warning and the component
 * is skipped.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readAllBounded } from '../core/bounded.js';
import { type Digest, isDigest } from '../core/digest.js';
import { isPortcullisError } from '../core/errors.js';
import type { LayerOrigin } from '../core/files.js';
import type { Inventory, OsRelease, Package, SourcePackage } from '../core/inventory.js';
import { PROP, parsePlatformString, type SbomImage } from './common.js';
import { SbomError } from './errors.js';
import { isNativeDocument, readNativeDocument } from './json.js';
import {
  canonicalPurl,
  ecosystemOfPurl,
  epochOfPurl,
  packageNameOfPurl,
  packageVersionOfPurl,
  parsePurl,
  pep503Name,
  type Purl,
  upstreamOfPurl,
} from './purl.js';

export const DEFAULT_MAX_SBOM_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_COMPONENTS = 500_000;

export type SbomFormat = 'cyclonedx' | 'spdx' | 'syft-json' | 'portcullis-json';

export interface DecodeOptions {
  /** Bytes read at most (default 256 MiB). */
  readonly maxBytes?: number;
  /** Components / packages / artifacts looked at, at most (default 500,000). */
  readonly maxComponents?: number;
  /** The image's layers, when the caller has them: places packages that name a layer by diffID or digest only. */
  readonly layers?: readonly LayerOrigin[];
}

export interface DecodedSbom {
  readonly format: SbomFormat;
  /** `1.6`, `SPDX-2.3`, Syft schema version, `1`. */
  readonly formatVersion?: string;
  /** Who wrote it, when the document says: `portcullis`, `syft`, `trivy`, … */
  readonly producer?: string;
  readonly image?: SbomImage;
  readonly inventory: Inventory;
}

/** Decodes an SBOM held in memory. */
export function decodeSbom(input: Uint8Array | string, options: DecodeOptions = {}): DecodedSbom {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > maxBytes) throw new SbomError('TOO_LARGE', `SBOM is ${size} bytes, more than the ${maxBytes}-byte limit`);
  let text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const head = text.trimStart().slice(0, 64);
  if (head.startsWith('<')) throw new SbomError('SBOM_UNSUPPORTED', 'XML SBOMs are not supported (CycloneDX and SPDX JSON are)');
  if (/^SPDXVersion:/i.test(head)) throw new SbomError('SBOM_UNSUPPORTED', 'SPDX tag-value is not supported (SPDX JSON is)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SbomError('SBOM_INVALID', `SBOM is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return decodeSbomObject(doc, options);
}

/** Decodes an SBOM from a stream, failing as soon as `maxBytes` is passed. */
export async function decodeSbomStream(stream: Readable | AsyncIterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedSbom> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  let bytes: Buffer;
  try {
    bytes = await readAllBounded(stream, maxBytes, 'SBOM');
  } catch (error) {
    if (isPortcullisError(error) && error.code === 'TOO_LARGE') throw new SbomError('TOO_LARGE', error.message, { cause: error });
    throw error;
  }
  return decodeSbom(bytes, options);
}

/** Decodes an SBOM file (size checked before reading). */
export async function decodeSbomFile(path: string, options: DecodeOptions = {}): Promise<DecodedSbom> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  const info = await stat(path);
  if (info.size > maxBytes) throw new SbomError('TOO_LARGE', `${path} is ${info.size} bytes, more than the ${maxBytes}-byte limit`);
  return decodeSbomStream(createReadStream(path), options);
}

/** Decodes an already parsed SBOM document. */
export function decodeSbomObject(doc: unknown, options: DecodeOptions = {}): DecodedSbom {
  const root = rec(doc);
  if (!root) throw new SbomError('SBOM_INVALID', 'SBOM is not a JSON object');
  const ctx = new Context(options);
  if (root.bomFormat === 'CycloneDX') return decodeCycloneDx(root, ctx);
  if (typeof root.spdxVersion === 'string') return decodeSpdx(root, ctx);
  if ('@context' in root && JSON.stringify(root['@context']).includes('spdx')) {
    throw new SbomError('SBOM_UNSUPPORTED', 'SPDX 3 JSON-LD is not supported (SPDX 2.2/2.3 JSON is)');
  }
  if (Array.isArray(root.artifacts) && ('source' in root || 'descriptor' in root || 'schema' in root || 'distro' in root)) return decodeSyft(root, ctx);
  if (isNativeDocument(root)) {
    const native = readNativeDocument(root, ctx.maxComponents);
    ctx.warnings.push(...native.warnings);
    const packages = native.packages.map((p) => ctx.placeLayer(p));
    return finish('portcullis-json', '1', 'portcullis', native.image, native.os, packages, ctx);
  }
  throw new SbomError('SBOM_UNSUPPORTED', 'not a CycloneDX, SPDX, Syft or portcullis JSON document');
}

// ---------------------------------------------------------------------------

/** Where a document says a package's layer is; any subset. */
interface LayerHint {
  index?: number;
  digest?: string;
  diffId?: string;
}

class Context {
  readonly warnings: string[] = [];
  readonly maxComponents: number;
  private readonly layers?: readonly LayerOrigin[];
  private seen = 0;
  private unplaced = 0;
  private noPurl = 0;

  constructor(options: DecodeOptions) {
    this.maxComponents = options.maxComponents ?? DEFAULT_MAX_COMPONENTS;
    this.layers = options.layers;
  }

  /** Counts one component; throws TOO_LARGE past the cap. */
  count(): void {
    this.seen++;
    if (this.seen > this.maxComponents) throw new SbomError('TOO_LARGE', `SBOM has more than ${this.maxComponents} components`);
  }

  noPurlSeen(): void {
    this.noPurl++;
  }

  /** A LayerOrigin from a hint, using the image's layers when given. */
  layer(hint: LayerHint): LayerOrigin | undefined {
    const digest = hint.digest && isDigest(hint.digest) ? hint.digest : undefined;
    const diffId = hint.diffId && isDigest(hint.diffId) ? hint.diffId : undefined;
    if (this.layers) {
      const found =
        (diffId && this.layers.find((l) => l.diffId === diffId)) ||
        (digest && this.layers.find((l) => l.digest === digest)) ||
        (hint.index !== undefined && !digest && !diffId ? this.layers.find((l) => l.index === hint.index) : undefined);
      if (found) return found;
    }
    if (hint.index !== undefined && digest) return { index: hint.index, digest, ...(diffId ? { diffId } : {}) };
    return undefined;
  }

  /** Adds the layer to a package built without one, or keeps the hint in metadata. */
  withLayer(pkg: Package, hint: LayerHint): Package {
    if (hint.index === undefined && !hint.digest && !hint.diffId) return pkg;
    const layer = this.layer(hint);
    if (layer) return { ...pkg, layer };
    this.unplaced++;
    const metadata: Record<string, string> = { ...(pkg.metadata ?? {}) };
    if (hint.diffId) metadata.layerDiffID = hint.diffId;
    if (hint.digest) metadata.layerDigest = hint.digest;
    if (hint.index !== undefined) metadata.layerIndex = String(hint.index);
    return { ...pkg, metadata };
  }

  /** Native documents carry full layers; with `options.layers`, they are re-checked against the image's. */
  placeLayer(pkg: Package): Package {
    if (!pkg.layer || !this.layers) return pkg;
    const layer = this.layer({ index: pkg.layer.index, digest: pkg.layer.digest, ...(pkg.layer.diffId ? { diffId: pkg.layer.diffId } : {}) });
    return layer ? { ...pkg, layer } : pkg;
  }

  closingWarnings(): void {
    if (this.unplaced) {
      this.warnings.push(
        `${this.unplaced} package(s) name their layer by diffID or digest only; kept as metadata.layerDiffID/layerDigest (pass the image's layers to place them)`,
      );
    }
    if (this.noPurl) this.warnings.push(`${this.noPurl} component(s) without a purl skipped`);
  }
}

function finish(
  format: SbomFormat,
  formatVersion: string | undefined,
  producer: string | undefined,
  image: SbomImage | undefined,
  os: OsRelease | undefined,
  packages: Package[],
  ctx: Context,
): DecodedSbom {
  ctx.closingWarnings();
  return {
    format,
    ...(formatVersion ? { formatVersion } : {}),
    ...(producer ? { producer } : {}),
    ...(image ? { image } : {}),
    inventory: { ...(os ? { os } : {}), packages, ownedFiles: [], warnings: ctx.warnings },
  };
}

/** The fields every format feeds in; the package is built from the canonical purl. */
interface Candidate {
  purl: string;
  name?: string;
  group?: string;
  version?: string;
  foundBy?: string;
  path?: string;
  licenses?: string[];
  source?: SourcePackage;
  metadata?: Record<string, string>;
  layer?: LayerHint;
  /** For warnings: `components[3]`. */
  where: string;
}

function comparableName(type: string, name: string): string {
  switch (type) {
    case 'pypi':
      return pep503Name(name);
    case 'npm':
    case 'deb':
    case 'apk':
    case 'composer':
    case 'alpm':
      return name.toLowerCase();
    default:
      return name;
  }
}

/** Builds a Package from a candidate, or pushes a warning and answers undefined. */
function buildPackage(c: Candidate, ctx: Context): Package | undefined {
  let canonical: string;
  let purl: Purl;
  try {
    canonical = canonicalPurl(c.purl);
    purl = parsePurl(canonical);
  } catch (error) {
    ctx.warnings.push(`${c.where}: ${error instanceof Error ? error.message : String(error)}; skipped`);
    return undefined;
  }
  const ecosystem = ecosystemOfPurl(purl);
  if (!ecosystem) {
    ctx.warnings.push(`${c.where}: purl type "${purl.type}" is not one we catalogue (${clip(canonical)}); skipped`);
    return undefined;
  }
  const purlName = packageNameOfPurl(purl);
  let name = purlName;
  if (c.name) {
    const candidates = [c.name];
    if (c.group) candidates.unshift(purl.type === 'maven' ? `${c.group}:${c.name}` : `${c.group}/${c.name}`);
    const match = candidates.find((n) => comparableName(purl.type, n) === comparableName(purl.type, purlName));
    if (match) name = match;
  }
  const version = packageVersionOfPurl(purl) ?? c.version ?? '';
  const epoch = epochOfPurl(purl);
  const arch = purl.qualifiers.arch;
  let source = c.source ?? upstreamOfPurl(parsePurl(c.purl));
  if (!source && (purl.type === 'deb' || purl.type === 'apk')) source = { name };
  if (source?.version !== undefined && (source.version === version || source.version === '')) source = { name: source.name };
  const licenses = c.licenses?.filter((l) => l.trim() !== '');
  const pkg: Package = {
    name,
    version,
    ecosystem,
    purl: canonical,
    foundBy: c.foundBy ?? 'sbom',
    path: (c.path ?? '').replace(/^\/+/, ''),
    ...(source ? { source } : {}),
    ...(arch ? { arch } : {}),
    ...(licenses && licenses.length ? { licenses } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    ...(c.metadata && Object.keys(c.metadata).length ? { metadata: c.metadata } : {}),
  };
  return c.layer ? ctx.withLayer(pkg, c.layer) : pkg;
}

// ---------------------------------------------------------------------------
// CycloneDX

const CDX_VERSIONS = new Set(['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);

function properties(component: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const list = component.properties;
  if (!Array.isArray(list)) return out;
  for (const p of list) {
    const r = rec(p);
    if (!r || typeof r.name !== 'string' || typeof r.value !== 'string') continue;
    const values = out.get(r.name);
    if (values) values.push(r.value);
    else out.set(r.name, [r.value]);
  }
  return out;
}

function cdxLicenses(component: Record<string, unknown>): string[] | undefined {
  if (!Array.isArray(component.licenses)) return undefined;
  const out: string[] = [];
  for (const entry of component.licenses) {
    const r = rec(entry);
    if (!r) continue;
    if (typeof r.expression === 'string') out.push(r.expression);
    const lic = rec(r.license);
    if (lic) {
      const text = str(lic.id) ?? str(lic.name);
      if (text) out.push(text);
    }
  }
  return out;
}

function producerOf(metadata: Record<string, unknown> | undefined): string | undefined {
  const tools = metadata?.tools;
  const list: unknown[] = Array.isArray(tools) ? tools : Array.isArray(rec(tools)?.components) ? (rec(tools)?.components as unknown[]) : [];
  for (const t of list) {
    const name = str(rec(t)?.name)?.toLowerCase();
    if (name) return name;
  }
  return undefined;
}

function decodeCycloneDx(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const specVersion = typeof doc.specVersion === 'string' ? doc.specVersion : undefined;
  if (!specVersion) throw new SbomError('SBOM_INVALID', 'CycloneDX document without specVersion');
  if (!CDX_VERSIONS.has(specVersion)) throw new SbomError('SBOM_UNSUPPORTED', `CycloneDX ${specVersion.slice(0, 10)} is not supported (1.2–1.7 are)`);
  if (doc.components !== undefined && !Array.isArray(doc.components)) throw new SbomError('SBOM_INVALID', 'CycloneDX components is not an array');
  const metadata = rec(doc.metadata);
  const producer = producerOf(metadata);
  const image = cdxImage(rec(metadata?.component));

  // Flatten nested components iteratively (hostile nesting cannot blow the stack).
  const flat: Array<{ c: Record<string, unknown>; where: string }> = [];
  const stack: Array<{ list: unknown[]; where: string }> = [{ list: (doc.components as unknown[] | undefined) ?? [], where: 'components' }];
  while (stack.length) {
    const { list, where } = stack.pop() as { list: unknown[]; where: string };
    list.forEach((item, i) => {
      ctx.count();
      const c = rec(item);
      if (!c) {
        ctx.warnings.push(`${where}[${i}]: not an object; skipped`);
        return;
      }
      flat.push({ c, where: `${where}[${i}]` });
      if (Array.isArray(c.components)) stack.push({ list: c.components, where: `${where}[${i}].components` });
    });
  }

  let os: OsRelease | undefined;
  const packages: Package[] = [];
  const purlByRef = new Map<string, string>();
  for (const { c, where } of flat) {
    const type = str(c.type);
    if (type === 'operating-system') {
      os ??= cdxOs(c);
      continue;
    }
    const rawPurl = str(c.purl);
    if (!rawPurl) {
      if (type !== 'file') ctx.noPurlSeen();
      continue;
    }
    const props = properties(c);
    const pkg = buildPackage(cdxCandidate(c, props, rawPurl, where), ctx);
    if (!pkg) continue;
    packages.push(pkg);
    const ref = str(c['bom-ref']);
    if (ref) purlByRef.set(ref, pkg.purl);
  }
  applyDependencies(packages, cdxDependencies(doc.dependencies, purlByRef, ctx));
  return finish('cyclonedx', specVersion, producer, image, os, packages, ctx);
}

function first(props: Map<string, string[]>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = props.get(n)?.[0];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function cdxCandidate(c: Record<string, unknown>, props: Map<string, string[]>, purl: string, where: string): Candidate {
  // Source package: ours, then Trivy (SrcName + [SrcEpoch:]SrcVersion[-SrcRelease]), then Syft metadata.
  let source: SourcePackage | undefined;
  const ourSource = first(props, PROP.sourceName);
  const trivySource = first(props, 'aquasecurity:trivy:SrcName');
  const syftSource = first(props, 'syft:metadata:source', 'syft:metadata:originPackage');
  if (ourSource) {
    const v = first(props, PROP.sourceVersion);
    source = { name: ourSource, ...(v ? { version: v } : {}) };
  } else if (trivySource) {
    const v = first(props, 'aquasecurity:trivy:SrcVersion');
    const rel = first(props, 'aquasecurity:trivy:SrcRelease');
    const ep = first(props, 'aquasecurity:trivy:SrcEpoch');
    const version = v ? `${ep && ep !== '0' ? `${ep}:` : ''}${v}${rel ? `-${rel}` : ''}` : undefined;
    source = { name: trivySource, ...(version ? { version } : {}) };
  } else if (syftSource) {
    const v = first(props, 'syft:metadata:sourceVersion');
    source = { name: syftSource, ...(v ? { version: v } : {}) };
  }
  const metadata: Record<string, string> = {};
  for (const [k, values] of props) {
    if (k.startsWith(PROP.metadataPrefix) && values[0] !== undefined) metadata[k.slice(PROP.metadataPrefix.length)] = values[0];
  }
  const index = first(props, PROP.layerIndex);
  const layer: LayerHint = {};
  if (index !== undefined && /^\d+$/.test(index)) layer.index = Number(index);
  const digest = first(props, PROP.layerDigest, 'aquasecurity:trivy:LayerDigest');
  if (digest) layer.digest = digest;
  const diffId = first(props, PROP.layerDiffId, 'aquasecurity:trivy:LayerDiffID', 'syft:location:0:layerID');
  if (diffId) layer.diffId = diffId;
  const name = str(c.name);
  const group = str(c.group);
  const version = str(c.version);
  const foundBy = first(props, PROP.foundBy, 'syft:package:foundBy', 'aquasecurity:trivy:PkgType');
  const path = first(props, PROP.path, 'syft:location:0:path', 'aquasecurity:trivy:FilePath');
  const licenses = cdxLicenses(c);
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses ? { licenses } : {}),
    ...(source ? { source } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
    layer,
  };
}

function cdxImage(c: Record<string, unknown> | undefined): SbomImage | undefined {
  if (!c) return undefined;
  const name = str(c.name);
  if (!name) return undefined;
  const props = properties(c);
  const version = str(c.version);
  const platform = first(props, PROP.imagePlatform);
  const parsedPlatform = platform ? parsePlatformString(platform) : undefined;
  const config = first(props, PROP.imageConfigDigest, 'aquasecurity:trivy:ImageID');
  const repoDigest = first(props, 'aquasecurity:trivy:RepoDigest');
  const digest = version && isDigest(version) ? version : repoDigest?.includes('@') ? repoDigest.slice(repoDigest.indexOf('@') + 1) : undefined;
  return {
    name,
    ...(digest && isDigest(digest) ? { digest: digest as Digest } : {}),
    ...(config && isDigest(config) ? { configDigest: config } : {}),
    ...(parsedPlatform ? { platform: parsedPlatform } : {}),
  };
}

function cdxOs(c: Record<string, unknown>): OsRelease | undefined {
  const props = properties(c);
  const id = (first(props, 'syft:distro:id') ?? str(c.name))?.toLowerCase();
  if (!id) return undefined;
  const versionId = first(props, 'syft:distro:versionID') ?? str(c.version);
  const codename = first(props, PROP.osCodename, 'syft:distro:versionCodename');
  const pretty = str(c.description) ?? first(props, 'syft:distro:prettyName');
  const idLikeOurs = first(props, PROP.osIdLike)?.split(/\s+/).filter((s) => s);
  const idLikeSyft = [...props.entries()].filter(([k]) => /^syft:distro:idLike:\d+$/.test(k)).map(([, v]) => v[0] as string);
  const idLike = idLikeOurs?.length ? idLikeOurs : idLikeSyft;
  return {
    id,
    ...(versionId ? { versionId } : {}),
    ...(codename ? { versionCodename: codename } : {}),
    ...(pretty ? { prettyName: pretty } : {}),
    ...(idLike.length ? { idLike } : {}),
    ...(first(props, PROP.osDistroless) === 'true' ? { distroless: true } : {}),
    path: first(props, PROP.osPath) ?? '',
  };
}

/** CycloneDX `dependencies` as purl → purls, for refs that are packages. */
function cdxDependencies(deps: unknown, purlByRef: Map<string, string>, ctx: Context): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!Array.isArray(deps)) return out;
  for (const d of deps) {
    ctx.count();
    const r = rec(d);
    const from = r && typeof r.ref === 'string' ? purlByRef.get(r.ref) : undefined;
    if (!from || !Array.isArray(r?.dependsOn)) continue;
    for (const to of r.dependsOn) {
      const target = typeof to === 'string' ? purlByRef.get(to) : undefined;
      if (target && target !== from) addEdge(out, from, target);
    }
  }
  return out;
}

function addEdge(edges: Map<string, Set<string>>, from: string, to: string): void {
  const set = edges.get(from);
  if (set) set.add(to);
  else edges.set(from, new Set([to]));
}

function applyDependencies(packages: Package[], edges: Map<string, Set<string>>): void {
  if (edges.size === 0) return;
  for (let i = 0; i < packages.length; i++) {
    const p = packages[i] as Package;
    const deps = edges.get(p.purl);
    if (deps?.size) packages[i] = { ...p, dependsOn: [...deps].sort() };
  }
}

// ---------------------------------------------------------------------------
// SPDX 2.2 / 2.3

function decodeSpdx(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const version = doc.spdxVersion as string;
  if (version !== 'SPDX-2.2' && version !== 'SPDX-2.3') throw new SbomError('SBOM_UNSUPPORTED', `${version.slice(0, 20)} is not supported (SPDX-2.2 and SPDX-2.3 JSON are)`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) throw new SbomError('SBOM_INVALID', 'SPDX packages is not an array');
  const creators = rec(doc.creationInfo)?.creators;
  const producer = Array.isArray(creators)
    ? creators.map((c) => (typeof c === 'string' ? /^Tool:\s*([A-Za-z0-9_.]+?)(?:-v?\d.*)?$/.exec(c)?.[1]?.toLowerCase() : undefined)).find((c) => c)
    : undefined;
  const extracted = new Map<string, string>();
  if (Array.isArray(doc.hasExtractedLicensingInfos)) {
    for (const e of doc.hasExtractedLicensingInfos) {
      const r = rec(e);
      const id = str(r?.licenseId);
      const name = str(r?.name) ?? str(r?.extractedText);
      if (id && name) extracted.set(id, name);
    }
  }
  let os: OsRelease | undefined;
  let image: SbomImage | undefined;
  const packages: Package[] = [];
  const purlById = new Map<string, string>();
  ((doc.packages as unknown[] | undefined) ?? []).forEach((item, i) => {
    ctx.count();
    const p = rec(item);
    if (!p) {
      ctx.warnings.push(`packages[${i}]: not an object; skipped`);
      return;
    }
    const purpose = str(p.primaryPackagePurpose)?.toUpperCase().replace('-', '_');
    const notes = spdxNotes(p);
    if (purpose === 'CONTAINER' && !image) {
      image = spdxImage(p, notes);
      return;
    }
    if (purpose === 'OPERATING_SYSTEM' && !os) {
      const id = str(p.name)?.toLowerCase();
      if (id) {
        const codename = notes.get(PROP.osCodename);
        const idLike = notes.get(PROP.osIdLike)?.split(/\s+/).filter((s) => s);
        os = {
          id,
          ...(str(p.versionInfo) ? { versionId: p.versionInfo as string } : {}),
          ...(codename ? { versionCodename: codename } : {}),
          ...(str(p.description) ? { prettyName: p.description as string } : {}),
          ...(idLike?.length ? { idLike } : {}),
          ...(notes.get(PROP.osDistroless) === 'true' ? { distroless: true } : {}),
          path: notes.get(PROP.osPath) ?? '',
        };
      }
      return;
    }
    const purl = spdxPurl(p);
    if (!purl) {
      ctx.noPurlSeen();
      return;
    }
    const pkg = buildPackage(spdxCandidate(p, notes, purl, extracted, `packages[${i}]`), ctx);
    if (!pkg) return;
    packages.push(pkg);
    const id = str(p.SPDXID);
    if (id) purlById.set(id, pkg.purl);
  });
  const edges = new Map<string, Set<string>>();
  if (Array.isArray(doc.relationships)) {
    for (const item of doc.relationships) {
      ctx.count();
      const r = rec(item);
      const type = str(r?.relationshipType);
      const a = typeof r?.spdxElementId === 'string' ? purlById.get(r.spdxElementId) : undefined;
      const b = typeof r?.relatedSpdxElement === 'string' ? purlById.get(r.relatedSpdxElement) : undefined;
      if (!a || !b || a === b) continue;
      if (type === 'DEPENDS_ON') addEdge(edges, a, b);
      else if (type === 'DEPENDENCY_OF') addEdge(edges, b, a);
    }
  }
  applyDependencies(packages, edges);
  return finish('spdx', version, producer, image, os, packages, ctx);
}

function spdxPurl(p: Record<string, unknown>): string | undefined {
  if (!Array.isArray(p.externalRefs)) return undefined;
  for (const ref of p.externalRefs) {
    const r = rec(ref);
    const category = str(r?.referenceCategory)?.toUpperCase().replace('_', '-');
    if (r && category === 'PACKAGE-MANAGER' && r.referenceType === 'purl' && typeof r.referenceLocator === 'string') return r.referenceLocator;
  }
  return undefined;
}

/** `key: value` annotation comments (ours: `portcullis:…: v`; Trivy: `LayerDiffID: sha256:…`). */
function spdxNotes(p: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(p.annotations)) return out;
  for (const a of p.annotations) {
    const comment = str(rec(a)?.comment);
    if (!comment) continue;
    const m = /^([A-Za-z][A-Za-z0-9:._-]*?):\s+(.*)$/s.exec(comment);
    if (m && !out.has(m[1] as string)) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

function spdxImage(p: Record<string, unknown>, notes: Map<string, string>): SbomImage | undefined {
  const name = str(p.name);
  if (!name) return undefined;
  const version = str(p.versionInfo);
  const platform = notes.get(PROP.imagePlatform);
  const parsedPlatform = platform ? parsePlatformString(platform) : undefined;
  const config = notes.get(PROP.imageConfigDigest);
  return {
    name,
    ...(version && isDigest(version) ? { digest: version } : {}),
    ...(config && isDigest(config) ? { configDigest: config } : {}),
    ...(parsedPlatform ? { platform: parsedPlatform } : {}),
  };
}

/** Top-level AND operands of a licence expression (parentheses of a whole operand removed). */
function andOperands(expression: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && expression.startsWith(' AND ', i)) {
      out.push(expression.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  out.push(expression.slice(start));
  return out
    .map((s) => s.trim())
    .map((s) => (/^\(.*\)$/.test(s) && balanced(s.slice(1, -1)) ? s.slice(1, -1).trim() : s))
    .filter((s) => s);
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function spdxCandidate(p: Record<string, unknown>, notes: Map<string, string>, purl: string, extracted: Map<string, string>, where: string): Candidate {
  const declared = str(p.licenseDeclared) ?? str(p.licenseConcluded);
  const licenses =
    declared && declared !== 'NOASSERTION' && declared !== 'NONE'
      ? andOperands(declared).map((op) => extracted.get(op) ?? op)
      : undefined;
  let source: SourcePackage | undefined;
  const ourSource = notes.get(PROP.sourceName);
  if (ourSource) {
    const v = notes.get(PROP.sourceVersion);
    source = { name: ourSource, ...(v ? { version: v } : {}) };
  } else {
    const m = /^built package from:\s*(\S+)(?:\s+(\S+))?/.exec(str(p.sourceInfo) ?? '');
    if (m) source = { name: m[1] as string, ...(m[2] ? { version: m[2] } : {}) };
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of notes) if (k.startsWith(PROP.metadataPrefix)) metadata[k.slice(PROP.metadataPrefix.length)] = v;
  const layer: LayerHint = {};
  const index = notes.get(PROP.layerIndex);
  if (index !== undefined && /^\d+$/.test(index)) layer.index = Number(index);
  const digest = notes.get(PROP.layerDigest) ?? notes.get('LayerDigest');
  if (digest) layer.digest = digest;
  const diffId = notes.get(PROP.layerDiffId) ?? notes.get('LayerDiffID');
  if (diffId) layer.diffId = diffId;
  const name = str(p.name);
  const version = str(p.versionInfo);
  const foundBy = notes.get(PROP.foundBy) ?? notes.get('PkgType');
  const path = notes.get(PROP.path) ?? notes.get('FilePath');
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses ? { licenses } : {}),
    ...(source ? { source } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
    layer,
  };
}

// ---------------------------------------------------------------------------
// Syft native JSON

function decodeSyft(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const schemaVersion = str(rec(doc.schema)?.version);
  const source = rec(doc.source);
  const meta = rec(source?.metadata);
  // Layer order: source.metadata.layers (digest there is the diffID), compressed digests from the manifest.
  const diffIds: string[] = [];
  if (Array.isArray(meta?.layers)) for (const l of meta.layers) diffIds.push(str(rec(l)?.digest) ?? '');
  const manifestDigests = syftManifestLayers(meta?.manifest);
  const layerByDiffId = new Map<string, LayerHint>();
  diffIds.forEach((d, index) => {
    const digest = manifestDigests[index];
    if (d) layerByDiffId.set(d, { index, diffId: d, ...(digest ? { digest } : {}) });
  });
  let image: SbomImage | undefined;
  if (source && (source.type === 'image' || meta?.imageID !== undefined)) {
    const name = str(meta?.userInput) ?? str(source.name);
    const digest = str(meta?.manifestDigest);
    const config = str(meta?.imageID);
    const os = str(meta?.os);
    const arch = str(meta?.architecture);
    const variant = str(meta?.variant);
    if (name) {
      image = {
        name,
        ...(digest && isDigest(digest) ? { digest } : {}),
        ...(config && isDigest(config) ? { configDigest: config } : {}),
        ...(os && arch ? { platform: { os, architecture: arch, ...(variant ? { variant } : {}) } } : {}),
      };
    }
  }
  const distro = rec(doc.distro);
  let os: OsRelease | undefined;
  const distroId = str(distro?.id)?.toLowerCase();
  if (distro && distroId) {
    const versionId = str(distro.versionID);
    const codename = str(distro.versionCodename);
    const pretty = str(distro.prettyName);
    const idLike = Array.isArray(distro.idLike) ? distro.idLike.filter((s): s is string => typeof s === 'string' && s !== '') : [];
    os = {
      id: distroId,
      ...(versionId ? { versionId } : {}),
      ...(codename ? { versionCodename: codename } : {}),
      ...(pretty ? { prettyName: pretty } : {}),
      ...(idLike.length ? { idLike } : {}),
      path: '',
    };
  }
  const packages: Package[] = [];
  const purlById = new Map<string, string>();
  (doc.artifacts as unknown[]).forEach((item, i) => {
    ctx.count();
    const a = rec(item);
    if (!a) {
      ctx.warnings.push(`artifacts[${i}]: not an object; skipped`);
      return;
    }
    const purl = str(a.purl);
    if (!purl) {
      ctx.noPurlSeen();
      return;
    }
    const pkg = buildPackage(syftCandidate(a, purl, layerByDiffId, `artifacts[${i}]`), ctx);
    if (!pkg) return;
    packages.push(pkg);
    const id = str(a.id);
    if (id) purlById.set(id, pkg.purl);
  });
  const edges = new Map<string, Set<string>>();
  if (Array.isArray(doc.artifactRelationships)) {
    for (const item of doc.artifactRelationships) {
      ctx.count();
      const r = rec(item);
      if (r?.type !== 'dependency-of') continue;
      // `parent` is a dependency of `child`.
      const dep = typeof r.parent === 'string' ? purlById.get(r.parent) : undefined;
      const dependent = typeof r.child === 'string' ? purlById.get(r.child) : undefined;
      if (dep && dependent && dep !== dependent) addEdge(edges, dependent, dep);
    }
  }
  applyDependencies(packages, edges);
  return finish('syft-json', schemaVersion, 'syft', image, os, packages, ctx);
}

/** Layer digests of the base64 manifest Syft embeds in `source.metadata.manifest`. */
function syftManifestLayers(manifest: unknown): string[] {
  if (typeof manifest !== 'string' || manifest.length > 8 * 1024 * 1024) return [];
  try {
    const parsed = rec(JSON.parse(Buffer.from(manifest, 'base64').toString('utf8')));
    if (!Array.isArray(parsed?.layers)) return [];
    return parsed.layers.map((l) => str(rec(l)?.digest) ?? '');
  } catch {
    return [];
  }
}

function syftCandidate(a: Record<string, unknown>, purl: string, layers: Map<string, LayerHint>, where: string): Candidate {
  const location = Array.isArray(a.locations) ? rec(a.locations[0]) : undefined;
  const layerId = str(location?.layerID);
  const licenses: string[] = [];
  if (Array.isArray(a.licenses)) {
    for (const l of a.licenses) {
      if (typeof l === 'string') licenses.push(l);
      else {
        const r = rec(l);
        const text = str(r?.spdxExpression) ?? str(r?.value);
        if (text) licenses.push(text);
      }
    }
  }
  const meta = rec(a.metadata);
  const sourceName = str(meta?.source) ?? str(meta?.originPackage);
  const sourceVersion = str(meta?.sourceVersion);
  const name = str(a.name);
  const version = str(a.version);
  const foundBy = str(a.foundBy);
  const path = str(location?.path);
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses.length ? { licenses } : {}),
    ...(sourceName ? { source: { name: sourceName, ...(sourceVersion ? { version: sourceVersion } : {}) } } : {}),
    ...(layerId ? { layer: layers.get(layerId) ?? { diffId: layerId } } : {}),
  };
}

// ---------------------------------------------------------------------------

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
