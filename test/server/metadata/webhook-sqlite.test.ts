import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ServeError } from '../../../src/server/errors.js';
import { SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import { WEBHOOK_SCHEMA_VERSION, SqliteWebhookStore } from '../../../src/server/metadata/webhook-sqlite.js';
import { webhookStoreContract } from './webhook-contract.js';

webhookStoreContract('sqlite', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-webhooks-')), 'registry.sqlite');
  return { identity: new SqliteIdentityStore(path), open: async () => new SqliteWebhookStore(path) };
});

test('sqlite webhooks: versioned on their own in the shared file; a newer schema is refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-webhooks-')), 'registry.sqlite');
  const identity = new SqliteIdentityStore(path);
  const store = new SqliteWebhookStore(path);
  assert.deepEqual(store.db.prepare("SELECT version FROM schema_components WHERE component = 'webhooks'").get(), { version: WEBHOOK_SCHEMA_VERSION });
  await store.close();
  await identity.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'webhooks'").run(WEBHOOK_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteWebhookStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
});
