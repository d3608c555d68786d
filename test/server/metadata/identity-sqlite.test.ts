import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ServeError } from '../../../src/server/errors.js';
import { IDENTITY_SCHEMA_VERSION, SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import { SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { identityStoreContract } from './identity-contract.js';

identityStoreContract('sqlite', async () => new SqliteIdentityStore(join(await mkdtemp(join(tmpdir(), 'portcullis-identity-')), 'registry.sqlite')));

test('sqlite identity: shares the content store file, versioned on its own, survives reopening', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-identity-')), 'registry.sqlite');
  const content = new SqliteMetadataStore(path);
  const identity = new SqliteIdentityStore(path);
  await identity.createProject({ name: 'team', public: false, createdAt: '2026-01-01T00:00:00.000Z' });
  await content.linkBlob('team/app', `sha256:${'a'.repeat(64)}`);
  assert.equal(content.db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'the content version is untouched');
  assert.deepEqual(identity.db.prepare("SELECT version FROM schema_components WHERE component = 'identity'").get(), { version: IDENTITY_SCHEMA_VERSION });
  await identity.close();
  await content.close();
  const again = new SqliteIdentityStore(path);
  assert.equal((await again.getProject('team'))?.name, 'team');
  await again.close();
});

test('sqlite identity: accounts from a newer portcullis are refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-identity-')), 'registry.sqlite');
  new SqliteIdentityStore(path).db.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'identity'").run(IDENTITY_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteIdentityStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
});

test('sqlite identity: a v1 file (before project settings) is migrated to the current version, its projects kept without settings', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-identity-')), 'registry.sqlite');
  const first = new SqliteIdentityStore(path);
  await first.createProject({ name: 'team', public: true, createdAt: '2026-01-01T00:00:00.000Z' });
  await first.close();
  // What v1 left: no settings column, version 1.
  const raw = new Database(path);
  raw.exec('ALTER TABLE projects DROP COLUMN settings; DROP TABLE oidc_links');
  raw.prepare("UPDATE schema_components SET version = 1 WHERE component = 'identity'").run();
  raw.close();
  const again = new SqliteIdentityStore(path);
  assert.equal(IDENTITY_SCHEMA_VERSION, 3);
  assert.deepEqual(again.db.prepare("SELECT version FROM schema_components WHERE component = 'identity'").get(), { version: 3 });
  assert.deepEqual(await again.getProject('team'), { name: 'team', public: true, createdAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(await again.getProjectSettings('team'), undefined);
  assert.equal(await again.setProjectSettings('team', { quota: '1GiB' }), true);
  assert.deepEqual(await again.getProjectSettings('team'), { quota: '1GiB' });
  await again.close();
});

test('sqlite identity: a v2 file (before OIDC accounts) is migrated to v3, its users kept, and OIDC accounts can be made', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-identity-')), 'registry.sqlite');
  const first = new SqliteIdentityStore(path);
  const admin = { name: 'admin', passwordHash: '$argon2id$x', admin: true, createdAt: '2026-01-01T00:00:00.000Z', passwordChangedAt: '2026-01-01T00:00:00.000Z' };
  await first.createUser(admin);
  await first.close();
  // What v2 left: no oidc_links table, version 2.
  const raw = new Database(path);
  raw.exec('DROP TABLE oidc_links');
  raw.prepare("UPDATE schema_components SET version = 2 WHERE component = 'identity'").run();
  raw.close();
  const again = new SqliteIdentityStore(path);
  assert.deepEqual(again.db.prepare("SELECT version FROM schema_components WHERE component = 'identity'").get(), { version: 3 });
  assert.deepEqual(await again.getUser('admin'), admin);
  assert.equal(await again.createOidcUser({ ...admin, name: 'alice', admin: false, passwordHash: '!oidc' }, 'https://id.example', 'sub-1'), true);
  assert.equal((await again.getOidcLink('https://id.example', 'sub-1'))?.user, 'alice');
  await again.close();
});
