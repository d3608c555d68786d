/**
 * The layer cache's folder (engine/layer-cache.ts): bounded by size with the
 * least recently used entries evicted first (a hit counts as a use), keys
 * that are not sha256 hex never touch the disk, and a folder that cannot be
 * written is a skipped write, not a failed scan.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DirectoryLayerCache } from '../../src/engine/layer-cache.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-layer-cache-dir-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const key = (c: string): string => c.repeat(64);

test('over its size the least recently used entries go first; a hit is a use', async () => {
  const cache = new DirectoryLayerCache({ dir: join(dir, 'lru'), maxBytes: 2500 });
  await cache.write(key('a'), Buffer.alloc(1000, 1));
  await cache.write(key('b'), Buffer.alloc(1000, 2));
  const old = new Date(Date.now() - 60_000);
  const older = new Date(Date.now() - 120_000);
  utimesSync(join(cache.dir, key('a')), older, older);
  utimesSync(join(cache.dir, key('b')), old, old);
  assert.ok(await cache.read(key('a')), 'a hit makes "a" the most recently used');
  await cache.write(key('c'), Buffer.alloc(1000, 3));
  assert.deepEqual(readdirSync(cache.dir).sort(), [key('a'), key('c')]);
  assert.deepEqual(await cache.info().then((i) => [i.entries, i.bytes]), [2, 2000]);
  // An entry larger than the whole bound is not written.
  await cache.write(key('d'), Buffer.alloc(3000));
  assert.equal(await cache.read(key('d')), undefined);
});

test('keys are sha256 hex only; an unwritable folder is a skipped write', async () => {
  const cache = new DirectoryLayerCache({ dir: join(dir, 'keys') });
  await cache.write('../escape', Buffer.from('x'));
  await cache.write(key('A'), Buffer.from('x'));
  assert.equal(await cache.read('../escape'), undefined);
  assert.deepEqual(readdirSync(dir).includes('escape'), false);
  const locked = join(dir, 'locked');
  writeFileSync(locked, 'a file where the folder should be');
  const broken = new DirectoryLayerCache({ dir: join(locked, 'layers') });
  await broken.write(key('e'), Buffer.from('x'));
  assert.equal(await broken.read(key('e')), undefined);
});
