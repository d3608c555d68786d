/**
 * End to end on a real rpm database: packages built by Debian's rpmbuild with
 * a Red Hat release and (for one) a `ModularityLabel`, installed by the real
 * rpm into a SQLite rpmdb, catalogued with a RHEL os-release and a content
 * manifest, matched against Red Hat's own OSV records (RHSA-2024:4546,
 * RHSA-2024:6220) imported into a test database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCatalogers, selectorFor } from '../../../src/catalog/catalog.js';
import { rpmCataloger } from '../../../src/catalog/os/rpm/index.js';
import { importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { fileViewFromMap } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';
import { rpmDbBytes } from '../../support/rpm-build.js';

test('a real rpmdb on RHEL 8.6 (AUS content sets): the modular and the plain package each get their advisory', { timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-rhel-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const label = 'python39:3.9:8060020220127162237:d63f516d';
  const rpmdb = await rpmDbBytes(tmp, [
    { name: 'python39', version: '3.9.7', release: '2.module+el8.6.0+13003+6bb2c488', modularityLabel: label },
    { name: 'git-lfs', version: '2.13.3', release: '3.el8_6' },
  ]);

  const view = fileViewFromMap(
    {
      'etc/os-release': 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.6"\nPRETTY_NAME="Red Hat Enterprise Linux 8.6 (Ootpa)"\n',
      'root/buildinfo/content_manifests/ubi8-container-8.6-1.json': JSON.stringify({ content_sets: ['rhel-8-for-x86_64-baseos-aus-rpms', 'rhel-8-for-x86_64-appstream-aus-rpms'] }),
      'var/lib/rpm/rpmdb.sqlite': rpmdb,
    },
    selectorFor([rpmCataloger]),
  );
  const inventory = await runCatalogers(view, [rpmCataloger]);
  assert.deepEqual(inventory.os?.contentSets, ['rhel-8-for-x86_64-baseos-aus-rpms', 'rhel-8-for-x86_64-appstream-aus-rpms']);
  assert.equal(inventory.packages.find((p) => p.name === 'python39')?.metadata?.modularityLabel, label);

  const db = join(tmp, 'advisories.sqlite');
  await importPaths(db, [join(VULNDATA, 'osv/distro-samples/redhat')]);
  const store = openAdvisoryStore(db);
  try {
    const findings = await matchInventory(inventory, store);
    const got = findings.map((f) => `${f.package.name} ${f.id} ${f.fixedVersion} ${f.evidence.ecosystem}`).sort();
    assert.deepEqual(got, [
      'git-lfs CVE-2023-45288 0:2.13.3-3.el8_6.1 Red Hat:rhel_aus:8.6::appstream',
      'python39 CVE-2024-6345 0:3.9.7-2.module+el8.6.0+20026+579726f4.2 Red Hat:rhel_aus:8.6::appstream',
    ]);
  } finally {
    await store.close();
  }
});
