/**
 * `db import` of the same input twice changes nothing the second time, even
 * when the input holds two versions of one record (osv-linter's
 * GHSA-9v2f-6vcg-3hgv.json and nopackage-GHSA-9v2f-6vcg-3hgv.json, same id,
 * same `modified`, different content): it used to report "2 updated" on
 * every run, the two files overwriting each other.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importPaths, openAdvisoryStore } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { VULNDATA } from '../support/paths.js';

const LINTER = join(VULNDATA, 'osv/other-samples/osv-linter-testdata');

function state(db: string): { digest: string; changes: (string | null)[] } {
  const s = openAdvisoryStore(db);
  try {
    const changes = (s.db.prepare('SELECT last_change FROM sources ORDER BY feed').all() as { last_change: string | null }[]).map((r) => r.last_change);
    return { digest: s.contentDigest(), changes };
  } finally {
    void s.close();
  }
}

test('db import of identical input: 0 inserted, 0 updated the second time, and the same content digest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-idem-'));
  try {
    const db = join(dir, 'db.sqlite');
    const first = await runCli(['db', 'import', LINTER, '--db', db, '--format', 'json']);
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout) as { inserted: number; updated: number; warnings: { record: string; message: string }[] };
    assert.equal(r1.inserted, 9);
    assert.equal(r1.updated, 0);
    // The later duplicate is named, with the file that won.
    const dup = r1.warnings.find((w) => /already imported from/.test(w.message));
    assert.ok(dup, JSON.stringify(r1.warnings));
    assert.match(dup.record, /nopackage-GHSA-9v2f-6vcg-3hgv\.json: GHSA-9v2f-6vcg-3hgv$/);
    assert.match(dup.message, /GHSA-9v2f-6vcg-3hgv\.json in this import; kept that one$/);
    const before = state(db);

    const second = await runCli(['db', 'import', LINTER, '--db', db]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /: 0 inserted, 0 updated, 9 unchanged, 2 skipped\n$/);
    assert.deepEqual(state(db), before, 'no row rewritten, no feed marked changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('within one import a later copy of a record wins only when its modified date is newer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-idem-'));
  try {
    const input = join(dir, 'in');
    mkdirSync(input);
    const base = JSON.parse(readFileSync(join(LINTER, 'GO-2020-0001.json'), 'utf8')) as Record<string, unknown>;
    // a-… is read first (the walk is sorted), b-… second with a newer date and another summary.
    writeFileSync(join(input, 'a.json'), JSON.stringify({ ...base, modified: '2024-01-01T00:00:00Z', summary: 'old words' }));
    writeFileSync(join(input, 'b.json'), JSON.stringify({ ...base, modified: '2024-06-01T00:00:00Z', summary: 'new words' }));
    const db = join(dir, 'db.sqlite');
    const r1 = await importPaths(db, [input]);
    assert.deepEqual([r1.inserted, r1.updated], [1, 1]);
    const s = openAdvisoryStore(db);
    assert.equal((await s.getById('GO-2020-0001'))?.summary, 'new words');
    await s.close();
    const r2 = await importPaths(db, [input]);
    assert.deepEqual([r2.inserted, r2.updated, r2.unchanged], [0, 0, 2]);
    // An older copy read later never replaces the newer one read first.
    copyFileSync(join(input, 'a.json'), join(input, 'c.json'));
    const r3 = await importPaths(db, [input]);
    assert.deepEqual([r3.inserted, r3.updated], [0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
