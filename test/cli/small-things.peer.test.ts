/**
 * The small things a newcomer notices, each as a user meets it: plurals
 * ("1 vulnerability"), the scan table's title line with the database age,
 * no `(devel)` warning for a Go binary's main module, `lint --explain`,
 * progress lines with human sizes and rates, and a `db import` progress that
 * counts what it read instead of sitting at N/N.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { progressLine } from '../../src/cli/output.js';
import { importPaths, type ImportProgress } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { PEERS, VULNDATA } from '../support/paths.js';
import { runCommand } from '../support/peers.js';

let work: string;
let rootfs: string;
let db: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-small-'));
  rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
  const probe = join(work, 'probe');
  // A real module-mode Go binary: main module example.com/portcullis-probe (devel), golang.org/x/text v0.7.0.
  const built = await runCommand('bash', [join(PEERS, 'go-binary.sh'), probe], { timeoutMs: 300_000 });
  assert.equal(built.code, 0, built.stderr);
  copyFileSync(probe, join(rootfs, 'usr/local/bin/probe'));
  chmodSync(join(rootfs, 'usr/local/bin/probe'), 0o755);
  const osv = join(work, 'osv');
  mkdirSync(osv);
  writeFileSync(
    join(osv, 'GO-TEST-0001.json'),
    JSON.stringify({
      schema_version: '1.6.0',
      id: 'GO-TEST-0001',
      modified: '2024-01-01T00:00:00Z',
      summary: 'x/text test advisory',
      affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/text' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.8.0' }] }] }],
      database_specific: { severity: 'HIGH' },
    }),
  );
  db = join(work, 'db.sqlite');
  await importPaths(db, [osv]);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('scan: a title line naming the target and the database age, "1 vulnerability", no (devel) warning for the main module', async () => {
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0] ?? '', new RegExp(`^Vulnerability scan of ${rootfs.replace(/[.]/g, '\\.')} \\(advisories updated \\d{4}-\\d{2}-\\d{2}, the day of the scan\\)$`));
  assert.ok(lines.includes('4 packages, 1 vulnerability (HIGH: 1)'), r.stdout);
  assert.match(r.stdout, /GO-TEST-0001\s+golang\.org\/x\/text\s+v0\.7\.0/);
  assert.doesNotMatch(r.stderr, /devel|no module version/, r.stderr);
  const gate = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '1', '--format', 'json']);
  assert.equal(gate.code, 1);
  assert.match(gate.stderr, /^portcullis: 1 vulnerability remains after filters \(exit code 1\)$/m);
});

test('lint --explain RULE prints the rule\'s text; an unknown one is exit 2 with the near matches; the table points at it', async () => {
  const r = await runCli(['lint', '--explain', 'dockerfile/pipe-to-shell']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dockerfile\/pipe-to-shell: Downloaded script piped into a shell\nSeverity: HIGH; CIS Docker Benchmark 4\.11\n\n`curl … \| sh`/);
  assert.match(r.stdout, /\nFix\nDownload to a file, verify its checksum or signature, then run it:/);
  const short = await runCli(['lint', '--explain', 'pipe-to-shell']);
  assert.equal(short.stdout, r.stdout);
  const unknown = await runCli(['lint', '--explain', 'healthcheck']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "portcullis: unknown rule id 'healthcheck'; did you mean dockerfile/no-healthcheck, image/no-healthcheck?\n");
  const list = await runCli(['lint', '--explain']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^RULE\s+SEVERITY\s+CIS\s+TITLE\n/);
  const dockerfile = join(work, 'Dockerfile');
  writeFileSync(dockerfile, 'FROM debian:12\nRUN curl https://example.com/x.sh | sh\n');
  const table = await runCli(['lint', dockerfile]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /\nWhy and how to fix: portcullis lint --explain dockerfile\/[a-z-]+\n$/);
  assert.doesNotMatch(table.stdout, /docs\/lint-rules\.md/);
  const none = await runCli(['lint']);
  assert.equal(none.code, 2);
});

test('progress lines: human sizes, a percentage only with a total, a rate; records counted, not pinned at N/N', () => {
  assert.equal(
    progressLine({ phase: 'download osv', value: 131072, total: 3402631, unit: 'bytes', elapsedMs: 1000 }),
    'download osv [█░░░░░░░░░░░░░░░░░░░░░░░] 3% 128 KiB of 3.2 MiB, 128 KiB/s',
  );
  assert.equal(progressLine({ phase: 'download nvd', value: 12 * 1024 * 1024, unit: 'bytes', elapsedMs: 4000 }), 'download nvd 12.0 MiB, 3.0 MiB/s');
  assert.equal(progressLine({ phase: 'download eol', value: 0, unit: 'bytes', elapsedMs: 0 }), 'download eol');
  assert.equal(
    progressLine({ phase: 'import', value: 12000, unit: { singular: 'advisory', plural: 'advisories' }, files: 37, detail: '…/GHSA-x.json', elapsedMs: 5000 }),
    'import 12,000 advisories from 37 files …/GHSA-x.json',
  );
  assert.equal(progressLine({ phase: 'import', value: 1, unit: { singular: 'advisory', plural: 'advisories' }, files: 1, elapsedMs: 0 }), 'import 1 advisory from 1 file');
});

test('db import reports progress as it reads: files opened and advisories so far, both growing', async () => {
  const seen: ImportProgress[] = [];
  const result = await importPaths(join(work, 'progress.sqlite'), [join(VULNDATA, 'alpine-secdb/yaml/v3.4')], { onProgress: (p) => seen.push(p) });
  assert.ok(seen.length >= 2, `${seen.length} progress events`);
  const files = seen.map((p) => p.files);
  assert.deepEqual(files, [...files].sort((a, b) => a - b), 'files only grow');
  assert.equal(Math.max(...files), result.inputs.filter((i) => i.format !== 'unknown').length);
  assert.equal(seen[0]?.advisories, 0, 'the first event comes when the first file opens, before anything is counted');
});
