/**
 * The npm cataloguer: which files it wants, and lock files read only where
 * no node_modules is installed beside them. Each file goes to its parser.
 */
import type { FileView } from '../../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../../cataloger.js';
import { basename, catalogEach, dirname, type ParseResult } from '../common.js';
import { parsePackageJson } from './package-json.js';
import { parsePackageLock } from './package-lock.js';
import { FOUND_BY, type LockOptions } from './packages.js';
import { parsePnpmLock } from './pnpm-lock.js';
import { parseYarnLock } from './yarn-lock.js';

/** package.json and lock files are small; a 64 MiB lock file is already extreme. */
const MAX_BYTES = 64 << 20;

/** `…/node_modules/name/package.json` or `…/node_modules/@scope/name/package.json`. */
const INSTALLED = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
const LOCK_FILES = new Set(['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml']);

export function parseNpmFile(bytes: Uint8Array, path: string, options: LockOptions = {}): ParseResult {
  switch (basename(path)) {
    case 'package-lock.json':
      return parsePackageLock(bytes, path, options);
    case 'yarn.lock':
      return parseYarnLock(bytes, path);
    case 'pnpm-lock.yaml':
      return parsePnpmLock(bytes, path, options);
    default:
      return parsePackageJson(bytes, path);
  }
}

function isLockFile(path: string): boolean {
  return LOCK_FILES.has(basename(path)) && !/(?:^|\/)node_modules\//.test(path);
}

export function createNpmCataloger(options: LockOptions = {}): Cataloger {
  return {
    name: FOUND_BY,
    version: 2,
    wants(path: string) {
      return INSTALLED.test(path) || isLockFile(path) ? { maxBytes: MAX_BYTES } : false;
    },
    async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
      // Directories with packages installed in node_modules: their lock files are not read.
      const installedRoots = new Set<string>();
      for (const f of view.files()) {
        const m = /^(?:(.*?)\/)?node_modules\//.exec(f.path);
        if (m && INSTALLED.test(f.path)) installedRoots.add(m[1] ?? '');
      }
      return catalogEach(
        view,
        (f) => INSTALLED.test(f.path) || (isLockFile(f.path) && !installedRoots.has(dirname(f.path))),
        (bytes, f) => parseNpmFile(bytes, f.path, options),
      );
    },
  };
}

export const npmCataloger: Cataloger = createNpmCataloger();
