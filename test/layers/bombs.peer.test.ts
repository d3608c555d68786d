/**
 * Decompression bombs through the real CLI: a layer of a few KB (zstd) or a
 * few MB (gzip) that expands to 1 GiB of zeros, built at test time, read by
 * `portcullis inspect` and `portcullis cat` (the walker) in a child process
 * whose peak RSS (getrusage maxrss, written at exit by a preloaded module) must
 * stay under 400 MB. Before the zstd decoder honoured back-pressure, inspect
 * of such a zstd layer took the process past 1 GB.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildLayout } from '../support/oci-builder.js';
import { CLI, REPO_ROOT } from '../support/paths.js';
import { runCommand } from '../support/peers.js';
import { MAX_RSS_PRELOAD, zeroBomb } from './bomb.js';

const GIB = 1024 ** 3;
const RSS_LIMIT_KB = 400 * 1024;

let work: string;
let preload: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'layers-bombs-'));
  preload = join(work, 'max-rss.mjs');
  writeFileSync(preload, MAX_RSS_PRELOAD);
});
after(() => rmSync(work, { recursive: true, force: true }));

async function runMeasured(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; maxRssKb: number }> {
  const rssFile = join(work, `rss-${args[0]}-${Date.now()}`);
  const r = await runCommand(process.execPath, ['--import', preload, CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', MAX_RSS_FILE: rssFile },
    cwd: REPO_ROOT,
    timeoutMs: 600_000,
  });
  return { ...r, maxRssKb: Number(readFileSync(rssFile, 'utf8')) };
}

for (const how of ['zstd', 'gzip'] as const) {
  test(`a 1 GiB ${how} bomb streams through inspect and the walker in under 400 MB`, async (t) => {
    const { blob, diffId } = await zeroBomb(join(work, `bomb.${how}`), GIB, how);
    assert.ok(blob.length < (how === 'zstd' ? 256 * 1024 : 8 * 1024 * 1024), `${how} bomb is ${blob.length} bytes`);
    const layout = await buildLayout({ dir: join(work, `layout-${how}`), layers: [{ raw: blob, compression: how, diffId }] });

    const inspect = await runMeasured(['inspect', layout.name, '--verify-layers']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /\(1\.0 GiB uncompressed\)/);
    assert.ok(inspect.maxRssKb < RSS_LIMIT_KB, `inspect peaked at ${Math.round(inspect.maxRssKb / 1024)} MB`);

    // cat walks every layer with the merged view; the file it asks for is not there.
    const cat = await runMeasured(['cat', layout.name, '/etc/passwd']);
    assert.equal(cat.code, 3, cat.stderr);
    assert.ok(cat.maxRssKb < RSS_LIMIT_KB, `cat peaked at ${Math.round(cat.maxRssKb / 1024)} MB`);
    t.diagnostic(`${how}: ${blob.length} bytes → 1 GiB; peak RSS inspect ${Math.round(inspect.maxRssKb / 1024)} MB, cat ${Math.round(cat.maxRssKb / 1024)} MB`);
  });
}
