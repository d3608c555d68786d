import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_CATALOGERS, catalogersNamed, defineCatalogers } from '../../src/catalog/all.js';
import type { Cataloger } from '../../src/catalog/cataloger.js';
import { runCatalogers, selectorFor } from '../../src/catalog/catalog.js';
import { CatalogError } from '../../src/catalog/errors.js';
import { fileViewFromMap } from '../support/file-view.js';
import { VULNDATA } from '../support/paths.js';

const fake = (name: string, behaviour: Partial<Cataloger> = {}): Cataloger => ({
  name,
  version: 1,
  wants: () => false,
  catalog: async () => ({ packages: [] }),
  ...behaviour,
});

test('the one list: unique names, OS cataloguers present; duplicates fail loudly with a code', () => {
  const names = ALL_CATALOGERS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const n of ['dpkg', 'apk', 'rpm', 'npm', 'python', 'go-binary']) assert.ok(names.includes(n), n);
  assert.throws(
    () => defineCatalogers([fake('x'), fake('y'), fake('x')]),
    (e: unknown) => e instanceof CatalogError && e.code === 'CATALOGER_DUPLICATE',
  );
  assert.deepEqual(catalogersNamed(['rpm', 'dpkg']).map((c) => c.name), ['dpkg', 'rpm']);
  assert.throws(() => catalogersNamed(['nope']), (e: unknown) => e instanceof CatalogError && e.code === 'CATALOGER_UNKNOWN');
});

test('selectorFor: union of wants plus release files; content beats metadata-only', () => {
  const a = fake('a', { wants: (p) => (p === 'x' ? { content: false } : p === 'y' ? { content: true, maxBytes: 10 } : false) });
  const b = fake('b', { wants: (p) => (p === 'x' ? { content: true, maxBytes: 5 } : p === 'y' ? { content: true, maxBytes: 99 } : false) });
  const s = selectorFor([a, b]);
  assert.deepEqual(s.wants('x'), { content: true, maxBytes: 5 });
  assert.deepEqual(s.wants('y'), { content: true, maxBytes: 99 });
  assert.equal(s.wants('z'), false);
  assert.notEqual(s.wants('etc/os-release'), false);
  assert.deepEqual(s.wants('bin/sh'), { content: false });
  const all = selectorFor(ALL_CATALOGERS);
  for (const p of ['var/lib/dpkg/status', 'lib/apk/db/installed', 'var/lib/rpm/rpmdb.sqlite', 'var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/Packages.db']) {
    const w = all.wants(p);
    assert.ok(w === true || (typeof w === 'object' && w.content !== false), p);
  }
  assert.equal(all.wants('etc/hostname'), false);
});

test('runCatalogers: OS first, results merged, warnings prefixed, one failure does not stop the others but makes the inventory incomplete', async () => {
  const apkDb = readFileSync(join(VULNDATA, 'pkgdb', 'apk', 'trivy-testdata', 'lib', 'apk', 'db', 'installed'));
  const catalogers = [
    fake('boom', { catalog: async () => { throw new Error('exploded'); } }),
    ...catalogersNamed(['apk', 'dpkg', 'rpm']),
    fake('owner', {
      catalog: async (_v, ctx) => ({
        packages: [],
        ownedFiles: [{ manager: 'apk', paths: new Set(['extra/file']) }],
        warnings: [`saw os ${ctx.os?.id ?? 'none'}`],
      }),
    }),
  ];
  const view = fileViewFromMap(
    {
      'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n',
      'lib/apk/db/installed': apkDb,
      'var/lib/rpm/Packages': Buffer.from('not a database at all, but long enough to look at'.repeat(20)),
    },
    selectorFor(catalogers),
  );
  const inv = await runCatalogers(view, catalogers);
  assert.deepEqual([inv.os?.id, inv.os?.versionId], ['alpine', '3.19.1']);
  assert.equal(inv.packages.length, 15);
  assert.ok(inv.packages.every((p) => p.purl.endsWith('distro=alpine-3.19.1')));
  assert.deepEqual(inv.warnings, [
    'apk: lib/apk/db/installed: line 23: package "invalidPackageWithoutAVersion" without V (version), skipped',
    'owner: saw os alpine',
  ]);
  assert.deepEqual(inv.incomplete, [
    'boom: failed: exploded',
    'rpm: var/lib/rpm/Packages: not an rpm database (neither SQLite, Berkeley DB hash nor NDB); not read',
  ]);
  assert.equal(inv.ownedFiles.length, 1);
  assert.ok(inv.ownedFiles[0]?.paths.has('extra/file'));
  assert.ok(inv.ownedFiles[0]?.paths.has('lib/libc.musl-x86_64.so.1'));
});

test('runCatalogers uses the OS given in the context instead of detecting', async () => {
  const inv = await runCatalogers(fileViewFromMap({ 'etc/os-release': 'ID=alpine\nVERSION_ID=3\n' }), [], {
    os: { id: 'debian', versionId: '12', path: 'given' },
  });
  assert.equal(inv.os?.id, 'debian');
});
