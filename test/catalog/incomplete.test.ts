/**
 * Warning or incomplete (the rule in src/catalog/cataloger.ts): a cataloguer
 * that throws, a database or lock file that cannot be read at all, a file
 * over its cap make the inventory incomplete; one malformed manifest among
 * many is a warning. Also the matcher's share (OS packages of a distribution
 * without advisory data) and the engine carrying both into ScanResult.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ALL_CATALOGERS } from '../../src/catalog/all.js';
import type { Cataloger } from '../../src/catalog/cataloger.js';
import { runCatalogers } from '../../src/catalog/catalog.js';
import { runParser } from '../../src/catalog/lang/common.js';
import { LangCatalogError } from '../../src/catalog/lang/errors.js';
import { npmCataloger } from '../../src/catalog/lang/npm.js';
import { apkCataloger } from '../../src/catalog/os/apk.js';
import { dpkgCataloger } from '../../src/catalog/os/dpkg.js';
import type { FileView, ImageFile } from '../../src/core/files.js';
import type { Inventory, Package } from '../../src/core/inventory.js';
import { scanTarget } from '../../src/engine/scan.js';
import { matchInventory, type MatchStore } from '../../src/vuln/match/index.js';
import { fileViewFromMap, TEST_LAYER } from '../support/file-view.js';

const file = (path: string, extra: Partial<ImageFile>): ImageFile => ({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, layer: TEST_LAYER, ...extra });

/** A view of exactly these files (no selector, no caps of its own). */
function viewOf(files: readonly ImageFile[]): FileView {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return { get: (p) => byPath.get(p), files: () => files, warnings: [] };
}

test('runParser: over the cap, or a crash, is incomplete; a LangCatalogError verdict on damaged input is a warning (ZIP_LIMIT, a cap, is not)', () => {
  const never = (): never => assert.fail('a file over the cap is never parsed');
  assert.deepEqual(runParser(file('app/package-lock.json', { size: 70_000_000, truncated: true }), never), {
    packages: [],
    warnings: [],
    incomplete: ['app/package-lock.json: larger than the size cap (70000000 bytes); not read'],
  });
  const content = Buffer.from('{}');
  const overflow = runParser(file('x/yarn.lock', { content }), () => {
    throw new RangeError('Maximum call stack size exceeded');
  });
  assert.deepEqual(overflow, { packages: [], warnings: [], incomplete: ['x/yarn.lock: Maximum call stack size exceeded'] });
  const damaged = runParser(file('a.jar', { content }), () => {
    throw new LangCatalogError('ZIP_INVALID', 'a.jar: not a zip archive (too short)');
  });
  assert.deepEqual(damaged, { packages: [], warnings: ['a.jar: not a zip archive (too short)'] });
  const capped = runParser(file('b.jar', { content }), () => {
    throw new LangCatalogError('ZIP_LIMIT', 'b.jar: 300000 entries, over the 200000-entry cap');
  });
  assert.deepEqual(capped.incomplete, ['b.jar: 300000 entries, over the 200000-entry cap']);
});

test('runCatalogers: a thrown error is incomplete, prefixed; the other cataloguers still count; a complete inventory has no field', async () => {
  const boom: Cataloger = {
    name: 'boom',
    version: 1,
    wants: () => false,
    catalog: async () => {
      throw new RangeError('Maximum call stack size exceeded');
    },
  };
  const view = fileViewFromMap({ 'app/node_modules/a/package.json': '{"name":"a","version":"1.0.0"}' });
  const inv = await runCatalogers(view, [boom, npmCataloger]);
  assert.deepEqual(inv.incomplete, ['boom: failed: Maximum call stack size exceeded']);
  assert.deepEqual(inv.packages.map((p) => p.purl), ['pkg:npm/a@1.0.0']);
  assert.deepEqual(inv.warnings, []);
  const complete = await runCatalogers(view, [npmCataloger]);
  assert.equal('incomplete' in complete, false);
});

test('one malformed package.json among a thousand is a warning; an unparseable lock file is incomplete', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) files[`app/node_modules/p${i}/package.json`] = `{"name":"p${i}","version":"1.0.0"}`;
  files['app/node_modules/broken/package.json'] = '{"name": "broken", "version": ';
  files['other/package-lock.json'] = '{"lockfileVersion": 3, "packages": {';
  const r = await npmCataloger.catalog(fileViewFromMap(files), {});
  assert.equal(r.packages.length, 1000);
  assert.equal(r.warnings?.length, 1);
  assert.match(r.warnings?.[0] ?? '', /^app\/node_modules\/broken\/package\.json: invalid JSON/);
  assert.equal(r.incomplete?.length, 1);
  assert.match(r.incomplete?.[0] ?? '', /^other\/package-lock\.json: invalid JSON/);
});

test('dpkg: a status file over its cap, or of which not one paragraph can be read, is incomplete; one bad paragraph is a warning', async () => {
  const over = await dpkgCataloger.catalog(viewOf([file('var/lib/dpkg/status', { size: 300 << 20, truncated: true })]), {});
  assert.deepEqual(over.incomplete, [`var/lib/dpkg/status: larger than the size cap (${300 << 20} bytes); not read`]);

  const garbage = Buffer.from(Array.from({ length: 4096 }, (_v, i) => (i * 7919) % 256));
  const unreadable = await dpkgCataloger.catalog(viewOf([file('var/lib/dpkg/status', { content: garbage, size: garbage.length })]), {});
  assert.equal(unreadable.packages.length, 0);
  assert.equal(unreadable.incomplete?.length, 1);
  assert.match(unreadable.incomplete?.[0] ?? '', /^var\/lib\/dpkg\/status: not one package could be read \(\d+ problems\); the database could not be parsed$/);

  const status = Buffer.from('Package: good\nStatus: install ok installed\nVersion: 1.0-1\n\nPackage: bad\nStatus: install ok installed\n\n');
  const partly = await dpkgCataloger.catalog(viewOf([file('var/lib/dpkg/status', { content: status, size: status.length })]), {});
  assert.deepEqual(partly.packages.map((p) => p.name), ['good']);
  assert.deepEqual(partly.incomplete, []);
  assert.match(partly.warnings?.join('\n') ?? '', /package "bad": missing Version field, skipped/);

  const empty = await dpkgCataloger.catalog(viewOf([file('var/lib/dpkg/status', { content: Buffer.alloc(0) })]), {});
  assert.deepEqual([empty.packages.length, empty.incomplete], [0, []], 'an empty database is an empty database');
});

test('apk: an installed database of which not one package can be read is incomplete', async () => {
  const content = Buffer.from('this is not\nan apk database\nat all\n');
  const r = await apkCataloger.catalog(viewOf([file('lib/apk/db/installed', { content, size: content.length })]), {});
  assert.equal(r.packages.length, 0);
  assert.match(r.incomplete?.[0] ?? '', /^lib\/apk\/db\/installed: not one package could be read \(3 problems\)/);
});

const NO_ADVISORIES: MatchStore = { findAffected: async () => [], getById: async () => undefined };

const deb = (name: string): Package => ({ name, version: '1.0-1', ecosystem: 'debian', purl: `pkg:deb/debian/${name}@1.0-1`, foundBy: 'dpkg', path: 'var/lib/dpkg/status' });

test('matcher: OS packages of a distribution without advisory data (or undetected) were not matched: said once, with the count', async () => {
  const packages = [deb('a'), deb('b'), deb('c')];
  const reasons: string[] = [];
  const warnings: string[] = [];
  const inv = (os?: Inventory['os']): Inventory => ({ ...(os ? { os } : {}), packages, ownedFiles: [], warnings: [] });
  await matchInventory(inv({ id: 'gentoo', versionId: '2.15', path: 'etc/os-release' }), NO_ADVISORIES, { onIncomplete: (r) => reasons.push(r), onWarning: (w) => warnings.push(w) });
  await matchInventory(inv(), NO_ADVISORIES, { onIncomplete: (r) => reasons.push(r), onWarning: (w) => warnings.push(w) });
  const debian12 = inv({ id: 'debian', versionId: '12', path: 'etc/os-release' });
  // A store that cannot say whether it holds Debian 12 counts as not holding it (fail closed);
  await matchInventory(debian12, NO_ADVISORIES, { onIncomplete: (r) => reasons.push(r) });
  // one that holds no Debian 12 entry says so; one that holds any is complete (no entry for a, b, c: clean).
  const holds = (held: readonly string[]): MatchStore => ({ ...NO_ADVISORIES, ecosystemsWithEntries: async (asked) => new Set(asked.filter((e) => held.includes(e))) });
  await matchInventory(debian12, holds(['Debian:11']), { onIncomplete: (r) => reasons.push(r) });
  await matchInventory(debian12, holds(['Debian:12']), { onIncomplete: (r) => reasons.push(r) });
  assert.deepEqual(reasons, [
    'no advisory data is known for gentoo 2.15; its 3 OS packages were not matched',
    'the distribution could not be detected (no os-release); 3 OS packages were not matched',
    'the advisory store cannot say whether it holds Debian advisories (the security tracker) for Debian:12, so its 3 OS packages were not matched: run "portcullis db update --feeds debian"',
    'the advisory database has no Debian advisories (the security tracker) for Debian:12, so its 3 OS packages were not matched: run "portcullis db update --feeds debian"',
  ]);
  assert.deepEqual(warnings, []);
});

let rootfs: string | undefined;
after(() => {
  if (rootfs) rmSync(rootfs, { recursive: true, force: true });
});

test('scanTarget: a failing cataloguer (injected) and unmatched OS packages both reach ScanResult.incomplete; findings of the rest are kept', async () => {
  rootfs = mkdtempSync(join(tmpdir(), 'portcullis-incomplete-rootfs-'));
  mkdirSync(join(rootfs, 'app/node_modules/left-pad'), { recursive: true });
  writeFileSync(join(rootfs, 'app/node_modules/left-pad/package.json'), '{"name":"left-pad","version":"1.0.0"}');
  mkdirSync(join(rootfs, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(rootfs, 'var/lib/dpkg/status'), 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n');
  const boom: Cataloger = {
    name: 'boom',
    version: 1,
    wants: () => false,
    catalog: async () => {
      throw new Error('exploded');
    },
  };
  const { result } = await scanTarget({ kind: 'rootfs', path: rootfs }, { store: NO_ADVISORIES, catalogers: [...ALL_CATALOGERS, boom] });
  assert.deepEqual(result.incomplete, [
    'boom: failed: exploded',
    'match: the distribution could not be detected (no os-release); 1 OS package was not matched',
  ]);
  assert.deepEqual(result.packageCounts, { dpkg: 1, npm: 1 });
  const clean = await scanTarget({ kind: 'rootfs', path: join(rootfs, 'app') }, { store: NO_ADVISORIES });
  assert.equal(clean.result.incomplete, undefined);
  assert.deepEqual(clean.result.packageCounts, { npm: 1 });
});
