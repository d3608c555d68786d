/**
 * npm: installed packages from `node_modules/**\/package.json`, and lock files
 * (`package-lock.json` v1–3, `yarn.lock` v1 and berry, `pnpm-lock.yaml` v5–9)
 * only in directories where no `node_modules` is installed beside them (what
 * is installed wins over what a lock file says would be).
 *
 * Lock files: development-only dependencies are left out where the lock file
 * marks them (package-lock `dev`, pnpm `dev` / importers' devDependencies);
 * yarn.lock does not record it, so everything it lists is reported. Local
 * links, workspaces, git and file references are skipped (they have no
 * registry version to match).
 *
 * Parts in npm/: cataloger.ts, one parser per file kind (package-json,
 * package-lock, yarn-lock, pnpm-lock) and what they share (packages.ts).
 */
export { createNpmCataloger, npmCataloger, parseNpmFile } from './npm/cataloger.js';
export { npmLicenses, parsePackageJson } from './npm/package-json.js';
export { parsePackageLock } from './npm/package-lock.js';
export { type LockOptions, npmPurl } from './npm/packages.js';
export { parsePnpmLock } from './npm/pnpm-lock.js';
export { parseYarnLock } from './npm/yarn-lock.js';
