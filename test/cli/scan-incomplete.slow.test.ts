/**
 * "A crashed cataloguer is not 'no packages'", as a user meets it, through
 * the real executable: hostile inputs built here, in a temporary directory.
 * - 130,000 package.json files in one layer (a spread of that many packages
 *   once overflowed the stack, the npm cataloguer's failure became a
 *   warning, and a CRITICAL package passed `--severity CRITICAL
 *   --exit-code 1` with exit 0): every package is read and the gate fails;
 * - a package database that cannot be read: exit 12 naming it, in every
 *   report format and in SBOMs (and an incomplete SBOM scans incomplete);
 *   `--allow-incomplete` gives the gate's own 0 or 1;
 * - 200,000 dpkg status paragraphs: every package counted;
 * - `scan --sbom` of 150,000 vulnerable components: exit 1 with every
 *   finding, not 70 (internal error);
 * - `--vex` with 150,000 statements: read, and it suppresses exactly what it
 *   names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ScanResult } from '../../src/core/finding.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCli, runCliProcess } from '../support/cli.js';
import { buildLayout, writeStreamedLayer, type TarEntry } from '../support/oci-builder.js';
import { DEBIAN_PRESENCE_ADVISORY, npmAdvisory, writeAdvisories } from '../support/osv.js';

const CRITICAL_ID = 'GHSA-c7c7-c7c7-c7c7';
const ENV = { XDG_CACHE_HOME: '/nonexistent-cache' };

let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-incomplete-'));
  db = join(dir, 'db.sqlite');
  await importPaths(db, [writeAdvisories(join(dir, 'osv'), [npmAdvisory(CRITICAL_ID, 'vulnpkg', '9.0.0', 'CRITICAL'), DEBIAN_PRESENCE_ADVISORY])]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function readResult(path: string): ScanResult {
  return JSON.parse(readFileSync(path, 'utf8')) as ScanResult;
}

function scan(args: readonly string[]) {
  return runCliProcess(['scan', ...args, '--db', db], ENV);
}

test('130,000 package.json files in one layer: every package read, the CRITICAL one fails the gate (exit 1)', async () => {
  const layout = join(dir, 'many-npm');
  function* entries(): Generator<TarEntry> {
    for (let i = 0; i < 130_000; i++) yield { name: `app/node_modules/pkg${i}/package.json`, body: `{"name":"pkg${i}","version":"1.0.${i % 7}"}` };
    yield { name: 'app/node_modules/vulnpkg/package.json', body: '{"name":"vulnpkg","version":"1.2.3"}' };
  }
  const written = await writeStreamedLayer(layout, entries());
  const image = await buildLayout({ dir: layout, layers: [{ written }] });
  const out = join(dir, 'many-npm.json');
  const r = await scan([image.name, '--severity', 'CRITICAL', '--exit-code', '1', '--format', 'json', '-o', out]);
  assert.equal(r.code, 1, r.stderr);
  const result = readResult(out);
  assert.deepEqual(result.packageCounts, { npm: 130_001 });
  assert.deepEqual(
    result.findings.map((f) => `${f.id} ${f.severity} ${f.package.name}@${f.installedVersion}`),
    [`${CRITICAL_ID} CRITICAL vulnpkg@1.2.3`],
  );
  assert.equal(result.incomplete, undefined);
  assert.doesNotMatch(r.stderr, /failed|call stack/);
  assert.match(r.stderr, /1 vulnerability remains after filters \(exit code 1\)/);
});

test('a package database that cannot be read: exit 12 naming it, whatever the gate; --allow-incomplete exits as the gate says', async () => {
  const image = await buildLayout({
    dir: join(dir, 'unreadable-db'),
    layers: [
      {
        entries: [
          { name: 'app/node_modules/vulnpkg/package.json', body: '{"name":"vulnpkg","version":"1.2.3"}' },
          // Where rpm keeps its database, something that is none of its formats.
          { name: 'var/lib/rpm/Packages', body: Buffer.alloc(8192, 0x5a) },
        ],
      },
    ],
  });
  const reason = 'rpm: var/lib/rpm/Packages: not an rpm database (neither SQLite, Berkeley DB hash nor NDB); not read';
  const out = join(dir, 'unreadable.json');

  const gated = await scan([image.name, '--severity', 'CRITICAL', '--exit-code', '1', '--format', 'json', '-o', out]);
  assert.equal(gated.code, 12, gated.stderr);
  assert.ok(gated.stderr.includes(`portcullis: incomplete: ${reason}\n`), gated.stderr);
  assert.match(gated.stderr, /the scan could not read everything it needed: findings may be missing \(exit code 12; --allow-incomplete accepts it\)/);
  const result = readResult(out);
  assert.deepEqual(result.incomplete, [reason]);
  assert.deepEqual(result.findings.map((f) => f.id), [CRITICAL_ID], 'the report still lists what was found');

  // No gate, no findings asked for, --quiet: still 12, still said.
  const quiet = await scan([image.name, '--quiet', '--format', 'json', '-o', out]);
  assert.equal(quiet.code, 12);
  assert.ok(quiet.stderr.includes(reason), quiet.stderr);

  const allowedGated = await scan([image.name, '--allow-incomplete', '--severity', 'CRITICAL', '--exit-code', '1', '--format', 'json', '-o', out]);
  assert.equal(allowedGated.code, 1, allowedGated.stderr);
  assert.ok(allowedGated.stderr.includes(`portcullis: warning: incomplete: ${reason}\n`), allowedGated.stderr);
  const allowed = await scan([image.name, '--allow-incomplete', '--format', 'json', '-o', out]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(readResult(out).incomplete, [reason], 'accepted, but the report still says so');

  // The report formats carry it.
  const sarifOut = join(dir, 'unreadable.sarif');
  assert.equal((await scan([image.name, '--allow-incomplete', '--format', 'sarif', '-o', sarifOut])).code, 0);
  const run = (JSON.parse(readFileSync(sarifOut, 'utf8')) as { runs: SarifRunShape[] }).runs[0]!;
  assert.equal(run.invocations?.[0]?.executionSuccessful, false);
  assert.deepEqual(run.invocations?.[0]?.toolExecutionNotifications.map((n) => `${n.level} ${n.message.text}`), [`error incomplete: ${reason}`]);
  const table = await scan([image.name]);
  assert.equal(table.code, 12);
  assert.ok(table.stdout.includes(`INCOMPLETE SCAN: findings may be missing (1 reason):\n  - ${reason}\n`), table.stdout);

  // An incomplete inventory is not a complete SBOM, and the SBOM remembers it.
  const sbomJson = join(dir, 'unreadable.inventory.json');
  const sbom = await runCliProcess(['sbom', image.name, '--format', 'json', '-o', sbomJson], ENV);
  assert.equal(sbom.code, 12, sbom.stderr);
  assert.match(sbom.stderr, /packages may be missing \(exit code 12/);
  assert.deepEqual((JSON.parse(readFileSync(sbomJson, 'utf8')) as { incomplete?: string[] }).incomplete, [reason]);
  const cdx = join(dir, 'unreadable.cdx.json');
  assert.equal((await runCliProcess(['sbom', image.name, '--format', 'cyclonedx', '--allow-incomplete', '-q', '-o', cdx], ENV)).code, 0);
  const props = (JSON.parse(readFileSync(cdx, 'utf8')) as { metadata: { properties?: Array<{ name: string; value: string }> } }).metadata.properties ?? [];
  assert.deepEqual(props.filter((p) => p.name === 'portcullis:incomplete').map((p) => p.value), [reason]);
  for (const file of [sbomJson, cdx]) {
    const again = await scan(['--sbom', file, '--format', 'json', '-o', out]);
    assert.equal(again.code, 12, `${file}: ${again.stderr}`);
    assert.deepEqual(readResult(out).incomplete, [reason]);
  }

  // Image lint reads the same inventory (unmanaged binaries, EOL base).
  const lintEnv = { ...ENV, PORTCULLIS_DB: '/nonexistent/advisories.sqlite' };
  const lint = await runCliProcess(['lint', image.name, '--format', 'json', '-q'], lintEnv);
  assert.equal(lint.code, 12, lint.stderr);
  assert.deepEqual((JSON.parse(lint.stdout) as { incomplete?: string[] }).incomplete, [reason]);
  assert.ok(lint.stderr.includes(`portcullis: incomplete: ${reason}`), lint.stderr);
  const lintSarif = await runCliProcess(['lint', image.name, '--format', 'sarif', '--allow-incomplete', '-q'], lintEnv);
  assert.equal(lintSarif.code, 0, lintSarif.stderr);
  assert.equal((JSON.parse(lintSarif.stdout) as { runs: SarifRunShape[] }).runs[0]?.invocations?.[0]?.executionSuccessful, false);
});

interface SarifRunShape {
  invocations?: Array<{ executionSuccessful: boolean; toolExecutionNotifications: Array<{ level: string; message: { text: string } }> }>;
}

test('200,000 dpkg status paragraphs: every package counted, nothing incomplete', async () => {
  const n = 200_000;
  const paragraphs: string[] = [];
  for (let i = 0; i < n; i++) {
    paragraphs.push(`Package: pkg${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\nSource: src${i % 1000}\nDescription: p\n`);
  }
  const layout = join(dir, 'many-dpkg');
  const written = await writeStreamedLayer(layout, [
    { name: 'etc/os-release', body: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    { name: 'var/lib/dpkg/status', body: paragraphs.join('\n') },
  ]);
  const image = await buildLayout({ dir: layout, layers: [{ written }] });
  const out = join(dir, 'many-dpkg.json');
  const r = await scan([image.name, '--exit-code', '1', '--format', 'json', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(out);
  assert.deepEqual(result.packageCounts, { dpkg: n });
  assert.equal(result.incomplete, undefined);
  assert.deepEqual(result.warnings, []);
});

/** A CycloneDX SBOM of `n` versions of vulnpkg (all below the fixed 9.0.0). */
function vulnerableSbom(path: string, n: number): void {
  const components: unknown[] = [];
  for (let i = 0; i < n; i++) components.push({ type: 'library', 'bom-ref': `c${i}`, name: 'vulnpkg', version: `1.0.${i}`, purl: `pkg:npm/vulnpkg@1.0.${i}` });
  writeFileSync(path, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components }));
}

test('scan --sbom with 150,000 vulnerable components: exit 1 with every finding (not 70)', async () => {
  const sbom = join(dir, 'huge.cdx.json');
  vulnerableSbom(sbom, 150_000);
  const table = join(dir, 'huge.txt');
  const r = await scan(['--sbom', sbom, '--exit-code', '1', '-o', table]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /150000 vulnerabilities remain after filters \(exit code 1\)/);
  const text = readFileSync(table, 'utf8');
  assert.ok(/^150000 packages, 150000 vulnerabilities \(CRITICAL: 150000\)$/m.test(text), text.slice(0, 300));
  assert.ok(/^CRITICAL +GHSA-c7c7-c7c7-c7c7 +vulnpkg +1\.0\.149999 +9\.0\.0 /m.test(text), 'the last component is in the table');
});

test('--vex with 150,000 statements: read, and it suppresses exactly the packages it names', async () => {
  const sbom = join(dir, 'twenty-thousand.cdx.json');
  vulnerableSbom(sbom, 20_000);
  // Statement i covers vulnpkg@1.0.(10000 + i): the upper half of the SBOM, and 140,000 versions it does not have.
  const statements: unknown[] = [];
  for (let i = 0; i < 150_000; i++) {
    statements.push({ vulnerability: { name: CRITICAL_ID }, products: [{ '@id': `pkg:npm/vulnpkg@1.0.${10_000 + i}` }], status: 'not_affected', justification: 'vulnerable_code_not_present' });
  }
  const vex = join(dir, 'many.openvex.json');
  writeFileSync(vex, JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://example.test/vex', author: 'test', timestamp: '2026-01-01T00:00:00Z', version: 1, statements }));
  const out = join(dir, 'vex.json');
  const r = await scan(['--sbom', sbom, '--vex', vex, '--exit-code', '1', '--format', 'json', '-o', out]);
  assert.equal(r.code, 1, r.stderr);
  const findings = readResult(out).findings;
  assert.equal(findings.length, 20_000);
  const suppressed = findings.filter((f) => f.suppressed);
  assert.equal(suppressed.length, 10_000);
  assert.ok(suppressed.every((f) => f.suppressed?.by === 'vex' && f.suppressed.justification === 'vulnerable_code_not_present' && Number(f.installedVersion.split('.')[2]) >= 10_000));
  assert.match(r.stderr, /10000 vulnerabilities remain after filters/);
});

test('--help of scan, sbom and lint: the flag, what it does, and an example', async () => {
  for (const command of ['scan', 'sbom', 'lint']) {
    const help = (await runCli([command, '--help'])).stdout;
    assert.match(help, /--allow-incomplete +\S/, command);
    assert.match(help, new RegExp(`portcullis ${command} \\S+.* --allow-incomplete`), `${command}: an example`);
    assert.match(help, /12/, `${command}: says it exits 12`);
  }
});
