import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
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
