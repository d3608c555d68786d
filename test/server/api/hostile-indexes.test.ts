/**
 * Indexes that list one child thousands of times, and children that list
 * thousands of layers: a 4 MiB index holds ~28,000 descriptors and a 4 MiB
 * manifest ~28,000 layers. When every descriptor loaded its child with all
 * its references, one index PUT read children × layers rows (28,000² took
 * over ten minutes of CPU here), and every UI page that showed an index of
 * such indexes walked children² of them. The work is counted, not timed:
 * the rows of references the store hands out while the registry answers.
 * Each distinct digest is looked up once and children are read without their
 * references, so the count stays near the size of what was pushed; every
 * descriptor's size is still checked.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Digest } from '../../../src/core/digest.js';
import { buildApp } from '../../../src/server/app.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { MetadataStore } from '../../../src/server/metadata/store.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { digestOf, errorCode, imageManifest, OCI_INDEX, OCI_MANIFEST, pushBlob, putManifest } from './helpers.js';

/** Layers of the wide child, and times an index lists it: 1,500² = 2.25 million rows without the fix. */
const WIDE = 1500;
/** What a request may read: the wide child's references a few times over, never WIDE². */
const BOUND = 10 * WIDE;

let rows = 0;
/** The rows of references read since the last call. */
function readSince(): number {
  const read = rows;
  rows = 0;
  return read;
}

/** The store, counting the references it reads out (records from getManifest and listReferrers). */
function counting(store: MetadataStore): MetadataStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== 'getManifest' && property !== 'listReferrers') return bound;
      return async (...args: unknown[]) => {
        const result: unknown = await bound(...args);
        for (const record of Array.isArray(result) ? result : [result]) {
          const references: unknown = (record as { references?: unknown } | undefined)?.references;
          if (Array.isArray(references)) rows += references.length;
        }
        return result;
      };
    },
  });
}

let app: FastifyInstance;
let services: RegistryServices;

before(async () => {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-hostile-indexes-'));
  const metadata = counting(new SqliteMetadataStore(join(root, 'metadata.db')));
  const blobs = new FilesystemBlobStore(join(root, 'storage'));
  services = { metadata, blobs };
  app = buildApp(services, { plugins: [async (a) => void (await a.register(uiPlugin({ metadata, blobs })))] });
  await app.ready();
});
after(async () => {
  await app?.close();
  await services?.metadata.close();
  await services?.blobs.close();
});

const index = (children: ReadonlyArray<{ digest: Digest; size: number; mediaType?: string }>): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((c) => ({ mediaType: c.mediaType ?? OCI_MANIFEST, digest: c.digest, size: c.size })) }));

test('an index listing a wide child 1,500 times, and an index of such indexes: pushed, listed and shown reading each child once', async () => {
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  const config = { digest: await pushBlob(app, 'team/app', configBytes), size: Buffer.byteLength(configBytes) };
  const layer = await pushBlob(app, 'team/app', 'one layer');
  const wideBytes = Buffer.from(JSON.stringify(imageManifest(config, Array.from({ length: WIDE }, () => ({ digest: layer, size: 9 })))));
  assert.equal((await putManifest(app, 'team/app', 'wide', wideBytes, OCI_MANIFEST)).statusCode, 201);
  const wide = { digest: digestOf(wideBytes), size: wideBytes.length };
  readSince();

  const inner = index(Array.from({ length: WIDE }, () => wide));
  const pushed = await putManifest(app, 'team/app', 'inner', inner, OCI_INDEX);
  assert.equal(pushed.statusCode, 201, pushed.body);
  assert.ok(readSince() <= BOUND, 'the push reads the child once, without its layers');
  const innerRef = { digest: digestOf(inner), size: inner.length, mediaType: OCI_INDEX };
  const outer = index(Array.from({ length: WIDE }, () => innerRef));
  assert.equal((await putManifest(app, 'team/app', 'outer', outer, OCI_INDEX)).statusCode, 201);
  assert.ok(readSince() <= BOUND);

  // The pages that show it: the repository list, the tags page, the outer index's page.
  for (const url of ['/ui/', '/ui/r/team/app', `/ui/r/team/app/m/${digestOf(outer)}`]) {
    const page = await app.inject({ method: 'GET', url });
    assert.equal(page.statusCode, 200, url);
    const read = readSince();
    assert.ok(read <= BOUND, `${url}: read ${read} rows of references`);
  }
  const outerPage = await app.inject({ method: 'GET', url: `/ui/r/team/app/m/${digestOf(outer)}` });
  assert.equal(outerPage.body.split(`data-digest="${innerRef.digest}"`).length - 1, 1, 'a child listed 1,500 times is one row');
  // The API serves the index as pushed.
  const served = await app.inject({ method: 'GET', url: '/v2/team/app/manifests/outer' });
  assert.equal(served.statusCode, 200);
  assert.equal(served.rawPayload.equals(outer), true);
});

test('a repeated descriptor is still checked each time: a second copy with another size is refused, and nothing is stored', async () => {
  const configBytes = JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  const config = { digest: await pushBlob(app, 'team/sizes', configBytes), size: Buffer.byteLength(configBytes) };
  const layer = await pushBlob(app, 'team/sizes', 'twelve bytes');
  const lying = Buffer.from(JSON.stringify(imageManifest(config, [{ digest: layer, size: 12 }, { digest: layer, size: 13 }])));
  const refused = await putManifest(app, 'team/sizes', 'lying', lying, OCI_MANIFEST);
  assert.equal(refused.statusCode, 400);
  assert.equal(errorCode(refused), 'MANIFEST_INVALID');
  assert.match(refused.body, /says 13 bytes, but it has 12/);
  const good = Buffer.from(JSON.stringify(imageManifest(config, [{ digest: layer, size: 12 }])));
  assert.equal((await putManifest(app, 'team/sizes', 'good', good, OCI_MANIFEST)).statusCode, 201);
  const child = { digest: digestOf(good), size: good.length };
  const lyingIndex = await putManifest(app, 'team/sizes', 'lying-index', index([child, child, { ...child, size: child.size + 1 }]), OCI_INDEX);
  assert.equal(errorCode(lyingIndex), 'MANIFEST_INVALID');
  const unknown = await putManifest(app, 'team/sizes', 'unknown-child', index([child, { digest: digestOf('not pushed'), size: 10 }, child]), OCI_INDEX);
  assert.equal(errorCode(unknown), 'MANIFEST_BLOB_UNKNOWN');
  for (const tag of ['lying', 'lying-index', 'unknown-child']) {
    assert.equal((await app.inject({ method: 'GET', url: `/v2/team/sizes/manifests/${tag}` })).statusCode, 404, tag);
  }
});

test('referrers of a subject are listed without reading their layers', async () => {
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: 'referrers' });
  const config = { digest: await pushBlob(app, 'team/refs', configBytes), size: Buffer.byteLength(configBytes) };
  const layer = await pushBlob(app, 'team/refs', 'a referrer layer');
  const subject = digestOf('one subject');
  for (let i = 0; i < 3; i++) {
    const bytes = Buffer.from(JSON.stringify(imageManifest(config, Array.from({ length: WIDE }, () => ({ digest: layer, size: 16 })), { subject: { mediaType: OCI_MANIFEST, digest: subject, size: 1 }, annotations: { n: String(i) } })));
    assert.equal((await putManifest(app, 'team/refs', `r${i}`, bytes, OCI_MANIFEST)).statusCode, 201);
  }
  readSince();
  const res = await app.inject({ method: 'GET', url: `/v2/team/refs/referrers/${subject}` });
  assert.equal(res.statusCode, 200);
  assert.equal((JSON.parse(res.body) as { manifests: unknown[] }).manifests.length, 3);
  assert.equal(readSince(), 0, 'no references read to list referrers');
});
