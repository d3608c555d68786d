/**
 * The image page's packages and SBOM downloads come from the scan service's
 * kept inventories (metadata/inventory-store.ts), read only: the real
 * inventory of the bundled example image kept in a SQLite InventoryStore
 * beside the metadata, as `serve` opens them. An image with a kept entry
 * lists its packages and downloads CycloneDX and SPDX naming the image as
 * clients pull it, with the config digest and platform the scan recorded; an
 * image with none says "not available yet" and its SBOM is a 404; an entry
 * that cannot be read back is never shown as a shorter list; a UI without
 * the store says the registry keeps none. Driven with `inject`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { exampleInventory } from '../metadata/inventory-contract.js';
import { DEBIAN, DIGESTS, seed } from './fixtures.js';

const REGISTRY = 'registry.test:5000';
const page = (digest: string): string => `/ui/r/${DEBIAN}/m/${digest}`;

let work: string;
let metadata: SqliteMetadataStore;
let inventories: SqliteInventoryStore;
let app: FastifyInstance;
let kept: Awaited<ReturnType<typeof exampleInventory>>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-ui-packages-'));
  const file = join(work, 'registry.sqlite');
  metadata = new SqliteMetadataStore(file);
  await seed(metadata);
  inventories = new SqliteInventoryStore(file);
  kept = await exampleInventory();
  const put = await inventories.put({ manifestDigest: DIGESTS.debian12, catalogersKey: 'key-of-an-older-portcullis', inventory: kept.inventory, image: kept.image, storedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(put.stored, true);
  app = Fastify();
  await app.register(uiPlugin({ metadata, inventories, publicName: () => REGISTRY }));
});

after(async () => {
  await app?.close();
  await inventories?.close();
  await metadata?.close();
  await rm(work, { recursive: true, force: true });
});

test('an image with a kept inventory lists its packages (whichever cataloguers kept it) and links both SBOMs', async () => {
  const response = await app.inject({ method: 'GET', url: page(DIGESTS.debian12) });
  assert.equal(response.statusCode, 200);
  const count = Number(/<small id="package-count">(\d+)<\/small>/.exec(response.body)?.[1]);
  assert.equal(count, kept.inventory.packages.length);
  for (const name of ['zlib1g', 'lodash', 'openssl']) assert.match(response.body, new RegExp(`<tr data-name="${name}"`), name);
  assert.match(response.body, /id="packages-incomplete">The list may be incomplete: npm: app\/broken\/package-lock.json: not JSON/);
  assert.match(response.body, new RegExp(`href="/ui/r/${DEBIAN}/m/${DIGESTS.debian12}/sbom.cdx.json"`));
  assert.doesNotMatch(response.body, /packages-empty/);
});

test('the SBOMs are written from the kept inventory, naming the image as clients pull it', async () => {
  const cdx = await app.inject({ method: 'GET', url: `${page(DIGESTS.debian12)}/sbom.cdx.json` });
  assert.equal(cdx.statusCode, 200);
  assert.match(String(cdx.headers['content-type']), /^application\/vnd\.cyclonedx\+json/);
  const bom = cdx.json<{ metadata: { component: { name: string; version: string; properties?: Array<{ name: string; value: string }> } }; components: Array<{ name: string; version?: string }> }>();
  assert.deepEqual([bom.metadata.component.name, bom.metadata.component.version], [`${REGISTRY}/${DEBIAN}`, DIGESTS.debian12]);
  const props = Object.fromEntries((bom.metadata.component.properties ?? []).map((p) => [p.name, p.value]));
  assert.equal(props['portcullis:image:configDigest'], kept.image.configDigest);
  assert.equal(props['portcullis:image:platform'], 'linux/amd64');
  const names = new Set(bom.components.map((c) => `${c.name}@${c.version ?? ''}`));
  for (const p of kept.inventory.packages) assert.ok(names.has(`${p.name}@${p.version}`), `${p.name}@${p.version}`);

  const spdx = await app.inject({ method: 'GET', url: `${page(DIGESTS.debian12)}/sbom.spdx.json` });
  assert.equal(spdx.statusCode, 200);
  const doc = spdx.json<{ spdxVersion: string; packages: Array<{ name: string }> }>();
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  for (const p of kept.inventory.packages) assert.ok(doc.packages.some((q) => q.name === p.name), p.name);
});

test('an image with no kept inventory says "not available yet"; its SBOM is a 404 saying the same', async () => {
  const response = await app.inject({ method: 'GET', url: page(DIGESTS.slim) });
  assert.equal(response.statusCode, 200);
  assert.match(response.body, /<p class="none" id="packages-empty">The package list is not available yet: it is kept from the next scan of this image.<\/p>/);
  assert.match(response.body, /id="sbom-unavailable"/);
  assert.doesNotMatch(response.body, /id="package-count"/);
  const sbom = await app.inject({ method: 'GET', url: `${page(DIGESTS.slim)}/sbom.spdx.json` });
  assert.equal(sbom.statusCode, 404);
  assert.match(sbom.body, /not available yet/);
});

test('a kept entry that cannot be read back is not shown as a shorter list: the page says so, the SBOM is a 404', async () => {
  await inventories.put({ manifestDigest: DIGESTS.rc, catalogersKey: 'k', inventory: kept.inventory, storedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(inventories.db.prepare('UPDATE inventories SET data = ? WHERE manifest_digest = ?').run(Buffer.from('not gzip'), DIGESTS.rc).changes, 1);
  const response = await app.inject({ method: 'GET', url: page(DIGESTS.rc) });
  assert.equal(response.statusCode, 200);
  assert.match(response.body, /id="packages-empty">The kept package list cannot be read \(the kept inventory of sha256:c3c3[0-9a-f]+ cannot be read: [^<]+\); the next scan replaces it.<\/p>/);
  assert.doesNotMatch(response.body, /id="package-count"/);
  assert.equal((await app.inject({ method: 'GET', url: `${page(DIGESTS.rc)}/sbom.cdx.json` })).statusCode, 404);
});

test('a UI without the kept inventories says the registry keeps none', async () => {
  const bare = Fastify();
  await bare.register(uiPlugin({ metadata }));
  const response = await bare.inject({ method: 'GET', url: page(DIGESTS.debian12) });
  assert.match(response.body, /id="packages-empty">This registry does not keep package inventories.<\/p>/);
  await bare.close();
});
