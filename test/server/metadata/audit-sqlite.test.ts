import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { completeEvent } from '../../../src/server/audit/event.js';
import { ServeError } from '../../../src/server/errors.js';
import { AUDIT_SCHEMA_VERSION, SqliteAuditStore } from '../../../src/server/metadata/audit-sqlite.js';
import { IDENTITY_SCHEMA_VERSION, SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import { SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { auditStoreContract } from './audit-contract.js';

auditStoreContract('sqlite', async () => new SqliteAuditStore(join(await mkdtemp(join(tmpdir(), 'portcullis-audit-')), 'registry.sqlite')));

test('sqlite audit: shares the file with the content and identity stores, versioned on its own, survives reopening', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-audit-')), 'registry.sqlite');
  const content = new SqliteMetadataStore(path);
  const identity = new SqliteIdentityStore(path);
  const audit = new SqliteAuditStore(path);
  await audit.append([completeEvent({ action: 'login', outcome: 'success', principal: 'alice', principalKind: 'user' }, new Date())]);
  await identity.createProject({ name: 'team', public: false, createdAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(content.db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'the content version is untouched');
  assert.deepEqual(audit.db.prepare('SELECT component, version FROM schema_components ORDER BY component').all(), [
    { component: 'audit', version: AUDIT_SCHEMA_VERSION },
    { component: 'identity', version: IDENTITY_SCHEMA_VERSION },
  ]);
  await audit.close();
  await identity.close();
  await content.close();
  const again = new SqliteAuditStore(path);
  assert.deepEqual((await again.query({ limit: 10 })).map((r) => r.principal), ['alice']);
  await again.close();
});

test('sqlite audit: a log from a newer portcullis is refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-audit-')), 'registry.sqlite');
  new SqliteAuditStore(path).db.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'audit'").run(AUDIT_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteAuditStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
});

test('sqlite audit: every query shape reads an index in (time, id) order, never a sort of the whole table', async () => {
  const store = new SqliteAuditStore(join(await mkdtemp(join(tmpdir(), 'portcullis-audit-')), 'registry.sqlite'));
  const plans: string[] = [];
  for (const where of ['', 'WHERE project = ?', 'WHERE principal = ? AND (time_ms, id) < (?, ?)', 'WHERE action = ? AND outcome = ?', 'WHERE time_ms >= ? AND project = ? AND repository = ?']) {
    const count = (where.match(/\?/g) ?? []).length;
    const rows = store.db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM audit_events ${where} ORDER BY time_ms DESC, id DESC LIMIT 10`).all(...new Array<number>(count).fill(1)) as Array<{ detail: string }>;
    plans.push(rows.map((r) => r.detail).join(' | '));
  }
  for (const plan of plans) {
    assert.match(plan, /USING INDEX audit_events_/, plan);
    assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
  }
  await store.close();
});
