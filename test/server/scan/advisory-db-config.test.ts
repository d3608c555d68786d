/**
 * `scan.db` naming the PostgreSQL advisory store: a URL in a configuration
 * file is kept as it is (not resolved as a path beside the file), printed
 * with its password redacted, refused beside `scan.dbFrom` (which pulls a
 * SQLite file); `db push` and `db pull` refuse it with a usage error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli.js';

const URL = 'postgres://scanner:s3cret@127.0.0.1:1/advisories';

async function withConfig(lines: readonly string[], fn: (config: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-advisory-db-config-'));
  try {
    const config = join(dir, 'portcullis.yaml');
    await writeFile(config, lines.join('\n'));
    await fn(config);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('scan.db: a postgres:// URL is kept whole and printed without its password', () =>
  withConfig(['root: ./data', 'scan:', `  db: ${URL}`], async (config) => {
    const printed = await runCli(['serve', '--config', config, '--print-config']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /db: postgres:\/\/scanner:\*\*\*@127\.0\.0\.1:1\/advisories/);
    assert.doesNotMatch(printed.stdout, /s3cret/);
  }));

test('scan.db on PostgreSQL with scan.dbFrom is refused: dbFrom pulls a SQLite file', () =>
  withConfig(['root: ./data', 'scan:', `  db: ${URL}`, '  dbFrom: docker://registry.example/portcullis/db:latest', 'policy:', '  requireSignature: true'], async (config) => {
    const r = await runCli(['serve', '--config', config, '--print-config']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /scan\.dbFrom.*pulls a SQLite database file/);
  }));

test('db push and db pull refuse a PostgreSQL store with a usage error that says what fills it', async () => {
  for (const command of ['push', 'pull']) {
    const r = await runCli(['db', command, 'docker://127.0.0.1:1/db:latest', '--db', URL]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`db ${command} moves a SQLite database file`));
    assert.doesNotMatch(r.stderr, /s3cret/);
  }
});
