/**
 * The native inventory JSON: the `Inventory` as it is, for tools of our own
 * and for `decode` to read back without loss.
 *
 * ```json
 * {
 *   "schemaVersion": 1,
 *   "generator": { "name": "portcullis", "version": "0.1.0" },
 *   "image": { "name": "docker.io/library/debian:12", "digest": "sha256:…", "configDigest": "sha256:…",
 *              "platform": { "os": "linux", "architecture": "amd64" } },
 *   "os": { "id": "debian", "versionId": "12", "versionCodename": "bookworm", "path": "etc/os-release" },
 *   "packages": [
 *     { "name": "libc6", "version": "2.36-9+deb12u4", "ecosystem": "debian",
 *       "purl": "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12",
 *       "foundBy": "dpkg", "path": "var/lib/dpkg/status",
 *       "layer": { "index": 0, "digest": "sha256:…", "diffId": "sha256:…" },
 *       "source": { "name": "glibc" }, "arch": "amd64", "licenses": ["GPL-2.0-only"] }
 *   ],
 *   "warnings": [],
 *   "incomplete": ["rpm: var/lib/rpm/Packages: not an rpm database …"]
 * }
 * ```
 * `incomplete` is written only when the inventory is incomplete (one reason
 * per thing a cataloguer could not read; core/inventory.ts) and read back, so
 * scanning the document later is incomplete too.
 * Every field of `Package` and `OsRelease` (core/inventory.ts) under its own
 * name; packages sorted by purl, path, name, version. `ownedFiles` is not
 * written (it is scan-time data). A reader must reject a `schemaVersion` it
 * does not know.
 */
import { isDigest, type LayerOrigin, type Ecosystem, type Inventory, type OsRelease, type Package } from '../core/index.js';
import { DEFAULT_TOOL, osSourceFromProperties, PROP, type SbomImage, type SbomTool, sortPackages } from './common.js';
import { SbomError } from './errors.js';
import { PURL_TYPES, tryParsePurl } from './purl.js';

export const NATIVE_SCHEMA_VERSION = 1;

export interface NativeInventoryDocument {
  readonly schemaVersion: 1;
  readonly generator?: SbomTool;
  readonly image?: SbomImage;
  readonly os?: OsRelease;
  readonly packages: readonly Package[];
  readonly warnings?: readonly string[];
  readonly incomplete?: readonly string[];
}

export interface NativeJsonOptions {
  readonly image?: SbomImage;
  readonly tool?: SbomTool;
  /** JSON indentation (default 2; 0 for compact). */
  readonly space?: number;
}

export function buildNativeDocument(inventory: Inventory, options: NativeJsonOptions = {}): NativeInventoryDocument {
  return {
    schemaVersion: 1,
    generator: options.tool ?? DEFAULT_TOOL,
    ...(options.image ? { image: options.image } : {}),
    ...(inventory.os ? { os: inventory.os } : {}),
    packages: sortPackages(inventory.packages).map(orderedPackage),
    warnings: inventory.warnings,
    ...(inventory.incomplete?.length ? { incomplete: inventory.incomplete } : {}),
  };
}

export function toInventoryJson(inventory: Inventory, options: NativeJsonOptions = {}): string {
  return JSON.stringify(buildNativeDocument(inventory, options), null, options.space ?? 2);
}

/** A package with its keys in the documented order (stable output). */
function orderedPackage(p: Package): Package {
  return {
    name: p.name,
    version: p.version,
    ecosystem: p.ecosystem,
    purl: p.purl,
    foundBy: p.foundBy,
    path: p.path,
    ...(p.layer ? { layer: p.layer } : {}),
    ...(p.source ? { source: p.source } : {}),
    ...(p.arch !== undefined ? { arch: p.arch } : {}),
    ...(p.licenses ? { licenses: p.licenses } : {}),
    ...(p.epoch !== undefined ? { epoch: p.epoch } : {}),
    ...(p.metadata ? { metadata: p.metadata } : {}),
    ...(p.dependsOn ? { dependsOn: p.dependsOn } : {}),
  };
}

/** True when a parsed JSON value looks like our native document (any schema version). */
export function isNativeDocument(value: Record<string, unknown>): boolean {
  return 'schemaVersion' in value && Array.isArray(value.packages) && !('bomFormat' in value) && !('spdxVersion' in value);
}

const ECOSYSTEMS = new Set(Object.keys(PURL_TYPES));

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

function layerOf(v: unknown): LayerOrigin | undefined {
  const r = rec(v);
  if (!r || typeof r.index !== 'number' || !Number.isInteger(r.index) || r.index < 0 || typeof r.digest !== 'string' || !isDigest(r.digest)) return undefined;
  const diffId = typeof r.diffId === 'string' && isDigest(r.diffId) ? r.diffId : undefined;
  return { index: r.index, digest: r.digest, ...(diffId ? { diffId } : {}) };
}

export function osReleaseOf(v: unknown): OsRelease | undefined {
  const r = rec(v);
  const id = str(r?.id);
  if (!r || !id) return undefined;
  const idLike = strings(r.idLike);
  return {
    id,
    ...(str(r.versionId) ? { versionId: r.versionId as string } : {}),
    ...(str(r.versionCodename) ? { versionCodename: r.versionCodename as string } : {}),
    ...(str(r.prettyName) ? { prettyName: r.prettyName as string } : {}),
    ...(idLike?.length ? { idLike } : {}),
    ...(r.distroless === true ? { distroless: true } : {}),
    ...osSourceFromProperties((name) =>
      name === PROP.osApkRepositoryRelease ? str(r.apkRepositoryRelease) : name === PROP.osContentSets ? strings(r.contentSets) : undefined,
    ),
    path: str(r.path) ?? '',
  };
}

export function imageOf(v: unknown): SbomImage | undefined {
  const r = rec(v);
  const name = str(r?.name);
  if (!r || !name) return undefined;
  const p = rec(r.platform);
  const platform = p && str(p.os) && str(p.architecture)
    ? { os: p.os as string, architecture: p.architecture as string, ...(str(p.variant) ? { variant: p.variant as string } : {}) }
    : undefined;
  return {
    name,
    ...(typeof r.digest === 'string' && isDigest(r.digest) ? { digest: r.digest } : {}),
    ...(typeof r.configDigest === 'string' && isDigest(r.configDigest) ? { configDigest: r.configDigest } : {}),
    ...(platform ? { platform } : {}),
  };
}

/** One package of a native document, checked field by field; a reason string when it is unusable. */
function packageOf(v: unknown): Package | string {
  const r = rec(v);
  if (!r) return 'not an object';
  const name = str(r.name);
  const version = typeof r.version === 'string' ? r.version : undefined;
  const ecosystem = str(r.ecosystem);
  const purl = str(r.purl);
  if (!name || version === undefined || !ecosystem || !purl) return 'name, version, ecosystem and purl are required';
  if (!ECOSYSTEMS.has(ecosystem)) return `unknown ecosystem "${ecosystem.slice(0, 40)}"`;
  if (!tryParsePurl(purl)) return `invalid purl "${purl.slice(0, 80)}"`;
  const layer = layerOf(r.layer);
  const src = rec(r.source);
  const source = src && str(src.name) ? { name: src.name as string, ...(str(src.version) ? { version: src.version as string } : {}) } : undefined;
  const licenses = strings(r.licenses);
  const dependsOn = strings(r.dependsOn);
  const meta = rec(r.metadata);
  const metadata = meta && Object.values(meta).every((x) => typeof x === 'string') ? (meta as Record<string, string>) : undefined;
  return {
    name,
    version,
    ecosystem: ecosystem as Ecosystem,
    purl,
    foundBy: str(r.foundBy) ?? 'unknown',
    path: typeof r.path === 'string' ? r.path : '',
    ...(layer ? { layer } : {}),
    ...(source ? { source } : {}),
    ...(str(r.arch) ? { arch: r.arch as string } : {}),
    ...(licenses ? { licenses } : {}),
    ...(typeof r.epoch === 'number' && Number.isInteger(r.epoch) && r.epoch >= 0 ? { epoch: r.epoch } : {}),
    ...(metadata ? { metadata } : {}),
    ...(dependsOn ? { dependsOn } : {}),
  };
}

/** Reads a parsed native document. Throws SbomError `SBOM_UNSUPPORTED` for another schema version, `TOO_LARGE` past `maxPackages`. */
export function readNativeDocument(
  doc: Record<string, unknown>,
  maxPackages: number,
): { image?: SbomImage; os?: OsRelease; packages: Package[]; warnings: string[]; incomplete: string[] } {
  if (doc.schemaVersion !== NATIVE_SCHEMA_VERSION) {
    throw new SbomError('SBOM_UNSUPPORTED', `portcullis inventory schemaVersion ${JSON.stringify(doc.schemaVersion)?.slice(0, 20)} is not supported (expected 1)`);
  }
  const list = doc.packages as unknown[];
  if (list.length > maxPackages) throw new SbomError('TOO_LARGE', `inventory has ${list.length} packages, more than the ${maxPackages} limit`);
  const warnings: string[] = [];
  const packages: Package[] = [];
  list.forEach((item, i) => {
    const p = packageOf(item);
    if (typeof p === 'string') warnings.push(`packages[${i}]: ${p}; skipped`);
    else packages.push(p);
  });
  const image = imageOf(doc.image);
  const os = osReleaseOf(doc.os);
  for (const w of strings(doc.warnings) ?? []) warnings.push(w);
  const incomplete = strings(doc.incomplete) ?? [];
  if (doc.incomplete !== undefined && !strings(doc.incomplete)) incomplete.push('the document\'s "incomplete" is not a list of strings');
  return { ...(image ? { image } : {}), ...(os ? { os } : {}), packages, warnings, incomplete: [...incomplete] };
}
