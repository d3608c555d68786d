/**
 * Pieces shared by the SBOM writers and readers: the image description that
 * travels with an inventory, deterministic package order, and the property
 * names we write into CycloneDX (and read back).
 */
import type { Digest, OsRelease, Package } from '../core/index.js';

/** What an SBOM says about the image it describes. */
export interface SbomImage {
  /** The image name as the user gave it or as resolved (`docker.io/library/alpine:3.19`). */
  readonly name: string;
  /** Digest of the (platform) manifest. */
  readonly digest?: Digest;
  /** Digest of the image config (the image ID). */
  readonly configDigest?: Digest;
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
}

/** Who wrote the document (CycloneDX `metadata.tools`, SPDX `Tool:` creator). */
export interface SbomTool {
  readonly name: string;
  readonly version: string;
}

export const DEFAULT_TOOL: SbomTool = { name: 'portcullis', version: '0.1.0' };

/** CycloneDX property names we write (and read back from our own documents). */
export const PROP = {
  layerDigest: 'portcullis:layer:digest',
  layerDiffId: 'portcullis:layer:diffID',
  layerIndex: 'portcullis:layer:index',
  foundBy: 'portcullis:package:foundBy',
  path: 'portcullis:package:path',
  sourceName: 'portcullis:package:source-name',
  sourceVersion: 'portcullis:package:source-version',
  metadataPrefix: 'portcullis:metadata:',
  imagePlatform: 'portcullis:image:platform',
  imageConfigDigest: 'portcullis:image:configDigest',
  osCodename: 'portcullis:os:versionCodename',
  osIdLike: 'portcullis:os:idLike',
  osDistroless: 'portcullis:os:distroless',
  osPath: 'portcullis:os:path',
  osApkRepositoryRelease: 'portcullis:os:apkRepositoryRelease',
  osContentSets: 'portcullis:os:contentSets',
  /** On the document (CycloneDX metadata property, SPDX document annotation), one per reason: the inventory is incomplete. */
  incomplete: 'portcullis:incomplete',
} as const;

export function platformString(platform: SbomImage['platform']): string | undefined {
  if (!platform) return undefined;
  return [platform.os, platform.architecture, platform.variant].filter((s) => s).join('/');
}

export function parsePlatformString(text: string): SbomImage['platform'] | undefined {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) return undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Packages in a stable order: purl, then path, name, version, layer. */
export function sortPackages(packages: readonly Package[]): Package[] {
  return [...packages].sort(
    (a, b) =>
      compare(a.purl, b.purl) ||
      compare(a.path, b.path) ||
      compare(a.name, b.name) ||
      compare(a.version, b.version) ||
      (a.layer?.index ?? -1) - (b.layer?.index ?? -1),
  );
}

/** OS package ecosystems (their packages hang off the OS in the dependency graph). */
export function isOsEcosystem(ecosystem: string): boolean {
  return ecosystem === 'debian' || ecosystem === 'ubuntu' || ecosystem === 'alpine' || ecosystem === 'rpm';
}

/** Unique references for packages: the purl when unique, `purl (path)` when not, `#n` past that. */
export function uniqueRefs(packages: readonly Package[]): string[] {
  const count = new Map<string, number>();
  for (const p of packages) count.set(p.purl, (count.get(p.purl) ?? 0) + 1);
  const used = new Set<string>();
  // The next number to try per reference, so many copies of one package stay linear, not quadratic.
  const next = new Map<string, number>();
  return packages.map((p) => {
    let ref = (count.get(p.purl) ?? 0) > 1 ? `${p.purl} (${p.path})` : p.purl;
    if (used.has(ref)) {
      let n = next.get(ref) ?? 2;
      while (used.has(`${ref} #${n}`)) n++;
      next.set(ref, n + 1);
      ref = `${ref} #${n}`;
    }
    used.add(ref);
    return ref;
  });
}

const MAX_CONTENT_SETS = 256;

/** Where packages come from (Alpine's other release, Red Hat's content sets) as SBOM properties: name and value. */
export function osSourceProperties(os: OsRelease): [string, string][] {
  const out: [string, string][] = [];
  if (os.apkRepositoryRelease) out.push([PROP.osApkRepositoryRelease, os.apkRepositoryRelease]);
  if (os.contentSets?.length) out.push([PROP.osContentSets, os.contentSets.join(' ')]);
  return out;
}

/**
 * The same fields read back from an SBOM's properties (content sets space separated, or a list in the native
 * JSON); values that are not of their form are dropped.
 */
export function osSourceFromProperties(get: (name: string) => string | readonly string[] | undefined): Pick<OsRelease, 'apkRepositoryRelease' | 'contentSets'> {
  const release = get(PROP.osApkRepositoryRelease);
  const raw = get(PROP.osContentSets) ?? [];
  const sets = (typeof raw === 'string' ? raw.split(/\s+/) : raw).filter((s) => /^[A-Za-z0-9_.-]{1,200}$/.test(s)).slice(0, MAX_CONTENT_SETS);
  return {
    ...(typeof release === 'string' && /^(?:edge|\d+\.\d+)$/.test(release) ? { apkRepositoryRelease: release } : {}),
    ...(sets.length ? { contentSets: sets } : {}),
  };
}
