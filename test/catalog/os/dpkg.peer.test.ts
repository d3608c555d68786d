/** The debootstrap Debian 12 image against dpkg-query over the same files (the peer tier of dpkg.test.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectorFor, runCatalogers } from '../../../src/catalog/catalog.js';
import { dpkgCataloger } from '../../../src/catalog/os/dpkg.js';
import type { Package } from '../../../src/core/inventory.js';
import { fileViewFromDir } from '../../support/file-view.js';
import { peerImages, runCommand } from '../../support/peers.js';

/** dpkg-query's tsv (package, version, source, source version, arch, status abbrev) → installed rows. */
function expectedInstalled(tsv: string): string[] {
  return tsv
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'))
    .filter((cols) => cols[5]?.[1] === 'i') // ii / hi: installed
    .map((cols) => cols.slice(0, 5).join('\t'))
    .sort();
}

function rows(packages: readonly Package[]): string[] {
  return packages
    .map((p) => [p.name, p.version, p.source?.name ?? p.name, p.source?.version ?? p.version, p.arch ?? ''].join('\t'))
    .sort();
}

test('real Debian 12 rootfs: equals dpkg-query over the same files', { timeout: 900_000 }, async (t) => {
  const images = await peerImages();
  const layout = images.debianOci.replace(/^oci:/, '').replace(/:bookworm$/, '');
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-dpkg-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const bundle = join(tmp, 'bundle');
  const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${layout}:bookworm`, bundle]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const rootfs = join(bundle, 'rootfs');
  const oracle = await runCommand('dpkg-query', [
    '-W',
    `--admindir=${join(rootfs, 'var', 'lib', 'dpkg')}`,
    '-f=${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n',
  ]);
  assert.equal(oracle.code, 0, oracle.stderr);
  const expected = expectedInstalled(`header\n${oracle.stdout}`);
  assert.ok(expected.length > 80, `only ${expected.length} packages from dpkg-query`);

  const view = fileViewFromDir(rootfs, selectorFor([dpkgCataloger]));
  const inventory = await runCatalogers(view, [dpkgCataloger]);
  assert.deepEqual([inventory.os?.id, inventory.os?.versionId, inventory.os?.distroless], ['debian', '12', undefined]);
  assert.deepEqual(rows(inventory.packages), expected);
  assert.ok(inventory.packages.every((p) => p.ecosystem === 'debian' && p.purl.includes('distro=debian-12')));
  const owned = inventory.ownedFiles.find((o) => o.manager === 'dpkg');
  assert.ok(owned?.paths.has('usr/bin/dpkg'));
  assert.ok(inventory.packages.find((p) => p.name === 'dpkg')?.licenses?.includes('GPL-2+'));
});
