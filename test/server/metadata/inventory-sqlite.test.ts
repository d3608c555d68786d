import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Digest } from '../../../src/core/digest.js';
import type { Inventory } from '../../../src/core/inventory.js';
import { ServeError } from '../../../src/server/errors.js';
import { decodeInventory, encodeInventory } from '../../../src/server/inventory-document.js';
import { INVENTORY_SCHEMA_VERSION, SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { inventoryStoreContract } from './inventory-contract.js';

inventoryStoreContract('sqlite', async () => new SqliteInventoryStore(join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-')), 'registry.sqlite')));

const DIGEST = `sha256:${'ab'.repeat(32)}` as Digest;
const LAYER = `sha256:${'cd'.repeat(32)}` as Digest;

test('sqlite inventories: share the content store file, versioned on their own; a document round-trips through the SBOM decoder', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-')), 'registry.sqlite');
  const content = new SqliteMetadataStore(path);
  const inventories = new SqliteInventoryStore(path);
  const inventory: Inventory = {
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', path: 'etc/os-release' },
    packages: [
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1', ecosystem: 'debian', purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12', foundBy: 'dpkg', path: 'var/lib/dpkg/status', layer: { index: 0, digest: LAYER } },
      { name: 'lodash', version: '4.17.15', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.15', foundBy: 'npm', path: 'app/node_modules/lodash/package.json', layer: { index: 1, digest: LAYER } },
    ],
    ownedFiles: [{ manager: 'dpkg', paths: new Set(['usr/lib/libz.so.1']) }],
    warnings: [],
  };
  const document = (await encodeInventory(inventory, { name: 'team/app', digest: DIGEST, platform: 'linux/arm64/v8' }))!;
  await inventories.put(DIGEST, document, '2026-01-01T00:00:00.000Z');
  await content.linkBlob('team/app', LAYER);
  assert.equal(content.db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'the content version is untouched');
  assert.deepEqual(inventories.db.prepare("SELECT version FROM schema_components WHERE component = 'inventory'").get(), { version: INVENTORY_SCHEMA_VERSION });
  await inventories.close();
  await content.close();

  const again = new SqliteInventoryStore(path);
  const decoded = await decodeInventory((await again.get(DIGEST))!.document);
  await again.close();
  assert.deepEqual(decoded.inventory.packages.map((p) => [p.name, p.version, p.ecosystem, p.layer?.index]), [
    ['zlib1g', '1:1.2.13.dfsg-1', 'debian', 0],
    ['lodash', '4.17.15', 'npm', 1],
  ]);
  assert.equal(decoded.inventory.os?.prettyName, 'Debian GNU/Linux 12 (bookworm)');
  assert.deepEqual(decoded.image, { name: 'team/app', digest: DIGEST, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
});

test('sqlite inventories: a newer schema is refused; a document that is not ours does not decode', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-')), 'registry.sqlite');
  new SqliteInventoryStore(path).db.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'inventory'").run(INVENTORY_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteInventoryStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
  await assert.rejects(decodeInventory(Buffer.from('not gzip')));
});
