/**
 * Where things are, seen from a compiled test in dist/test/…: the repository
 * root (found by its package.json) and the shared folder beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'portcullis') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the portcullis repository root');
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();
/** ../shared beside the checkout (CI lays a copy there too). */
export const SHARED = process.env.PORTCULLIS_SHARED ?? resolve(REPO_ROOT, '..', 'shared');
export const VULNDATA = join(SHARED, 'vulndata');
export const PEERS = join(SHARED, 'peers');
/** The built CLI entry point. */
export const CLI = join(REPO_ROOT, 'bin', 'portcullis.js');
/**
 * A real Debian tracker sample with bookworm (Debian 12) entries (apparmor): a
 * database that should judge a Debian 12 image, such as examples/hello, needs
 * some Debian 12 data, or the scan is incomplete (vuln/match/vendor-feeds.ts).
 */
export const DEBIAN_12_SAMPLE = join(VULNDATA, 'debian-tracker/tracker-json/osv.dev-debian_security_tracker_mock.json');
