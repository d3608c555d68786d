import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Digest } from '../../../src/core/digest.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { ServeError } from '../../../src/server/errors.js';
import { metadataStoreContract } from './contract.js';

metadataStoreContract('sqlite', async () => new SqliteMetadataStore(join(await mkdtemp(join(tmpdir(), 'portcullis-meta-')), 'metadata.db')));

test('sqlite: WAL, schema version in user_version, data survives reopening', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-meta-')), 'sub', 'metadata.db');
  const store = new SqliteMetadataStore(path);
  await store.linkBlob('app', `sha256:${'a'.repeat(64)}`);
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  await store.close();
  const again = new SqliteMetadataStore(path);
  assert.equal(await again.isBlobLinked('app', `sha256:${'a'.repeat(64)}`), true);
  await again.close();
});

test('sqlite: a database from a newer portcullis is refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-meta-')), 'metadata.db');
  const raw = new Database(path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(() => new SqliteMetadataStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
});

test('sqlite: a version 1 database is upgraded in place: blobs live, untagged manifests dated from their push, tagged ones not', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-meta-')), 'metadata.db');
  const raw = new Database(path);
  raw.exec(MIGRATIONS[0]!);
  raw.pragma('user_version = 1');
  const digest = (c: string): Digest => `sha256:${c.repeat(64)}`;
  raw.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?)').run('app', '2025-01-01T00:00:00.000Z');
  raw.prepare('INSERT INTO blobs (digest) VALUES (?)').run(digest('a'));
  for (const [d, at] of [[digest('b'), '2025-01-02T00:00:00.000Z'], [digest('c'), '2025-01-03T00:00:00.000Z']] as const) {
    raw.prepare('INSERT INTO blobs (digest) VALUES (?)').run(d);
    raw.prepare('INSERT INTO manifests (repository, digest, media_type, size, pushed_at) VALUES (?, ?, ?, ?, ?)').run('app', d, 'application/vnd.oci.image.manifest.v1+json', 10, at);
  }
  raw.prepare('INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)').run('app', 'v1', digest('c'), '2025-01-03T00:00:00.000Z');
  raw.close();
  const store = new SqliteMetadataStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(await store.unreferencedBlobs(), [digest('a')], 'old rows are live, never touched');
    const snapshot = await store.repositorySnapshot('app');
    assert.deepEqual(
      snapshot?.manifests.map((m) => [m.digest, m.untaggedAt]),
      [
        [digest('b'), '2025-01-02T00:00:00.000Z'],
        [digest('c'), undefined],
      ],
    );
    assert.deepEqual(await store.blobsWithoutSize({ limit: 10 }), [digest('a'), digest('b'), digest('c')], 'sizes unknown until the collector reads them');
    assert.ok(await store.claimBlob(digest('a'), { touchedBefore: '2026-01-01T00:00:00.000Z', now: '2026-01-01T00:00:00.000Z' }));
  } finally {
    await store.close();
  }
});
