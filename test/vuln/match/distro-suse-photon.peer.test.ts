/**
 * End to end on real rpm databases for SUSE and Photon OS: packages built by
 * Debian's rpmbuild with the distributions' release tags (a source rpm with
 * differently named binaries, as `openssl-1_1` builds `libopenssl1_1` and
 * Photon's `curl` builds `curl-libs`), installed by the real rpm into a
 * SQLite rpmdb, put in an image layer beside the distribution's real
 * os-release, and scanned by the CLI against the records written in the
 * upstream formats (test/vuln/fixtures/distros).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding, ScanResult } from '../../../src/core/finding.js';
import { importPaths } from '../../../src/vuln/db.js';
import { runCli } from '../../support/cli.js';
import { buildLayout } from '../../support/oci-builder.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';
import { runCommand } from '../../support/peers.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/fixtures/distros');
const OS_RELEASE = join(VULNDATA, 'pkgdb/os-release/trivy-testdata');
let dir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-suse-photon-'));
  db = join(dir, 'advisories.sqlite');
  await importPaths(db, [join(FIXTURES, 'suse'), join(FIXTURES, 'photon/cve_data_photon4.0.json')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A noarch spec whose source rpm `name` also builds the binaries `subpackages` (with `-n`: full names). */
const spec = (name: string, version: string, release: string, subpackages: string[]): string =>
  [
    `Name: ${name}`,
    `Version: ${version}`,
    `Release: ${release}`,
    'Summary: test',
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    'test',
    ...subpackages.flatMap((sub) => [`%package -n ${sub}`, 'Summary: test', `%description -n ${sub}`, 'test', `%files -n ${sub}`]),
    '%files',
    '',
  ].join('\n');

/** Builds the specs, installs every binary into a fresh SQLite rpmdb, returns its bytes. */
async function rpmdbOf(name: string, specs: Record<string, string>): Promise<Buffer> {
  const top = join(dir, name, 'rpmbuild');
  for (const d of ['SPECS', 'BUILD', 'RPMS', 'SOURCES', 'SRPMS', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
  for (const [file, text] of Object.entries(specs)) {
    writeFileSync(join(top, 'SPECS', file), text);
    const b = await runCommand('rpmbuild', ['--define', `_topdir ${top}`, '-bb', join(top, 'SPECS', file)]);
    assert.equal(b.code, 0, b.stderr);
  }
  const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f));
  const dbpath = join(dir, name, 'db');
  mkdirSync(dbpath);
  const define = ['--define', '_db_backend sqlite'];
  assert.equal((await runCommand('rpm', ['--initdb', '--dbpath', dbpath, ...define])).code, 0);
  const install = await runCommand('rpm', ['-i', '--nodeps', '--justdb', '--dbpath', dbpath, ...define, ...rpms]);
  assert.equal(install.code, 0, install.stderr);
  return readFileSync(join(dbpath, 'rpmdb.sqlite'));
}

async function scanImage(name: string, osRelease: string, rpmdbPath: string, rpmdb: Buffer): Promise<ScanResult> {
  const image = await buildLayout({
    dir: join(dir, `${name}-image`),
    layers: [{ entries: [{ name: 'etc/os-release', body: readFileSync(join(OS_RELEASE, osRelease)) }, { name: rpmdbPath, body: rpmdb }] }],
  });
  const r = await runCli(['scan', image.name, '--db', db, '--offline', '--format', 'json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as ScanResult;
  assert.deepEqual(result.incomplete ?? [], []);
  return result;
}

const line = (f: Finding): string => `${f.package.name} ${f.installedVersion} ${f.id} fixed ${f.fixedVersion ?? '-'} ${f.severitySource} ${f.evidence.ecosystem}`;

test('SLES 15 SP3 (real os-release, rpmdb under usr/lib/sysimage): binaries of openssl-1_1 get the LTSS fix; curl has no SP3 record', { timeout: 300_000 }, async () => {
  const rpmdb = await rpmdbOf('sles', {
    'openssl-1_1.spec': spec('openssl-1_1', '1.1.1d', '150200.11.91.1', ['libopenssl1_1']),
    'curl.spec': spec('curl', '8.0.1', '150400.5.56.1', ['libcurl4']),
  });
  const result = await scanImage('sles', 'sles', 'usr/lib/sysimage/rpm/rpmdb.sqlite', rpmdb);
  assert.equal(result.os?.prettyName, 'SUSE Linux Enterprise Server 15 SP3');
  assert.equal(result.packageCounts.rpm, 4);
  assert.deepEqual(result.findings.map(line).sort(), [
    'libopenssl1_1 1.1.1d-150200.11.91.1 CVE-2024-9143 fixed 1.1.1d-150200.11.94.1 suse SUSE:Linux Enterprise Server 15 SP3-LTSS',
    'openssl-1_1 1.1.1d-150200.11.91.1 CVE-2024-9143 fixed 1.1.1d-150200.11.94.1 suse SUSE:Linux Enterprise Server 15 SP3-LTSS',
  ]);
});

test('Photon OS 4.0 (real os-release): curl and curl-libs before the fix; nghttp2 at the fix and httpd "Not Affected" clean', { timeout: 300_000 }, async () => {
  const rpmdb = await rpmdbOf('photon', {
    'curl.spec': spec('curl', '7.88.1', '3.ph4', ['curl-libs']),
    'nghttp2.spec': spec('nghttp2', '1.57.0', '1.ph4', []),
    'httpd.spec': spec('httpd', '2.4.57', '1.ph4', []),
  });
  const result = await scanImage('photon', 'photon', 'var/lib/rpm/rpmdb.sqlite', rpmdb);
  assert.equal(result.packageCounts.rpm, 4);
  assert.deepEqual(result.findings.map(line).sort(), [
    'curl 7.88.1-3.ph4 CVE-2023-38545 fixed 7.88.1-4.ph4 photon Photon OS:4.0',
    'curl-libs 7.88.1-3.ph4 CVE-2023-38545 fixed 7.88.1-4.ph4 photon Photon OS:4.0',
  ]);
  assert.ok(result.findings.every((f) => f.severity === 'CRITICAL'));
});
