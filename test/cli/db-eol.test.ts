/**
 * `db update --feeds eol` refreshes lint's end-of-life dates from a server in
 * the endoflife.date API format, and lint uses the refreshed dates.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';

test('db update refreshes the EOL data lint reads', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'portcullis-eol-'));
  const env = { PORTCULLIS_CACHE_DIR: cache };
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/api/debian.json') {
      // Debian 12's support ended in the past on this (fictional) mirror.
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify([{ cycle: '12', codename: 'Bookworm', releaseDate: '2023-06-10', eol: '2025-01-01', extendedSupport: '2025-06-01', latest: '12.9' }]),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const before = await runCli(['lint', 'oci:examples/hello:latest', '--format', 'json', '-q'], env);
    const ids = (text: string): string[] => (JSON.parse(text) as { findings: Array<{ ruleId: string }> }).findings.map((f) => f.ruleId);
    assert.ok(!ids(before.stdout).includes('image/eol-base'), `bundled data: Debian 12 is supported (${before.stderr})`);

    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const update = await runCli(['db', 'update', '--feeds', 'eol', '--eol-url', url, '--db', join(cache, 'db.sqlite'), '--format', 'json'], env);
    assert.equal(update.code, 0, update.stderr);
    const eol = (JSON.parse(update.stdout) as { eol: { refreshed: string[]; failed: unknown[] } }).eol;
    assert.deepEqual(eol.refreshed, ['debian']);
    assert.ok(requests.includes('/api/debian.json'));
    assert.ok(requests.every((r) => r.startsWith('/api/')), 'only the EOL API was asked');

    const after = await runCli(['lint', 'oci:examples/hello:latest', '--format', 'json', '-q'], env);
    assert.ok(ids(after.stdout).includes('image/eol-base'), after.stdout);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
