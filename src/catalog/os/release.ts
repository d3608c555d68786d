/**
 * Which distribution an image is, from its release files, in this order:
 * `etc/os-release`, `usr/lib/os-release` (freedesktop os-release(5)), then
 * the distribution-specific files `etc/alpine-release`, `etc/debian_version`,
 * the Red Hat family's `etc/{redhat,centos,rocky,almalinux,fedora,oracle}-release`,
 * Amazon's `etc/system-release`, and `etc/lsb-release`.
 *
 * An os-release without `ID` (or with the placeholder `ID=unknown`) is not an
 * answer; one without `VERSION_ID` takes the version from the
 * distribution-specific file when there is one, keeps `VERSION_CODENAME`
 * alone when present (Debian testing/sid), and is otherwise not an answer.
 *
 * Distroless (Google's Debian-based images): dpkg's `var/lib/dpkg/status.d/`
 * present and neither `bin/sh` nor `bin/busybox`; or an os-release whose
 * PRETTY_NAME is "Distroless".
 *
 * Where packages come from when os-release does not say it all (release-repos.ts):
 * Alpine's `etc/apk/repositories` naming another release (kept, with a
 * warning), Red Hat's content manifests (their content sets).
 */
import type { FileView, FileWant, OsRelease } from '../../core/index.js';
import { alpineBranch, APK_REPOSITORIES_PATH, apkRepositoriesRelease, CONTENT_MANIFESTS_DIR, contentManifestSets } from './release-repos.js';

export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;

const RED_HAT_FAMILY_PATHS = [
  'etc/redhat-release',
  'etc/centos-release',
  'etc/rocky-release',
  'etc/almalinux-release',
  'etc/fedora-release',
  'etc/oracle-release',
  'etc/system-release',
] as const;

const CONTENT_PATHS = new Set<string>([
  ...OS_RELEASE_PATHS,
  'etc/alpine-release',
  'etc/debian_version',
  ...RED_HAT_FAMILY_PATHS,
  'etc/lsb-release',
  APK_REPOSITORIES_PATH,
]);

const SHELL_PATHS = ['bin/sh', 'usr/bin/sh', 'bin/busybox', 'usr/bin/busybox'] as const;
const SHELL_SET = new Set<string>(SHELL_PATHS);
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';

/** Release files are small; anything larger is not one. */
const MAX_RELEASE_BYTES = 64 * 1024;
/** A content manifest may list the image's contents too; the content sets come first. */
const MAX_CONTENT_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONTENT_MANIFESTS = 64;

/** The walk selector for OS detection: release files with content, shell and status.d markers as metadata. */
export function wantsReleaseFile(path: string): boolean | FileWant {
  if (CONTENT_PATHS.has(path)) return { content: true, maxBytes: MAX_RELEASE_BYTES };
  if (path.startsWith(CONTENT_MANIFESTS_DIR) && path.endsWith('.json') && !path.slice(CONTENT_MANIFESTS_DIR.length).includes('/')) {
    return { content: true, maxBytes: MAX_CONTENT_MANIFEST_BYTES };
  }
  if (SHELL_SET.has(path) || path.startsWith(DPKG_STATUS_D)) return { content: false };
  return false;
}

/** Parses os-release(5) / lsb-release syntax: KEY=value with optional shell quoting; comments and junk lines ignored. */
export function parseKeyValueFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, unquote(m[2]!.trim()));
  }
  return out;
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
    const inner = value.slice(1, -1);
    return q === '"' ? inner.replace(/\\([\\"$`])/g, '$1') : inner;
  }
  return value;
}

export interface DetectOsResult {
  readonly os?: OsRelease;
  readonly warnings: readonly string[];
}

/** What detection needs from an image; `FileView` provides it, tests can too. */
export interface ReleaseFiles {
  /** Text of a release file, or undefined when absent/not selected. */
  read(path: string): string | undefined;
  /** Whether a path exists in the image (any kind). */
  exists(path: string): boolean;
  /** Whether any path under `prefix` exists. */
  existsUnder(prefix: string): boolean;
  /** Paths directly under `prefix` (sorted); absent: none are known. */
  listUnder?(prefix: string): readonly string[];
}

export function releaseFilesFromView(view: FileView): ReleaseFiles {
  // Existence is decided on the entries themselves: a symlink such as
  // `bin/sh -> dash` counts even when its target was not selected.
  let paths: Set<string> | undefined;
  const all = (): Set<string> => (paths ??= new Set([...view.files()].map((f) => f.path)));
  return {
    read(path) {
      const file = view.get(path);
      if (!file || file.kind === 'directory' || !file.content) return undefined;
      return file.content.toString('utf8');
    },
    exists: (path) => all().has(path) || view.get(path) !== undefined,
    existsUnder(prefix) {
      for (const p of all()) if (p.startsWith(prefix) && p.length > prefix.length) return true;
      return false;
    },
    listUnder(prefix) {
      const out: string[] = [];
      for (const p of all()) if (p.startsWith(prefix) && p.length > prefix.length && !p.slice(prefix.length).includes('/')) out.push(p);
      return out.sort();
    },
  };
}

export function detectOs(view: FileView): DetectOsResult {
  return detectOsFrom(releaseFilesFromView(view));
}

interface Partial {
  id: string;
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
  idLike?: string[];
  path: string;
}

/** Detection over abstract release files (see `ReleaseFiles`). */
export function detectOsFrom(files: ReleaseFiles): DetectOsResult {
  const warnings: string[] = [];
  let found: Partial | undefined;
  let osReleaseFallback: Partial | undefined;

  for (const path of OS_RELEASE_PATHS) {
    const text = files.read(path);
    if (text === undefined) continue;
    const kv = parseKeyValueFile(text);
    const id = kv.get('ID')?.toLowerCase();
    if (!id || id === 'unknown') {
      warnings.push(`${path}: no usable ID`);
      continue;
    }
    const candidate: Partial = { id, path };
    const versionId = kv.get('VERSION_ID');
    if (versionId) candidate.versionId = versionId;
    const codename = kv.get('VERSION_CODENAME') ?? kv.get('UBUNTU_CODENAME');
    if (codename) candidate.versionCodename = codename;
    const pretty = kv.get('PRETTY_NAME');
    if (pretty) candidate.prettyName = pretty;
    const idLike = kv.get('ID_LIKE');
    if (idLike) candidate.idLike = idLike.split(/\s+/).filter(Boolean).map((s) => s.toLowerCase());
    if (candidate.versionId) {
      found = candidate;
      break;
    }
    osReleaseFallback ??= candidate;
  }

  if (!found) {
    const specific = distributionSpecific(files, warnings);
    if (osReleaseFallback) {
      if (specific && specific.id === osReleaseFallback.id && specific.versionId) {
        found = { ...osReleaseFallback, versionId: specific.versionId };
      } else if (osReleaseFallback.versionCodename) {
        found = osReleaseFallback;
      } else if (specific) {
        found = specific;
      } else {
        warnings.push(`${osReleaseFallback.path}: no VERSION_ID`);
      }
    } else {
      found = specific;
    }
  }
  if (!found) return { warnings };

  const hasShell = SHELL_PATHS.some((p) => files.exists(p));
  const distroless =
    (files.existsUnder(DPKG_STATUS_D) && !hasShell) || (found.prettyName?.toLowerCase().startsWith('distroless') ?? false);
  const apkRepositoryRelease = found.id === 'alpine' ? otherApkRelease(files, found, warnings) : undefined;
  const contentSets = readContentSets(files, warnings);
  const os: OsRelease = {
    id: found.id,
    ...(found.versionId ? { versionId: found.versionId } : {}),
    ...(found.versionCodename ? { versionCodename: found.versionCodename } : {}),
    ...(found.prettyName ? { prettyName: found.prettyName } : {}),
    ...(found.idLike ? { idLike: found.idLike } : {}),
    ...(distroless ? { distroless: true } : {}),
    ...(apkRepositoryRelease ? { apkRepositoryRelease } : {}),
    ...(contentSets.length > 0 ? { contentSets } : {}),
    path: found.path,
  };
  return { os, warnings };
}

/** The release `etc/apk/repositories` installs from when it is not the os-release one (with a warning saying so). */
function otherApkRelease(files: ReleaseFiles, found: Partial, warnings: string[]): string | undefined {
  const text = files.read(APK_REPOSITORIES_PATH);
  if (text === undefined) return undefined;
  const fromRepos = apkRepositoriesRelease(text);
  const own = alpineBranch(found.versionId, found.prettyName);
  if (fromRepos === undefined || fromRepos === own) return undefined;
  warnings.push(
    `${APK_REPOSITORIES_PATH} installs from Alpine ${fromRepos}, not ${own ?? 'the os-release version'} (${found.path}): packages are matched against the advisories of ${fromRepos}, as Trivy does`,
  );
  return fromRepos;
}

/** Every content set the image's content manifests list, in order, once. */
function readContentSets(files: ReleaseFiles, warnings: string[]): string[] {
  const paths = files.listUnder?.(CONTENT_MANIFESTS_DIR) ?? [];
  const out = new Set<string>();
  for (const path of paths.slice(0, MAX_CONTENT_MANIFESTS)) {
    if (!path.endsWith('.json')) continue;
    const text = files.read(path);
    if (text === undefined) continue;
    const sets = contentManifestSets(text);
    if (sets === undefined) warnings.push(`${path}: not a content manifest (no content_sets list), ignored`);
    else for (const s of sets) out.add(s);
  }
  return [...out];
}

const RED_HAT_NAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^red hat enterprise linux/i, 'rhel'],
  [/^red hat linux/i, 'rhel'],
  [/^centos/i, 'centos'],
  [/^rocky linux/i, 'rocky'],
  [/^almalinux/i, 'almalinux'],
  [/^fedora/i, 'fedora'],
  [/^oracle linux/i, 'ol'],
  [/^amazon linux/i, 'amzn'],
];

/** `<Name> release <version> [(<codename>)]` → id and version. */
export function parseRedHatRelease(text: string): { id: string; versionId: string; prettyName: string } | undefined {
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  const m = /^(.*?)\s+release\s+(\S+)/i.exec(line);
  if (!m) return undefined;
  const name = m[1]!;
  const hit = RED_HAT_NAMES.find(([re]) => re.test(name));
  if (!hit) return undefined;
  return { id: hit[1], versionId: m[2]!, prettyName: line };
}

function distributionSpecific(files: ReleaseFiles, warnings: string[]): Partial | undefined {
  const alpine = files.read('etc/alpine-release');
  if (alpine !== undefined) {
    const v = alpine.trim().split(/\s+/)[0];
    if (v && /^\d/.test(v)) return { id: 'alpine', versionId: v, path: 'etc/alpine-release' };
    warnings.push('etc/alpine-release: no version');
  }
  const debian = files.read('etc/debian_version');
  if (debian !== undefined) {
    const v = debian.trim();
    if (/^\d+(\.\d+)*$/.test(v)) {
      // Debian ≥7 names the major release (`12`); older ones used `6.0`.
      const major = Number(v.split('.')[0]);
      return { id: 'debian', versionId: major >= 7 ? String(major) : v, path: 'etc/debian_version' };
    }
    if (/^[a-z]+\/sid$/.test(v)) return { id: 'debian', versionCodename: v.slice(0, v.indexOf('/')), path: 'etc/debian_version' };
    if (v !== '') warnings.push(`etc/debian_version: unrecognised "${v.slice(0, 40)}"`);
  }
  for (const path of RED_HAT_FAMILY_PATHS) {
    const text = files.read(path);
    if (text === undefined) continue;
    const parsed = parseRedHatRelease(text);
    if (parsed) return { ...parsed, path };
    if (text.trim() !== '') warnings.push(`${path}: unrecognised release line`);
  }
  const lsb = files.read('etc/lsb-release');
  if (lsb !== undefined) {
    const kv = parseKeyValueFile(lsb);
    const id = kv.get('DISTRIB_ID')?.toLowerCase();
    const versionId = kv.get('DISTRIB_RELEASE');
    if (id && versionId) {
      const out: Partial = { id, versionId, path: 'etc/lsb-release' };
      const codename = kv.get('DISTRIB_CODENAME');
      if (codename) out.versionCodename = codename;
      const pretty = kv.get('DISTRIB_DESCRIPTION');
      if (pretty) out.prettyName = pretty;
      return out;
    }
    warnings.push('etc/lsb-release: no DISTRIB_ID/DISTRIB_RELEASE');
  }
  return undefined;
}

/** `debian-12`, `alpine-3.19.1`: the purl `distro` qualifier value, or undefined. */
export function distroQualifier(os: OsRelease | undefined): string | undefined {
  if (!os) return undefined;
  const version = os.versionId ?? os.versionCodename;
  return version ? `${os.id}-${version}` : os.id;
}
