/**
 * The InventoryStore contract, run against every implementation (SQLite in
 * inventory-sqlite.test.ts, PostgreSQL in inventory-postgres.peer.test.ts).
 * Only the InventoryStore interface is used. The inventory is the real one of
 * the bundled example image (examples/hello: Debian's zlib1g in layer 0, npm
 * lodash in layer 1) plus one package with every optional field, so a lossy
 * field would show.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import type { Inventory, Package } from '../../../src/core/inventory.js';
import { inventoryImage } from '../../../src/engine/inventory.js';
import { openSource } from '../../../src/engine/open.js';
import type { InventoryStore, InventoryStoreOptions, StoredInventory } from '../../../src/server/metadata/inventory-store.js';
import { REPO_ROOT } from '../../support/paths.js';

const T0 = '2026-01-01T00:00:00.000Z';
const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

/** Every optional field of Package set, in a second layer. */
const RICH: Package = {
  name: 'openssl',
  version: '3.0.11-1~deb12u2',
  ecosystem: 'debian',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
  foundBy: 'dpkg',
  path: 'var/lib/dpkg/status',
  layer: { index: 1, digest: d('b'), diffId: d('c') },
  source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
  arch: 'amd64',
  licenses: ['Apache-2.0'],
  epoch: 0,
  metadata: { essential: 'no' },
  dependsOn: ['pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12'],
};

export async function exampleInventory(): Promise<{ inventory: Inventory; image: NonNullable<StoredInventory['image']> }> {
  const source = await openSource(`oci:${join(REPO_ROOT, 'examples', 'hello')}:latest`, {});
  const { inventory, image } = await inventoryImage(source).finally(() => source.close());
  return {
    inventory: { ...inventory, packages: [...inventory.packages, RICH], warnings: ['layers: a warning kept'], incomplete: ['npm: app/broken/package-lock.json: not JSON'] },
    image: {
      digest: image.manifestBlob.digest,
      configDigest: image.manifest.config.digest,
      platform: 'linux/amd64',
      layers: image.manifest.layers.map((l, i) => ({ digest: l.digest, createdBy: `layer ${i}` })),
    },
  };
}

function byPurl(packages: readonly Package[]): Package[] {
  return [...packages].sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
}

async function withStore(make: (options?: InventoryStoreOptions) => Promise<InventoryStore>, body: (store: InventoryStore) => Promise<void>, options?: InventoryStoreOptions): Promise<void> {
  const store = await make(options);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function inventoryStoreContract(name: string, make: (options?: InventoryStoreOptions) => Promise<InventoryStore>): void {
  describe(`InventoryStore contract: ${name}`, () => {
    test('an entry reads back whole: every package field, OS, warnings, incompleteness, the image and its layer commands', () =>
      withStore(make, async (store) => {
        const { inventory, image } = await exampleInventory();
        assert.equal(await store.get(d('1')), undefined);
        const put = await store.put({ manifestDigest: d('1'), catalogersKey: 'sha256:key-1', inventory, image, storedAt: T0 });
        assert.equal(put.stored, true);
        assert.ok(put.stored && put.bytes > 0 && put.bytes < JSON.stringify(inventory).length, 'stored compressed');
        const back = await store.get(d('1'));
        assert.ok(back);
        assert.equal(back.manifestDigest, d('1'));
        assert.equal(back.catalogersKey, 'sha256:key-1');
        assert.equal(back.storedAt, T0);
        assert.deepEqual(back.image, image);
        assert.deepEqual(back.inventory.os, inventory.os);
        assert.deepEqual(back.inventory.packages, byPurl(inventory.packages));
        assert.deepEqual(
          back.inventory.packages.map((p) => `${p.name}@${p.version} layer ${p.layer?.index}`),
          ['openssl@3.0.11-1~deb12u2 layer 1', 'zlib1g@1:1.2.13.dfsg-1 layer 0', 'lodash@4.17.15 layer 1'],
        );
        assert.deepEqual(back.inventory.warnings, ['layers: a warning kept']);
        assert.deepEqual(back.inventory.incomplete, ['npm: app/broken/package-lock.json: not JSON'], 'an incomplete inventory stays incomplete');
        assert.deepEqual(back.inventory.ownedFiles, []);
      }));

    test('put replaces, delete says whether there was one, list pages digests in byte order', () =>
      withStore(make, async (store) => {
        const { inventory } = await exampleInventory();
        for (const c of ['b', 'a', 'f', 'c']) assert.equal((await store.put({ manifestDigest: d(c), catalogersKey: 'k1', inventory, storedAt: T0 })).stored, true);
        assert.equal((await store.put({ manifestDigest: d('a'), catalogersKey: 'k2', inventory: { ...inventory, packages: [RICH] }, storedAt: '2026-02-01T00:00:00.000Z' })).stored, true);
        const replaced = await store.get(d('a'));
        assert.equal(replaced?.catalogersKey, 'k2');
        assert.equal(replaced?.image, undefined);
        assert.deepEqual(replaced?.inventory.packages, [RICH]);
        assert.deepEqual(await store.list(), [d('a'), d('b'), d('c'), d('f')]);
        assert.deepEqual(await store.list({ last: d('b'), limit: 1 }), [d('c')]);
        assert.equal(await store.delete(d('b')), true);
        assert.equal(await store.delete(d('b')), false);
        assert.equal(await store.get(d('b')), undefined);
        assert.deepEqual(await store.list(), [d('a'), d('c'), d('f')]);
      }));

    test('an inventory over the cap is not kept, says why, and leaves no older entry behind', () =>
      withStore(
        make,
        async (store) => {
          const { inventory } = await exampleInventory();
          const small: Inventory = { packages: [], ownedFiles: [], warnings: [] };
          assert.equal((await store.put({ manifestDigest: d('e'), catalogersKey: 'old', inventory: small, storedAt: T0 })).stored, true);
          const put = await store.put({ manifestDigest: d('e'), catalogersKey: 'new', inventory, storedAt: T0 });
          assert.equal(put.stored, false);
          assert.match(!put.stored ? put.reason : '', new RegExp(`^the inventory of ${d('e')} is 0\\.0 MiB as JSON \\(3 packages\\), over the 0\\.0 MiB kept per image: its rescans read its layers again$`));
          assert.equal(await store.get(d('e')), undefined, 'the older entry would describe the same image under another key: dropped');
        },
        { maxJsonBytes: 600 },
      ));
  });
}
