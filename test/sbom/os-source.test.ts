/**
 * The OS fields that change which advisories apply (an Alpine image that
 * installs from another release, Red Hat's content sets) survive every SBOM
 * format portcullis writes, so `scan` of an SBOM matches as `scan` of the
 * image does; values not of their form are dropped when read back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory, OsRelease } from '../../src/core/inventory.js';
import { toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { decodeSbom } from '../../src/sbom/decode.js';
import { toInventoryJson } from '../../src/sbom/json.js';
import { toSpdxJson } from '../../src/sbom/spdx.js';

const inventoryOf = (os: OsRelease): Inventory => ({ os, packages: [], ownedFiles: [], warnings: [] });

test('apkRepositoryRelease and contentSets round-trip through CycloneDX, SPDX and the native JSON', () => {
  const oses: OsRelease[] = [
    { id: 'alpine', versionId: '3.12.0', path: 'etc/os-release', apkRepositoryRelease: 'edge' },
    { id: 'rhel', versionId: '8.6', path: 'etc/os-release', contentSets: ['rhel-8-for-x86_64-baseos-e4s-rpms', 'rhel-8-for-x86_64-appstream-e4s-rpms'] },
  ];
  for (const os of oses) {
    for (const [format, text] of [['cyclonedx', toCycloneDxJson(inventoryOf(os))], ['spdx', toSpdxJson(inventoryOf(os))], ['native', toInventoryJson(inventoryOf(os))]] as const) {
      const back = decodeSbom(text).inventory.os;
      assert.equal(back?.apkRepositoryRelease, os.apkRepositoryRelease, `${os.id} ${format}`);
      assert.deepEqual(back?.contentSets, os.contentSets, `${os.id} ${format}`);
    }
  }
});

test('a hostile value is dropped, not trusted', () => {
  const text = toInventoryJson(inventoryOf({ id: 'alpine', versionId: '3.12.0', path: 'etc/os-release' }));
  const doc = JSON.parse(text) as { os: Record<string, unknown> };
  doc.os.apkRepositoryRelease = '../../etc';
  doc.os.contentSets = ['ok-rpms', 'bad set; rm'];
  const back = decodeSbom(JSON.stringify(doc)).inventory.os;
  assert.equal(back?.apkRepositoryRelease, undefined);
  assert.deepEqual(back?.contentSets, ['ok-rpms']);
});
