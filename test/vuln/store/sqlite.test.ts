import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Advisory } from '../../../src/core/advisory.js';
import { importPaths } from '../../../src/vuln/db.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteAdvisoryStore, migrate } from '../../../src/vuln/store/sqlite.js';
import { StoreError } from '../../../src/vuln/store/store.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'portcullis-store-'));
}

const base: Advisory = {
  id: 'GHSA-test-0001-aaaa',
  feed: 'osv',
  scope: '',
  aliases: ['CVE-2099-0001'],
  upstream: [],
  summary: 'first',
  severities: [{ source: 'ghsa', severity: 'HIGH', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', score: 8.8 } }],
  references: [{ type: 'WEB', url: 'https://example.invalid/a' }],
  modified: '2024-01-01T00:00:00Z',
  affected: [{ ecosystem: 'PyPI', name: 'foo-bar', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2' }] }], fixed: '1.2', status: 'fixed', sourceRecord: 'GHSA-test-0001-aaaa' }],
};

test('upsert: inserted, unchanged, updated by newer modified, older ignored; lookups', async () => {
  const dir = tmp();
  const store = new SqliteAdvisoryStore(join(dir, 'db.sqlite'));
  try {
    assert.equal(await store.upsert(base), 'inserted');
    assert.equal(await store.upsert(base), 'unchanged');
    assert.equal(await store.upsert({ ...base, summary: 'older', modified: '2023-01-01T00:00:00Z' }), 'unchanged');
    assert.equal((await store.getById(base.id))!.summary, 'first');
    assert.equal(await store.upsert({ ...base, summary: 'newer', modified: '2024-02-01T00:00:00Z' }), 'updated');
    assert.equal((await store.getById(base.id))!.summary, 'newer');
    assert.deepEqual((await store.getById(base.id))!.severities, base.severities);
    // PEP 503: the query name is normalised like the stored one
    const found = await store.findAffected('PyPI', 'Foo_Bar');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.affected.fixed, '1.2');
    assert.deepEqual((await store.byAlias('CVE-2099-0001')).map((a) => a.id), [base.id]);
    // NVD enrichment under the CVE id merges with nothing else; a withdrawn record never matches
    await store.upsert({ ...base, id: 'GHSA-test-0002-bbbb', withdrawn: '2024-03-01T00:00:00Z' });
    assert.equal((await store.findAffected('PyPI', 'foo-bar')).length, 1);
    assert.equal((await store.findAffected('PyPI', 'foo-bar', { includeWithdrawn: true })).length, 2);
    assert.equal(store.rowCounts().affected, 2);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records of one id from several feeds and scopes are merged when read', async () => {
  const dir = tmp();
  const store = new SqliteAdvisoryStore(join(dir, 'db.sqlite'));
  try {
    const alpine = (scope: string, eco: string): Advisory => ({
      id: 'ALPINE-CVE-2099-1', feed: 'alpine-secdb', scope, aliases: [], upstream: ['CVE-2099-1'], severities: [], references: [],
      affected: [{ ecosystem: eco, name: 'zlib', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-r0' }] }], fixed: '1.2-r0', status: 'fixed', sourceRecord: `alpine-secdb:${scope}` }],
    });
    await store.upsert(alpine('v3.10/main', 'Alpine:v3.10'));
    await store.upsert(alpine('v3.11/main', 'Alpine:v3.11'));
    const merged = (await store.getById('ALPINE-CVE-2099-1'))!;
    assert.deepEqual(merged.affected.map((a) => a.ecosystem), ['Alpine:v3.10', 'Alpine:v3.11']);
    assert.deepEqual((await store.byAlias('CVE-2099-1')).map((a) => a.id), ['ALPINE-CVE-2099-1']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrations: a v1 database is upgraded to the latest with its data kept; a newer one is refused', async () => {
  const dir = tmp();
  const path = join(dir, 'db.sqlite');
  try {
    const raw = new Database(path);
    assert.equal(migrate(raw, 1), 1);
    raw.prepare("INSERT INTO records (id, feed, scope, content_hash) VALUES ('GO-2099-0001', 'osv', '', 'x')").run();
    raw.close();
    const store = new SqliteAdvisoryStore(path);
    assert.equal((await store.status()).schemaVersion, SCHEMA_VERSION);
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
    assert.equal((await store.getById('GO-2099-0001'))!.id, 'GO-2099-0001');
    await store.setMeta('k', 'v'); // table added by v2
    assert.equal(await store.getMeta('k'), 'v');
    await store.close();
    const bump = new Database(path);
    bump.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    bump.close();
    assert.throws(() => new SqliteAdvisoryStore(path), (e: unknown) => e instanceof StoreError && e.code === 'DB_TOO_NEW');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transaction: a throw rolls every write back', async () => {
  const dir = tmp();
  const store = new SqliteAdvisoryStore(join(dir, 'db.sqlite'));
  try {
    await assert.rejects(store.transaction(async () => {
      await store.upsert(base);
      throw new Error('boom');
    }), /boom/);
    assert.equal(await store.getById(base.id), undefined);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const INPUTS = [join(VULNDATA, 'osv/go-vulndb'), join(VULNDATA, 'osv/rustsec'), join(VULNDATA, 'alpine-secdb/yaml'), join(VULNDATA, 'debian-tracker/tracker-json'), join(VULNDATA, 'nvd')];

test('re-importing the same real data changes nothing (row counts and content digest)', async () => {
  const dir = tmp();
  const path = join(dir, 'db.sqlite');
  try {
    const first = await importPaths(path, INPUTS);
    assert.ok(first.inserted > 15000);
    let store = new SqliteAdvisoryStore(path);
    const counts = store.rowCounts();
    const digest = store.contentDigest();
    await store.close();
    const second = await importPaths(path, INPUTS);
    assert.equal(second.inserted, 0);
    assert.equal(second.skipped.length, first.skipped.length);
    store = new SqliteAdvisoryStore(path);
    assert.deepEqual(store.rowCounts(), counts);
    assert.equal(store.contentDigest(), digest);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL mid-import leaves the previous database intact and usable', async () => {
  const dir = tmp();
  const path = join(dir, 'db.sqlite');
  try {
    await importPaths(path, [join(VULNDATA, 'nvd')]);
    let store = new SqliteAdvisoryStore(path);
    const before = store.rowCounts();
    const digest = store.contentDigest();
    await store.close();
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { importPaths } from ${JSON.stringify(join(REPO_ROOT, 'src/vuln/db.ts'))};
       await importPaths(${JSON.stringify(path)}, ${JSON.stringify([join(VULNDATA, 'osv/go-vulndb'), join(VULNDATA, 'osv/pypi-pypa')])},
         { onProgress: (p) => { if (p.advisories >= 2000) process.stdout.write('MIDWAY\\n'); } });
       process.stdout.write('DONE\\n');`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const outcome = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('MIDWAY') && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => resolve(`${out.includes('DONE') ? 'done' : 'killed'}:${signal ?? code}`));
    });
    assert.equal(outcome, 'killed:SIGKILL');
    store = new SqliteAdvisoryStore(path);
    assert.deepEqual(store.rowCounts(), before);
    assert.equal(store.contentDigest(), digest);
    assert.equal((await store.byAlias('CVE-2024-3094'))[0]!.id, 'CVE-2024-3094');
    assert.equal(await store.upsert(base), 'inserted', 'still writable');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
