/**
 * Control characters from image data never reach the terminal raw (issue
 * "Fail closed, stay up"): an image with escape sequences in PRETTY_NAME,
 * config User, a label, history created_by, a package name and version, and
 * file paths is run through inspect, sbom, scan and lint with table output.
 * Standard output and error hold no C0 control but newline, no DEL, no C1
 * and no bidi override, and the escaped form (`\u001b[…`) is visible; with
 * colour on, the only real ESC sequences are our SGR colours. JSON, SPDX and
 * CycloneDX still carry the exact original strings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildLayout, sha256, tarOf, type BuiltLayout } from '../support/oci-builder.js';
import { DEBIAN_12_SAMPLE, VULNDATA } from '../support/paths.js';

const ESC = '\u001b';
const PRETTY = `Evil${ESC}]52;c;ZXZpbA==\u0007 OS${ESC}[2J\u202eLinux\u0008`;
const USER = `app${ESC}[8m`;
const LABEL = `a\u202eb${ESC}[0m\nFake: line`;
const CREATED_BY = `RUN echo ${ESC}[1A${ESC}[2Kpwned\u009b31m \u007f`;
const NPM_NAME = `npm${ESC}[31m\u009b2Jevil`;
const NPM_DIR = `usr/lib/node_modules/evil${ESC}[1Adir`;
const SECRET_DIR = `root/.ssh${ESC}[2J`;
const DPKG_NAME = `evil${ESC}[31mpkg`;

let work: string;
let db: string;
let image: BuiltLayout;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-escapes-'));
  db = join(work, 'db.sqlite');
  // Debian 12 (bookworm) data too: without it the Debian image's scan is incomplete (exit 12).
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml'), DEBIAN_12_SAMPLE]);
  const entries = [
    { name: 'etc/os-release', body: `ID=debian\nVERSION_ID=12\nPRETTY_NAME="${PRETTY}"\n` },
    {
      name: 'var/lib/dpkg/status',
      body: `Package: ${DPKG_NAME}\nStatus: install ok installed\nVersion: 1.0${ESC}[2K\nArchitecture: amd64\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n`,
    },
    {
      name: `${SECRET_DIR}/id_rsa`,
      body: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBnZXR0aW5nLWEtcmVhbC1sb29raW5nLWtleS1oZXJlAAAAkHRlc3Q=\n-----END OPENSSH PRIVATE KEY-----\n',
    },
    { name: `${NPM_DIR}/package.json`, body: JSON.stringify({ name: NPM_NAME, version: '1.0.0' }) },
  ];
  const tar = await tarOf(entries);
  image = await buildLayout({
    layers: [{ entries }],
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { User: USER, Cmd: ['/bin/sh'], Labels: { note: LABEL } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
      history: [{ created_by: CREATED_BY }],
    },
  });
});

after(() => rmSync(work, { recursive: true, force: true }));

/** No byte a terminal acts on: C0 but newline, DEL; and (decoded) no C1 control and no bidi override. */
function assertTerminalSafe(text: string, what: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    assert.ok((b >= 0x20 && b !== 0x7f) || b === 0x0a, `${what}: byte 0x${b.toString(16)} at ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
  }
  const unsafe = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(unsafe, null, `${what}: U+${unsafe?.[0].charCodeAt(0).toString(16)} in the output`);
}

function assertSafeRun(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  assertTerminalSafe(result.stdout, `${what} stdout`);
  assertTerminalSafe(result.stderr, `${what} stderr`);
}

/** The escaped spelling of `text`, as the terminal gate writes it. */
function shown(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

test('inspect (table): User, label and created_by are shown escaped; a newline in a label forges no line', async () => {
  const r = await runCli(['inspect', image.name, '-q']);
  assertSafeRun(r, 'inspect');
  assert.ok(r.stdout.includes(`User:         ${shown(USER)}\n`), r.stdout);
  assert.ok(r.stdout.includes(`Label:        note=${shown(LABEL)}\n`), r.stdout);
  assert.ok(!/^Fake: line/m.test(r.stdout), 'the label newline stays inside its field');
  assert.ok(r.stdout.includes(shown('\u001b[1A\u001b[2Kpwned\u009b31m \u007f')), r.stdout);
});

test('sbom (table): PRETTY_NAME, an npm package name and its path are shown escaped; warnings on stderr too', async () => {
  const r = await runCli(['sbom', image.name]);
  assertSafeRun(r, 'sbom');
  assert.ok(r.stdout.includes(shown(PRETTY)), r.stdout);
  assert.ok(r.stdout.includes(shown(NPM_NAME)), r.stdout);
  assert.ok(r.stdout.includes(`${shown(NPM_DIR)}/package.json`), r.stdout);
  // The dpkg stanza with a control character in its version is skipped with a warning that names it.
  assert.ok(r.stderr.includes(shown(DPKG_NAME)), r.stderr);
});

test('scan (table): the OS name and the warnings are shown escaped', async () => {
  const r = await runCli(['scan', image.name, '--db', db]);
  assertSafeRun(r, 'scan');
  assert.ok(r.stdout.includes(shown(PRETTY)), r.stdout);
  assert.ok(r.stderr.includes(shown(DPKG_NAME)), r.stderr);
});

test('lint (table): a secret under a path with an escape sequence is reported with the path escaped', async () => {
  const r = await runCli(['lint', image.name]);
  assertSafeRun(r, 'lint');
  assert.ok(r.stdout.includes(`/${shown(SECRET_DIR)}/id_rsa @ layer 0`), r.stdout);
});

test('with colour on, the only real escape sequences are our SGR colours', async () => {
  for (const args of [['inspect', image.name, '-q'], ['sbom', image.name, '-q'], ['lint', image.name, '-q'], ['scan', image.name, '--db', db, '-q']]) {
    const r = await runCli(args, { NO_COLOR: '', FORCE_COLOR: '1' });
    assert.equal(r.code, 0, r.stderr);
    const sequences = r.stdout.match(/\u001b[^\n]{0,6}/g) ?? [];
    assert.ok(sequences.length > 0, `${args[0]}: colour is on`);
    for (const s of sequences) assert.match(s, /^\u001b\[(1|22|2|31|32|33|34|35|36|39)m/, `${args[0]}: only SGR colours, got ${JSON.stringify(s)}`);
    assertTerminalSafe(r.stdout.replace(/\u001b\[\d+m/g, ''), `${args[0]} without its colours`);
  }
});

test('-o with a human format writes the escaped text; JSON, SPDX and CycloneDX keep the exact strings', async () => {
  const table = join(work, 'sbom.txt');
  assert.equal((await runCli(['sbom', image.name, '-q', '-o', table])).code, 0);
  const text = readFileSync(table, 'utf8');
  assertTerminalSafe(text, 'sbom -o table');
  assert.ok(text.includes(shown(NPM_NAME)));

  const inspectJson = JSON.parse((await runCli(['inspect', image.name, '-q', '--format', 'json'])).stdout) as {
    config: { user: string; labels: Record<string, string> };
    layers: Array<{ createdBy: string }>;
  };
  assert.equal(inspectJson.config.user, USER);
  assert.equal(inspectJson.config.labels.note, LABEL);
  assert.equal(inspectJson.layers[0]?.createdBy, CREATED_BY);

  const sbomJson = join(work, 'sbom.json');
  assert.equal((await runCli(['sbom', image.name, '-q', '--format', 'json', '-o', sbomJson])).code, 0);
  const fromFile = JSON.parse(readFileSync(sbomJson, 'utf8')) as { os: { prettyName: string }; packages: Array<{ name: string; path: string }> };
  assert.equal(fromFile.os.prettyName, PRETTY);
  assert.ok(readFileSync(sbomJson, 'utf8').includes('\u202e'), 'the file keeps the raw character (exact bytes)');
  const onStdout = JSON.parse((await runCli(['sbom', image.name, '-q', '--format', 'json'])).stdout) as typeof fromFile;
  assert.deepEqual(onStdout, fromFile, 'standard output means the same JSON (its escapes are JSON escapes)');
  assert.ok(fromFile.packages.some((p) => p.name === NPM_NAME && p.path === `${NPM_DIR}/package.json`));

  const cdx = JSON.parse((await runCli(['sbom', image.name, '-q', '--format', 'cyclonedx'])).stdout) as { components: Array<{ name: string }> };
  assert.ok(cdx.components.some((c) => c.name === NPM_NAME), 'CycloneDX has the exact name');
  const spdx = JSON.parse((await runCli(['sbom', image.name, '-q', '--format', 'spdx'])).stdout) as { packages: Array<{ name: string }> };
  assert.ok(spdx.packages.some((p) => p.name === NPM_NAME), 'SPDX has the exact name');
  const scanJson = JSON.parse((await runCli(['scan', image.name, '--db', db, '-q', '--format', 'json'])).stdout) as { os: { prettyName: string } };
  assert.equal(scanJson.os.prettyName, PRETTY);
  const lintJson = JSON.parse((await runCli(['lint', image.name, '-q', '--format', 'json'])).stdout) as { findings: Array<{ location: { path?: string } }> };
  assert.ok(lintJson.findings.some((f) => f.location.path === `${SECRET_DIR}/id_rsa`));
});

test('an error message naming a hostile path is escaped too', async () => {
  const r = await runCli(['cat', image.name, `/${SECRET_DIR}/nope`, '-q']);
  assert.equal(r.code, 3, r.stderr);
  assertTerminalSafe(r.stderr, 'cat stderr');
  assert.ok(r.stderr.includes(`${shown(SECRET_DIR)}/nope does not exist`), r.stderr);
});
