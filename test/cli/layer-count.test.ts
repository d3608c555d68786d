/**
 * An image whose manifest lists more (or fewer) layers than its config has
 * rootfs.diff_ids is malformed: the extra layer is vouched for by nothing.
 * Every command that reads an image refuses it with MANIFEST_INVALID (exit 7)
 * and one line naming both counts; `copy` to docker-archive already did.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildLayout, sha256, tarOf, type BuiltLayout, type TarEntry } from '../support/oci-builder.js';
import { VULNDATA } from '../support/paths.js';

let work: string;
let db: string;
let twoLayersOneDiffId: BuiltLayout;
let oneLayerTwoDiffIds: BuiltLayout;
let consistent: BuiltLayout;

const BASE: TarEntry[] = [{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n' }];
const EXTRA: TarEntry[] = [{ name: 'usr/bin/extra', body: 'not in the config\n' }];

function config(diffIds: string[]): Record<string, unknown> {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_d, i) => ({ created_by: `layer ${i}` })),
  };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-layer-count-'));
  db = join(work, 'db.sqlite');
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
  const base = `sha256:${sha256(await tarOf(BASE))}`;
  const extra = `sha256:${sha256(await tarOf(EXTRA))}`;
  twoLayersOneDiffId = await buildLayout({ layers: [{ entries: BASE }, { entries: EXTRA }], config: config([base]) });
  oneLayerTwoDiffIds = await buildLayout({ layers: [{ entries: BASE }], config: config([base, extra]) });
  consistent = await buildLayout({ layers: [{ entries: BASE }, { entries: EXTRA }], config: config([base, extra]) });
});

after(() => rmSync(work, { recursive: true, force: true }));

function commands(name: string): string[][] {
  return [
    ['inspect', name, '-q'],
    ['inspect', name, '-q', '--no-measure'],
    ['sbom', name, '-q'],
    ['scan', name, '-q', '--db', db],
    ['lint', name, '-q'],
    ['cat', name, '/etc/os-release', '-q'],
  ];
}

function assertRefused(result: CliResult, args: readonly string[], layers: number, diffIds: number): void {
  assert.equal(result.code, 7, `${args.join(' ')}: exit 7 (unsupported input); stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${args.join(' ')}: one line, got: ${result.stderr}`);
  const noun = diffIds === 1 ? 'entry' : 'entries';
  assert.match(lines[0] ?? '', new RegExp(`^portcullis: image sha256:[0-9a-f]{64}: the manifest lists ${layers} layers? but the config's rootfs\\.diff_ids has ${diffIds} ${noun}$`));
  assert.equal(result.stdout, '', `${args.join(' ')}: nothing reported about the image`);
}

test('two layers, one diff_id: inspect, sbom, scan, lint and cat refuse it (exit 7)', async () => {
  for (const args of commands(twoLayersOneDiffId.name)) assertRefused(await runCli(args), args, 2, 1);
});

test('one layer, two diff_ids: refused the same way', async () => {
  for (const args of commands(oneLayerTwoDiffIds.name)) assertRefused(await runCli(args), args, 1, 2);
});

test('the same image with matching counts works (control)', async () => {
  for (const args of commands(consistent.name)) {
    const r = await runCli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});
