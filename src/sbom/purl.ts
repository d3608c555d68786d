/**
 * Package URLs, the identity every SBOM format, cataloguer and advisory
 * source here agrees on. Parsing and formatting go through `packageurl-js`
 * (which applies the generic encoding rules and the per-type lower-casing);
 * this file adds the per-type rules of the purl spec
 * (package-url/purl-spec `PURL-TYPES.rst`, `types/*-definition.json`) that the
 * library leaves to callers, and the one canonical form we write:
 *
 * | ecosystem | purl | notes |
 * |---|---|---|
 * | debian / ubuntu | `pkg:deb/debian/NAME@UPSTREAM-REVISION?arch=amd64&distro=debian-12&epoch=1` | name lower-cased; the epoch is the `epoch` qualifier, never in the version (Syft writes `1:…` in the version: read, then moved) |
 * | alpine | `pkg:apk/alpine/NAME@VERSION?arch=x86_64&distro=alpine-3.19.1` | namespace is the os-release ID (alpine, wolfi, chainguard) |
 * | rpm | `pkg:rpm/redhat/NAME@VERSION-RELEASE?arch=x86_64&distro=rhel-9.3&epoch=1` | namespace is the vendor; the name keeps its case |
 * | npm | `pkg:npm/%40scope/name@1.0.0` | scope is the namespace, `@` percent-encoded; lower-cased |
 * | pypi | `pkg:pypi/name@1.0` | PEP 503 name: lower-case, runs of `-_.` become `-` |
 * | go | `pkg:golang/github.com/org/module@v1.2.3`, `pkg:golang/stdlib@1.22.1` | module path split at its last `/`; case kept (module paths are case-sensitive; the spec's lower-casing is pending change, packageurl-js does not apply it either) |
 * | maven | `pkg:maven/GROUP/ARTIFACT@VERSION` | namespace required |
 * | rubygems | `pkg:gem/NAME@VERSION` | |
 * | packagist | `pkg:composer/vendor/name@VERSION` | lower-cased |
 * | cargo | `pkg:cargo/NAME@VERSION` | |
 * | nuget | `pkg:nuget/Name@VERSION` | case kept |
 *
 * Package names as `Package.name` carries them (the native spelling): npm
 * `@scope/name`, Go the module path, Maven `group:artifact`, Composer
 * `vendor/name`, everything else the purl name.
 */
import { PackageURL } from 'packageurl-js';
import type { Ecosystem, OsRelease, SourcePackage } from '../core/index.js';
import { SbomError } from './errors.js';

/** Longest purl we parse; anything longer is hostile or broken. */
export const MAX_PURL_LENGTH = 4096;

export interface Purl {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: Readonly<Record<string, string>>;
  readonly subpath?: string;
}

/** The purl type for each ecosystem. */
export const PURL_TYPES: Readonly<Record<Ecosystem, string>> = {
  alpine: 'apk',
  debian: 'deb',
  ubuntu: 'deb',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'pypi',
  go: 'golang',
  maven: 'maven',
  rubygems: 'gem',
  packagist: 'composer',
  cargo: 'cargo',
  nuget: 'nuget',
};

/** Parses a purl string. Throws SbomError `PURL_INVALID`. */
export function parsePurl(text: string): Purl {
  if (typeof text !== 'string' || text.length === 0) throw new SbomError('PURL_INVALID', 'empty package URL');
  if (text.length > MAX_PURL_LENGTH) throw new SbomError('PURL_INVALID', `package URL longer than ${MAX_PURL_LENGTH} characters`);
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(text);
  } catch (error) {
    throw new SbomError('PURL_INVALID', `invalid package URL "${clip(text)}": ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const qualifiers: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.qualifiers ?? {})) if (typeof v === 'string' && v !== '') qualifiers[k] = v;
  return {
    type: parsed.type,
    ...(parsed.namespace ? { namespace: parsed.namespace } : {}),
    name: parsed.name,
    ...(parsed.version ? { version: parsed.version } : {}),
    qualifiers,
    ...(parsed.subpath ? { subpath: parsed.subpath } : {}),
  };
}

/** parsePurl that answers undefined instead of throwing. */
export function tryParsePurl(text: string): Purl | undefined {
  try {
    return parsePurl(text);
  } catch {
    return undefined;
  }
}

/** Formats a purl (qualifiers sorted, empty ones dropped). Throws SbomError `PURL_INVALID`. */
export function formatPurl(purl: Purl): string {
  const qualifiers: Record<string, string> = {};
  for (const key of Object.keys(purl.qualifiers).sort()) {
    const value = purl.qualifiers[key];
    if (value !== undefined && value !== '') qualifiers[key] = value;
  }
  try {
    return new PackageURL(
      purl.type,
      purl.namespace || undefined,
      purl.name,
      purl.version || undefined,
      Object.keys(qualifiers).length ? qualifiers : undefined,
      purl.subpath || undefined,
    ).toString();
  } catch (error) {
    throw new SbomError('PURL_INVALID', `cannot build a package URL for ${purl.type}/${clip(purl.name)}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** PEP 503 normalised Python project name. */
export function pep503Name(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `debian-12`, `alpine-3.19.1`: the `distro` qualifier for an OS, or undefined. */
export function distroQualifier(os: OsRelease | undefined): string | undefined {
  if (!os || !os.id) return undefined;
  const version = os.versionId ?? os.versionCodename;
  return version ? `${os.id}-${version}` : os.id;
}

const RPM_VENDORS: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  ol: 'oracle',
  amzn: 'amazonlinux',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  sles: 'suse',
};

/** The purl namespace (vendor) of OS packages for an os-release ID. */
export function osVendor(type: 'deb' | 'apk' | 'rpm', os: OsRelease | undefined): string | undefined {
  if (!os || !os.id || os.id === 'unknown') {
    return type === 'deb' ? 'debian' : type === 'apk' ? 'alpine' : undefined;
  }
  if (type === 'rpm') return RPM_VENDORS[os.id] ?? os.id;
  return os.id;
}

/** The fields of a package that decide its purl (a subset of `Package`, plus the OS for distro qualifiers). */
export interface PurlFields {
  readonly ecosystem: Ecosystem;
  /** Native name: `@scope/name`, `group:artifact`, `vendor/name`, a Go module path or `stdlib`. */
  readonly name: string;
  /** As the ecosystem writes it (dpkg/rpm may carry `epoch:`; it goes to the `epoch` qualifier). */
  readonly version: string;
  readonly arch?: string;
  readonly epoch?: number;
  /** The image's OS: OS packages take their vendor namespace and `distro` qualifier from it. */
  readonly os?: OsRelease;
  /** Overrides the vendor namespace of OS packages (`debian`, `ubuntu`, `alpine`, `redhat`…). */
  readonly namespace?: string;
  /** Maven `groupId`/`artifactId` when the name is not `group:artifact`. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Splits `E:rest` (dpkg/rpm epoch) off a version. */
export function splitEpoch(version: string): { epoch?: number; version: string } {
  const m = /^(\d+):(.+)$/.exec(version);
  if (!m) return { version };
  return { epoch: Number(m[1]), version: m[2] as string };
}

/**
 * The canonical purl of a package, as cataloguers should write it and SBOM
 * readers compare it. Undefined when the fields cannot make a valid purl
 * (empty name, a Maven name without a group, an invalid Go version…).
 */
export function purlFor(fields: PurlFields): string | undefined {
  try {
    const parts = purlPartsFor(fields);
    return parts ? formatPurl(parts) : undefined;
  } catch {
    return undefined;
  }
}

function purlPartsFor(f: PurlFields): Purl | undefined {
  const name = f.name.trim();
  const version = f.version.trim();
  if (!name) return undefined;
  const v = version || undefined;
  switch (f.ecosystem) {
    case 'debian':
    case 'ubuntu':
    case 'rpm':
    case 'alpine': {
      const type = PURL_TYPES[f.ecosystem] as 'deb' | 'rpm' | 'apk';
      const split: { epoch?: number; version?: string } = type === 'apk' || !v ? { version: v } : splitEpoch(v);
      const epoch = f.epoch ?? split.epoch;
      const namespace = f.namespace ?? (type === 'deb' && !f.os ? f.ecosystem : osVendor(type, f.os));
      const qualifiers: Record<string, string> = {};
      if (f.arch) qualifiers.arch = f.arch;
      const distro = distroQualifier(f.os);
      if (distro) qualifiers.distro = distro;
      if (epoch !== undefined && type !== 'apk') qualifiers.epoch = String(epoch);
      return {
        type,
        ...(namespace ? { namespace } : {}),
        name: type === 'rpm' ? name : name.toLowerCase(),
        ...(split.version ? { version: split.version } : {}),
        qualifiers,
      };
    }
    case 'npm': {
      if (name.startsWith('@')) {
        const slash = name.indexOf('/');
        if (slash <= 1 || slash === name.length - 1) return undefined;
        return { type: 'npm', namespace: name.slice(0, slash), name: name.slice(slash + 1), ...(v ? { version: v } : {}), qualifiers: {} };
      }
      return { type: 'npm', name, ...(v ? { version: v } : {}), qualifiers: {} };
    }
    case 'pypi':
      return { type: 'pypi', name: pep503Name(name), ...(v ? { version: v } : {}), qualifiers: {} };
    case 'go': {
      if (name === 'stdlib') {
        const sv = v?.replace(/^go/, '').replace(/^v/, '');
        return { type: 'golang', name: 'stdlib', ...(sv ? { version: sv } : {}), qualifiers: {} };
      }
      const slash = name.lastIndexOf('/');
      if (slash === name.length - 1) return undefined;
      return slash < 0
        ? { type: 'golang', name, ...(v ? { version: v } : {}), qualifiers: {} }
        : { type: 'golang', namespace: name.slice(0, slash), name: name.slice(slash + 1), ...(v ? { version: v } : {}), qualifiers: {} };
    }
    case 'maven': {
      let group = f.metadata?.groupId;
      let artifact = f.metadata?.artifactId;
      if (!group || !artifact) {
        const colon = name.indexOf(':');
        if (colon <= 0 || colon === name.length - 1) return undefined;
        group = name.slice(0, colon);
        artifact = name.slice(colon + 1);
      }
      return { type: 'maven', namespace: group, name: artifact, ...(v ? { version: v } : {}), qualifiers: {} };
    }
    case 'packagist': {
      const slash = name.indexOf('/');
      return slash > 0
        ? { type: 'composer', namespace: name.slice(0, slash), name: name.slice(slash + 1), ...(v ? { version: v } : {}), qualifiers: {} }
        : { type: 'composer', name, ...(v ? { version: v } : {}), qualifiers: {} };
    }
    case 'rubygems':
    case 'cargo':
    case 'nuget':
      return { type: PURL_TYPES[f.ecosystem], name, ...(v ? { version: v } : {}), qualifiers: {} };
    default:
      return undefined;
  }
}

/**
 * The ecosystem of a purl: the type, and for `deb` the vendor (namespace, or
 * the distro qualifier when there is no namespace). Undefined for types we do
 * not catalogue (generic, oci, github…).
 */
export function ecosystemOfPurl(purl: Purl): Ecosystem | undefined {
  switch (purl.type) {
    case 'deb': {
      const vendor = (purl.namespace ?? purl.qualifiers.distro ?? '').toLowerCase();
      return vendor.startsWith('ubuntu') ? 'ubuntu' : 'debian';
    }
    case 'apk':
      return 'alpine';
    case 'rpm':
      return 'rpm';
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'pypi';
    case 'golang':
      return 'go';
    case 'maven':
      return 'maven';
    case 'gem':
      return 'rubygems';
    case 'composer':
      return 'packagist';
    case 'cargo':
      return 'cargo';
    case 'nuget':
      return 'nuget';
    default:
      return undefined;
  }
}

/** `Package.name` spelled from a purl (see the module header). */
export function packageNameOfPurl(purl: Purl): string {
  switch (purl.type) {
    case 'npm':
    case 'golang':
    case 'composer':
      return purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
    case 'maven':
      return purl.namespace ? `${purl.namespace}:${purl.name}` : purl.name;
    default:
      return purl.name;
  }
}

/** `Package.version` from a purl: dpkg/rpm `epoch:version` when the epoch qualifier is there; Go stdlib without `go`/`v`. */
export function packageVersionOfPurl(purl: Purl): string | undefined {
  const v = purl.version;
  if (v === undefined) return undefined;
  if ((purl.type === 'deb' || purl.type === 'rpm') && purl.qualifiers.epoch !== undefined && !/^\d+:/.test(v)) {
    return `${purl.qualifiers.epoch}:${v}`;
  }
  if (purl.type === 'golang' && !purl.namespace && purl.name === 'stdlib') return v.replace(/^go/, '').replace(/^v/, '');
  return v;
}

/** The epoch a purl records (qualifier, or a `N:` version prefix), if any. */
export function epochOfPurl(purl: Purl): number | undefined {
  if (purl.type !== 'deb' && purl.type !== 'rpm') return undefined;
  const q = purl.qualifiers.epoch;
  if (q !== undefined && /^\d+$/.test(q)) return Number(q);
  return purl.version !== undefined ? splitEpoch(purl.version).epoch : undefined;
}

/** Syft's `upstream` qualifier (`name` or `name@version`) as a source package. */
export function upstreamOfPurl(purl: Purl): SourcePackage | undefined {
  const up = purl.qualifiers.upstream;
  if (!up) return undefined;
  const at = up.indexOf('@');
  if (at === 0) return undefined;
  if (at < 0) return { name: up };
  const version = up.slice(at + 1);
  return version ? { name: up.slice(0, at), version } : { name: up.slice(0, at) };
}

/** Qualifiers other tools add that say nothing about identity (`upstream` becomes `Package.source`). */
const DROPPED_QUALIFIERS = new Set(['upstream', 'package-id']);

/**
 * The canonical form of a purl written by any tool, so the same package
 * compares equal whoever wrote it:
 * - dpkg/rpm `epoch:` moved from the version to the `epoch` qualifier;
 * - Syft's `upstream` qualifier dropped (it is `Package.source`);
 * - apk `distro=3.19.1` (Trivy) prefixed with the vendor: `alpine-3.19.1`;
 * - Debian `distro=debian-12.5` (Trivy, from /etc/debian_version) cut to the
 *   os-release VERSION_ID form `debian-12`;
 * - pypi names PEP 503 normalised; Go stdlib versions without `go`/`v`.
 * Throws SbomError `PURL_INVALID`.
 */
export function canonicalPurl(text: string): string {
  const p = parsePurl(text);
  const qualifiers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.qualifiers)) if (!DROPPED_QUALIFIERS.has(k)) qualifiers[k] = v;
  let version = p.version;
  let name = p.name;
  if ((p.type === 'deb' || p.type === 'rpm') && version) {
    const split = splitEpoch(version);
    if (split.epoch !== undefined) {
      version = split.version;
      if (qualifiers.epoch === undefined) qualifiers.epoch = String(split.epoch);
    }
  }
  const distro = qualifiers.distro;
  if (distro !== undefined) {
    if (p.type === 'apk' && /^\d/.test(distro) && p.namespace) qualifiers.distro = `${p.namespace}-${distro}`;
    const deb = /^debian-(\d+)\.\d+(?:\.\d+)?$/.exec(distro);
    if (p.type === 'deb' && deb) qualifiers.distro = `debian-${deb[1]}`;
  }
  if (p.type === 'pypi') name = pep503Name(name);
  if (p.type === 'golang' && !p.namespace && name === 'stdlib' && version) version = version.replace(/^go/, '').replace(/^v/, '');
  return formatPurl({ ...p, name, ...(version ? { version } : {}), qualifiers });
}

/** canonicalPurl that answers undefined instead of throwing. */
export function tryCanonicalPurl(text: string): string | undefined {
  try {
    return canonicalPurl(text);
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
