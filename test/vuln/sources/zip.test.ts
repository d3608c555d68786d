import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { openZip, zipEntries, type ZipEntry } from '../../../src/vuln/sources/zip.js';

const FILES: Record<string, Uint8Array> = {
  'dir/': new Uint8Array(0),
  'dir/a.json': new TextEncoder().encode(JSON.stringify({ id: 'A', details: 'x'.repeat(5000) })),
  'b.yaml': new TextEncoder().encode('id: B\n'),
  'ignored.txt': new TextEncoder().encode('not wanted'),
  'é-utf8.json': new TextEncoder().encode('{"id":"C"}'),
};
const want = (name: string): boolean => !name.endsWith('/') && /\.(json|ya?ml)$/i.test(name);

async function collect(path: string): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for await (const e of zipEntries(path, want)) out.push(e);
  return out;
}

test('zip entries through the central directory: stored and deflated, in order, only the wanted names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-zip-'));
  try {
    const path = join(dir, 'all.zip');
    writeFileSync(path, zipSync({ ...FILES, 'b.yaml': [FILES['b.yaml']!, { level: 0 }] }));
    const reader = openZip(path);
    assert.ok(reader, 'central directory found');
    reader.close();
    const entries = await collect(path);
    assert.deepEqual(entries.map((e) => e.name), ['dir/a.json', 'b.yaml', 'é-utf8.json']);
    for (const e of entries) assert.deepEqual('data' in e ? new Uint8Array(e.data) : e, FILES[e.name]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a zip cut short has no central directory: streamed, entries before the cut still read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-zip-'));
  try {
    const whole = zipSync(FILES);
    const path = join(dir, 'cut.zip');
    writeFileSync(path, whole.subarray(0, whole.length - 40));
    assert.equal(openZip(path), undefined);
    const entries = await collect(path);
    assert.ok(entries.some((e) => e.name === 'dir/a.json' && 'data' in e && e.data.length === FILES['dir/a.json']!.length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a zip bomb entry is refused by its declared size and by the inflate cap', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bomb-'));
  // 100 MiB of zeros deflate to ~100 KiB: over the 64 MiB entry cap.
  const bomb = zipSync({ 'GO-2099-0001.json': new Uint8Array(100 * 1024 * 1024) }, { level: 9 });
  const path = join(dir, 'all.zip');
  writeFileSync(path, bomb);
  const seen: Array<{ name: string; error?: string; size?: number }> = [];
  for await (const entry of zipEntries(path, () => true)) {
    seen.push('error' in entry ? { name: entry.name, error: entry.error } : { name: entry.name, size: entry.data.length });
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0]?.error ?? '', /over the 67108864-byte limit/);
  rmSync(dir, { recursive: true, force: true });
});
