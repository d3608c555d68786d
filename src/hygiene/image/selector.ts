/**
 * What the image checks want from the merged walk, by path: shells and
 * package managers (metadata), package-manager caches (metadata), database
 * files and the contents of VOLUME paths (metadata), and the small files
 * that say which language runtime is installed outside the package manager
 * (content). `combineSelectors` merges it with the cataloguers' selector so
 * one walk serves both.
 */
import { type EntryInfo, type FileSelector, type FileWant, type ImageConfig, maxOf } from '../../core/index.js';

const META: FileWant = { content: false };

export const SHELLS: readonly string[] = [
  'bin/sh', 'bin/bash', 'bin/ash', 'bin/dash', 'bin/zsh', 'bin/ksh', 'bin/mksh', 'bin/busybox',
  'usr/bin/sh', 'usr/bin/bash', 'usr/bin/ash', 'usr/bin/dash', 'usr/bin/zsh', 'usr/bin/ksh', 'usr/bin/busybox',
];

/** OS package managers by the program that proves them, with the name to show. */
export const PACKAGE_MANAGERS: ReadonlyArray<{ readonly path: string; readonly name: string }> = [
  { path: 'usr/bin/apt-get', name: 'apt' },
  { path: 'usr/bin/apt', name: 'apt' },
  { path: 'usr/bin/dpkg', name: 'dpkg' },
  { path: 'sbin/apk', name: 'apk' },
  { path: 'usr/sbin/apk', name: 'apk' },
  { path: 'usr/bin/apk', name: 'apk' },
  { path: 'usr/bin/yum', name: 'yum' },
  { path: 'usr/bin/dnf', name: 'dnf' },
  { path: 'usr/bin/dnf5', name: 'dnf' },
  { path: 'usr/bin/microdnf', name: 'microdnf' },
  { path: 'usr/bin/rpm', name: 'rpm' },
  { path: 'bin/rpm', name: 'rpm' },
  { path: 'usr/bin/zypper', name: 'zypper' },
];

/** Package-manager caches: the cache name, and a test on the path. */
export const PACKAGE_CACHES: ReadonlyArray<{ readonly name: string; readonly test: (path: string) => boolean }> = [
  { name: 'apt package archives (var/cache/apt/archives/*.deb)', test: (p) => /^var\/cache\/apt\/archives\/[^/]+\.deb$/.test(p) },
  { name: 'apt lists (var/lib/apt/lists)', test: (p) => p.startsWith('var/lib/apt/lists/') && p !== 'var/lib/apt/lists/lock' },
  { name: 'apk cache (var/cache/apk)', test: (p) => p.startsWith('var/cache/apk/') },
  { name: 'yum/dnf cache (var/cache/yum, var/cache/dnf)', test: (p) => /^var\/cache\/(?:yum|dnf|libdnf5)\//.test(p) },
  { name: 'npm cache (.npm)', test: (p) => /^(?:root|home\/[^/]+)\/\.npm\//.test(p) },
  { name: 'pip cache (.cache/pip)', test: (p) => /^(?:root|home\/[^/]+)\/\.cache\/pip\//.test(p) },
];

/** Database files by name, and directories that only hold a database server's data. */
export const DATABASE_FILE = /\.(?:sqlite3?|db)$/;
export const DATABASE_DIRS: readonly RegExp[] = [/^var\/lib\/mysql\//, /^var\/lib\/postgresql\/[^/]+\/main\//, /^var\/lib\/mongodb\//];
/** Database files that belong to the system, not to users (package databases, caches, system data). */
export const SYSTEM_DATABASE = /^(?:var\/lib\/rpm\/|usr\/lib\/sysimage\/rpm\/|var\/cache\/|usr\/share\/|usr\/lib\/|usr\/lib64\/|lib\/|etc\/pki\/|var\/lib\/dpkg\/)|(?:^|\/)(?:node_modules|site-packages|dist-packages)\//;

/** Files that tell a runtime's version when it was installed outside the package manager. */
export const RUNTIME_MARKERS: ReadonlyArray<{ readonly product: 'nodejs' | 'python' | 'go' | 'java'; readonly test: RegExp; readonly content: boolean }> = [
  { product: 'nodejs', test: /^(?:usr\/local|opt\/[^/]+)\/include\/node\/node_version\.h$/, content: true },
  { product: 'go', test: /^(?:usr\/local\/go|opt\/go|usr\/lib\/go)\/VERSION$/, content: true },
  { product: 'java', test: /^(?:opt\/java\/[^/]+|opt\/[^/]+|usr\/lib\/jvm\/[^/]+|usr\/local\/[^/]+)\/release$/, content: true },
  { product: 'python', test: /^(?:usr\/local\/lib|opt\/[^/]+\/lib|opt\/[^/]+\/[^/]+\/lib)\/python\d+\.\d+\/os\.py$/, content: false },
];

function cleanVolume(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** The VOLUME paths of a config, image-relative. */
export function volumesOf(config: ImageConfig | undefined): string[] {
  return Object.keys(config?.config?.Volumes ?? {})
    .map(cleanVolume)
    .filter((v) => v !== '' && !v.split('/').includes('..'));
}

/** The image checks' selector. */
export function imageSelector(config: ImageConfig | undefined): FileSelector {
  const shells = new Set(SHELLS);
  const managers = new Set(PACKAGE_MANAGERS.map((m) => m.path));
  const volumes = volumesOf(config);
  return {
    wants(path: string): boolean | FileWant {
      for (const r of RUNTIME_MARKERS) if (r.test.test(path)) return r.content ? { content: true, maxBytes: 64 * 1024 } : META;
      if (shells.has(path) || managers.has(path)) return META;
      if (PACKAGE_CACHES.some((c) => c.test(path))) return META;
      if (DATABASE_FILE.test(path) || DATABASE_DIRS.some((d) => d.test(path))) return META;
      if (volumes.some((v) => path.startsWith(`${v}/`))) return META;
      return false;
    },
    mayWantBelow(dir: string): boolean {
      return volumes.some((v) => v === dir || v.startsWith(`${dir}/`) || dir.startsWith(`${v}/`));
    },
  };
}

function mergeAnswers(a: boolean | FileWant, b: boolean | FileWant): boolean | FileWant {
  if (a === false) return b;
  if (b === false) return a;
  const wa: FileWant = a === true ? {} : a;
  const wb: FileWant = b === true ? {} : b;
  const ca = wa.content !== false;
  const cb = wb.content !== false;
  const out: FileWant = { content: ca || cb };
  if (out.content) {
    const caps = [ca ? wa.maxBytes : 0, cb ? wb.maxBytes : 0];
    // undefined means the walker's default cap, the largest in practice.
    if (!caps.includes(undefined)) out.maxBytes = maxOf(caps as number[], 0);
  }
  if (wa.history || wb.history) out.history = true;
  // Only when every side filters by content may the file be dropped by a filter.
  if (wa.accept && wb.accept) {
    const [fa, fb] = [wa.accept, wb.accept];
    out.accept = (content) => fa(content) || fb(content);
  }
  return out;
}

/**
 * One selector wanting what any of `selectors` wants (content over metadata,
 * the larger cap, history if any asks, a content filter only when every side
 * has one); the walker's entry info is passed on.
 */
export function combineSelectors(...selectors: readonly FileSelector[]): FileSelector {
  return {
    wants(path: string, info?: EntryInfo): boolean | FileWant {
      let answer: boolean | FileWant = false;
      for (const s of selectors) answer = mergeAnswers(answer, s.wants(path, info));
      return answer;
    },
    mayWantBelow(dir: string): boolean {
      return selectors.some((s) => s.mayWantBelow?.(dir) === true);
    },
  };
}
