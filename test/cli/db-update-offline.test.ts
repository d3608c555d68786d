/**
 * A new user's first `db update` without a network, as the CLI runs it: it
 * fails on the first feed (the EOL dates come first) with the real cause in
 * its one-line message and exit 5, leaves no database file, and `scan` then
 * says there is no database (exit 11), not that it is empty.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';

test('db update offline: exit 5 naming ECONNREFUSED, no database left, scan says "no advisory database"', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-offline-'));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  const env = { PORTCULLIS_CACHE_DIR: join(dir, 'cache'), HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '' };
  const db = join(dir, 'db', 'advisories.sqlite');
  const urls = ['--eol-url', nowhere, '--osv-url', `${nowhere}/osv`, '--alpine-url', `${nowhere}/alpine/`, '--debian-url', `${nowhere}/debian`, '--nvd-url', `${nowhere}/nvd`];
  try {
    const all = await runCli(['db', 'update', '--db', db, ...urls], env);
    assert.equal(all.code, 5, all.stderr);
    assert.match(all.stderr, new RegExp(`^portcullis: .*cannot reach ${nowhere}/api/\\S+\\.json: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\n$`));

    const osv = await runCli(['db', 'update', '--db', db, '--feeds', 'osv,nvd', ...urls], env);
    assert.equal(osv.code, 5, osv.stderr);
    assert.match(osv.stderr, new RegExp(`^portcullis: osv feed: cannot reach ${nowhere}/osv/\\S+/all\\.zip: connect ECONNREFUSED`));
    assert.equal(existsSync(db), false, 'no database file');
    assert.deepEqual(await readdir(join(dir, 'db')).catch(() => []), [], 'no WAL or download directory beside it');

    // scan's own first-run download, through the mirror variables, fails the same way and says so.
    const mirrors = { PORTCULLIS_OSV_URL: `${nowhere}/osv`, PORTCULLIS_ALPINE_URL: `${nowhere}/alpine/`, PORTCULLIS_DEBIAN_URL: `${nowhere}/debian`, PORTCULLIS_NVD_URL: `${nowhere}/nvd` };
    const scan = await runCli(['scan', 'oci:examples/hello:latest', '--db', db], { ...env, ...mirrors });
    assert.equal(scan.code, 11, scan.stderr);
    assert.match(scan.stderr, /no advisory database at .*, and it could not be downloaded: osv feed: .*ECONNREFUSED/);
    assert.equal(existsSync(db), false, 'still no database file');
    assert.doesNotMatch(scan.stderr, /empty/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
