/**
 * The walk's caps through the real CLI (`node bin/portcullis.js sbom`): an
 * image listing one layer 100 times gives the same packages as the image
 * with it once (the last listing wins, so only the layer positions differ);
 * over PORTCULLIS_MAX_LAYERS or PORTCULLIS_MAX_ENTRIES, and over the default
 * 1,000 layers, sbom exits 12 (incomplete) with one reason naming the cap and
 * the flag and variable that raise it; `--max-layers` / `--max-entries` do
 * the same for sbom and scan (over the variable), and make image lint fail
 * with exit 12; a cap that is not a positive whole number is a usage error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { runCliProcess } from '../support/cli.js';
import { VULNDATA } from '../support/paths.js';
import { buildLayout, writeStreamedLayer, type BuiltLayout, type TarEntry } from '../support/oci-builder.js';

let work: string;
let once: BuiltLayout;
let hundred: BuiltLayout;
let tooMany: BuiltLayout;

function* files(count: number): Generator<TarEntry> {
  yield { name: 'usr/lib/node_modules/lodash/package.json', body: JSON.stringify({ name: 'lodash', version: '4.17.15' }) };
  for (let i = 0; i < count; i++) yield { name: `usr/share/doc/p${i % 100}/f${i}.txt`, body: 'x' };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-scan-bounds-cli-'));
  const layout = async (name: string, times: number): Promise<BuiltLayout> => {
    const dir = join(work, name);
    const layer = await writeStreamedLayer(dir, files(3000));
    return buildLayout({ dir, layers: Array.from({ length: times }, () => ({ written: layer })) });
  };
  once = await layout('once', 1);
  hundred = await layout('hundred', 100);
  tooMany = await layout('too-many', 1001);
  await importPaths(join(work, 'advisories.sqlite'), [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
});
after(() => rmSync(work, { recursive: true, force: true }));

// The layer cache on (runCliProcess turns it off): the second run replays the layer.
const env = (): NodeJS.ProcessEnv => ({ PORTCULLIS_CACHE_DIR: join(work, 'cache'), PORTCULLIS_LAYER_CACHE: 'on' });

function packagesOf(stdout: string): string[] {
  const sbom = JSON.parse(stdout) as { components?: Array<{ purl?: string }> };
  return (sbom.components ?? []).map((c) => c.purl ?? '').sort();
}

test('a layer listed 100 times gives the packages of the layer listed once, cold and from the layer cache', async () => {
  const single = await runCliProcess(['sbom', once.name, '--format', 'cyclonedx'], env());
  assert.equal(single.code, 0, single.stderr);
  assert.deepEqual(packagesOf(single.stdout), ['pkg:npm/lodash@4.17.15']);
  for (const run of ['cold', 'warm']) {
    const repeated = await runCliProcess(['sbom', hundred.name, '--format', 'cyclonedx'], env());
    assert.equal(repeated.code, 0, `${run}: ${repeated.stderr}`);
    assert.deepEqual(packagesOf(repeated.stdout), packagesOf(single.stdout), run);
  }
});

test('over PORTCULLIS_MAX_LAYERS: exit 12, the reason names the cap and how to raise it', async () => {
  const r = await runCliProcess(['sbom', hundred.name], { ...env(), PORTCULLIS_MAX_LAYERS: '50' });
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, /incomplete: layers: the image has 100 layers, over the cap of 50 layers a scan reads \(set --max-layers or PORTCULLIS_MAX_LAYERS to raise it\)/);
});

test('over PORTCULLIS_MAX_ENTRIES: exit 12, the reason names the cap and how to raise it', async () => {
  const r = await runCliProcess(['sbom', hundred.name], { ...env(), PORTCULLIS_MAX_ENTRIES: '10000' });
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, /incomplete: layers: (layer \d+ \(sha256:[0-9a-f]{12}\): )?the image's layers hold more than 10000 tar entries, over the cap a scan visits .*\(set --max-entries or PORTCULLIS_MAX_ENTRIES to raise it\)/);
});

test('over the default 1,000 layers: exit 12 without reading a layer', async () => {
  const r = await runCliProcess(['sbom', tooMany.name], env());
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, /the image has 1001 layers, over the cap of 1000 layers a scan reads \(set --max-layers or PORTCULLIS_MAX_LAYERS to raise it\)/);
});

test('--max-layers and --max-entries: sbom and scan end incomplete (exit 12) naming the flag; over the variable', async () => {
  const layers = await runCliProcess(['sbom', hundred.name, '--max-layers', '50'], { ...env(), PORTCULLIS_MAX_LAYERS: '5000' });
  assert.equal(layers.code, 12, layers.stderr);
  assert.match(layers.stderr, /incomplete: layers: the image has 100 layers, over the cap of 50 layers a scan reads \(set --max-layers or PORTCULLIS_MAX_LAYERS to raise it\)/);
  const raised = await runCliProcess(['sbom', hundred.name, '--max-layers', '100', '--format', 'cyclonedx'], { ...env(), PORTCULLIS_MAX_LAYERS: '5' });
  assert.equal(raised.code, 0, raised.stderr);
  assert.deepEqual(packagesOf(raised.stdout), ['pkg:npm/lodash@4.17.15']);
  const scanned = await runCliProcess(['scan', hundred.name, '--offline', '--db', join(work, 'advisories.sqlite'), '--max-entries', '10000', '--format', 'json'], env());
  assert.equal(scanned.code, 12, scanned.stderr);
  assert.match(scanned.stderr, /incomplete: layers: .*more than 10000 tar entries, over the cap a scan visits .*\(set --max-entries or PORTCULLIS_MAX_ENTRIES to raise it\)/);
  assert.match(JSON.stringify((JSON.parse(scanned.stdout) as { incomplete?: unknown }).incomplete), /10000 tar entries/);
});

test('--max-layers on image lint: exit 12 over the cap; a cap that is not a positive whole number: usage error', async () => {
  const linted = await runCliProcess(['lint', hundred.name, '--max-layers', '50'], env());
  assert.equal(linted.code, 12, linted.stderr);
  assert.match(linted.stderr, /the image has 100 layers, over the cap of 50 layers a scan reads/);
  for (const bad of ['0', '-1', '1e3', 'many']) {
    const r = await runCliProcess(['sbom', once.name, '--max-entries', bad], env());
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--max-entries takes a positive whole number/);
  }
});
