/**
 * Matching per distribution on the real advisory records in ../shared,
 * imported with the ordinary importer into a test database: for each, a
 * known-vulnerable installed version yields the advisory with the record's
 * fixed version, and the fixed version yields nothing. Covers Red Hat
 * product streams (content sets), module streams, epochs, `el9_2`-style
 * releases, Rocky, AlmaLinux, Chainguard and Wolfi (OSV and secdb JSON) and
 * Alpine images that install from edge. Expected values are read from the
 * record files, never restated by hand where the record can be asked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCatalogers, selectorFor } from '../../../src/catalog/catalog.js';
import { rpmCataloger } from '../../../src/catalog/os/rpm/index.js';
import type { Finding } from '../../../src/core/index.js';
import type { Inventory, OsRelease, Package } from '../../../src/core/inventory.js';
import { importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { matchInventory, osMatcher } from '../../../src/vuln/match/index.js';
import { fileViewFromMap } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const OSV = join(VULNDATA, 'osv/distro-samples');
const SECDB = join(VULNDATA, 'alpine-secdb/json-format-samples');
let dir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-distro-rpm-'));
  db = join(dir, 'advisories.sqlite');
  const result = await importPaths(db, [
    join(OSV, 'redhat'),
    join(OSV, 'rocky'),
    join(OSV, 'almalinux'),
    join(OSV, 'chainguard/CGA-224q-ccj5-2p53.json'),
    join(OSV, 'chainguard/CGA-xcpc-gm23-prj9.json'),
    join(SECDB, 'apk-style-secdb-json/wolfi-security.json'),
    join(SECDB, 'secdb.alpinelinux.org-layout/edge-main.json'),
    join(SECDB, 'secdb.alpinelinux.org-layout/312-main.json'),
  ]);
  assert.deepEqual(result.skipped ?? [], []);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Record_ {
  id: string;
  upstream?: string[];
  related?: string[];
  affected: { package: { ecosystem: string; name: string }; ranges: { events: Record<string, string>[] }[] }[];
}
const record = (path: string): Record_ => JSON.parse(readFileSync(join(OSV, path), 'utf8')) as Record_;
function fixedIn(rec: Record_, ecosystem: string, name: string): string {
  const a = rec.affected.find((x) => x.package.ecosystem === ecosystem && x.package.name === name);
  assert.ok(a, `${rec.id} has no ${ecosystem} ${name}`);
  return a.ranges[0]!.events.find((e) => e.fixed !== undefined)!.fixed!;
}

function rpm(name: string, version: string, extra: { source?: string; label?: string } = {}): Package {
  return {
    name,
    version,
    ecosystem: 'rpm',
    purl: `pkg:rpm/x/${name}@${version}`,
    foundBy: 'rpm',
    path: 'var/lib/rpm/rpmdb.sqlite',
    source: { name: extra.source ?? name },
    ...(extra.label ? { metadata: { modularityLabel: extra.label } } : {}),
  };
}
function apk(name: string, version: string): Package {
  return { name, version, ecosystem: 'alpine', purl: `pkg:apk/x/${name}@${version}`, foundBy: 'apk', path: 'lib/apk/db/installed', source: { name } };
}

async function scan(os: OsRelease, packages: Package[]): Promise<{ findings: Finding[]; warnings: string[] }> {
  const store = openAdvisoryStore(db);
  const warnings: string[] = [];
  try {
    const inventory: Inventory = { os, packages, ownedFiles: [], warnings: [] };
    const findings = await matchInventory(inventory, store, { onWarning: (w) => warnings.push(w) });
    return { findings, warnings };
  } finally {
    await store.close();
  }
}
const line = (f: Finding): string => `${f.package.name} ${f.package.version} ${f.id} fixed ${f.fixedVersion ?? '-'}`;

test('Red Hat: the record applies to the product streams the content sets name; fixed version and severity from Red Hat', async () => {
  const rec = record('redhat/RHSA-2024_4546.json');
  const ecosystem = 'Red Hat:rhel_e4s:8.6::appstream';
  const fix = fixedIn(rec, ecosystem, 'git-lfs');
  assert.equal(fix, '0:2.13.3-3.el8_6.1');
  const e4s: OsRelease = { id: 'rhel', versionId: '8.6', path: 'etc/os-release', contentSets: ['rhel-8-for-x86_64-baseos-e4s-rpms', 'rhel-8-for-x86_64-appstream-e4s-rpms'] };
  const vulnerable = rpm('git-lfs', '2.13.3-3.el8_6'); // one release segment short of the fix: el8_6 < el8_6.1
  const patched = rpm('git-lfs', '2.13.3-3.el8_6.1');
  const { findings } = await scan(e4s, [vulnerable, patched]);
  assert.deepEqual(findings.map(line), [`git-lfs 2.13.3-3.el8_6 ${rec.upstream![0]} fixed ${fix}`]);
  const f = findings[0]!;
  assert.ok(f.aliases.includes(rec.id));
  assert.equal(f.evidence.ecosystem, ecosystem);
  assert.equal(f.severitySource, 'redhat');
  assert.equal(f.severity, 'HIGH'); // the record's CVSS:3.1 …/A:H vector scores 7.5

  // The same package on the main RHEL 8 streams (no content manifest): this EUS-family record does not apply.
  const main = await scan({ id: 'rhel', versionId: '8.6', path: 'etc/os-release' }, [vulnerable]);
  assert.deepEqual(main.findings, []);
});

test('Red Hat modules: a modular package is judged by its stream\'s fix; a non-modular one by none', async () => {
  const rec = record('redhat/RHSA-2024_6220.json');
  const fix = fixedIn(rec, 'Red Hat:rhel_aus:8.6::appstream', 'python39');
  assert.match(fix, /\.module\+el8\.6\.0\+/);
  const os: OsRelease = { id: 'rhel', versionId: '8.6', path: 'etc/os-release', contentSets: ['rhel-8-for-x86_64-appstream-aus-rpms'] };
  const label = 'python39:3.9:8060020220127162237:d63f516d';
  const modular = rpm('python39', '3.9.7-2.module+el8.6.0+13003+6bb2c488', { label });
  const patched = rpm('python39', fix.replace(/^0:/, ''), { label });
  const nonModular = rpm('python39', '3.9.6-1.el8'); // a python39 built outside the module: the module's fix says nothing about it
  const { findings } = await scan(os, [modular, patched, nonModular]);
  assert.deepEqual(findings.map(line), [`python39 ${modular.version} ${rec.upstream![0]} fixed ${fix}`]);
});

test('Rocky Linux: epochs count, module streams are kept apart', async () => {
  const java = record('rocky/RLSA-2021_3891.json');
  const jfix = fixedIn(java, 'Rocky Linux:8', 'java-11-openjdk');
  assert.equal(jfix, '1:11.0.13.0.8-1.el8_4');
  const rocky8: OsRelease = { id: 'rocky', versionId: '8.4', path: 'etc/os-release' };
  const r8 = await scan(rocky8, [
    rpm('java-11-openjdk', '1:11.0.12.0.7-0.el8_4'),
    rpm('java-11-openjdk-headless', '1:11.0.13.0.8-1.el8_4', { source: 'java-11-openjdk' }), // fixed
  ]);
  // Rocky lists the CVEs under `related`; with ten of them the finding is named by the RLSA, each CVE an alias.
  assert.deepEqual(r8.findings.map(line), [`java-11-openjdk 1:11.0.12.0.7-0.el8_4 ${java.id} fixed ${jfix}`]);
  assert.equal(r8.findings[0]!.severitySource, 'rocky');
  for (const cve of java.related!) assert.ok(r8.findings[0]!.aliases.includes(cve), cve);
  // A build without an epoch is older than every epoch-1 build, whatever its version: rpm compares the epoch first.
  const noEpoch = await scan(rocky8, [rpm('java-11-openjdk', '11.0.99-1.el8_4')]);
  assert.deepEqual(noEpoch.findings.map(line), [`java-11-openjdk 11.0.99-1.el8_4 ${java.id} fixed ${jfix}`]);

  const ruby = record('rocky/RLSA-2024_3671.json');
  const rfix = fixedIn(ruby, 'Rocky Linux:9', 'ruby');
  assert.match(rfix, /^0:3\.3\.1-\d+\.module\+el9/);
  const rocky9: OsRelease = { id: 'rocky', versionId: '9.4', path: 'etc/os-release' };
  const r9 = await scan(rocky9, [
    rpm('ruby', '3.3.0-1.module+el9.3.0+17000+aaaaaaaa', { label: 'ruby:3.3:9030020231203000000:8cf767d6' }), // on the fixed stream, older
    rpm('ruby-libs', '3.1.4-143.module+el9.2.0+18000+bbbbbbbb', { source: 'ruby', label: 'ruby:3.1:9020020230601000000:8cf767d6' }), // the 3.1 stream
    rpm('ruby-devel', '3.0.4-161.el9_2', { source: 'ruby' }), // the non-modular default ruby 3.0
  ]);
  assert.deepEqual(r9.findings.map(line), [`ruby 3.3.0-1.module+el9.3.0+17000+aaaaaaaa ${ruby.id} fixed ${rfix}`]);
});

test('AlmaLinux: el8_8 and el9_2 releases against the record\'s fixes', async () => {
  const requests = record('almalinux/almalinux8/ALSA-2023_4520.json');
  const fix8 = fixedIn(requests, 'AlmaLinux:8', 'python3-requests');
  const a8 = await scan({ id: 'almalinux', versionId: '8.8', path: 'etc/os-release' }, [
    rpm('python3-requests', '2.20.0-2.1.el8_1', { source: 'python-requests' }),
    rpm('python3-requests', fix8, { source: 'python-requests' }),
  ]);
  // The one CVE the ALSA lists under `related` names the finding; the ALSA is an alias.
  assert.deepEqual(requests.related, ['CVE-2023-32681']);
  assert.deepEqual(a8.findings.map(line), [`python3-requests 2.20.0-2.1.el8_1 CVE-2023-32681 fixed ${fix8}`]);
  assert.ok(a8.findings[0]!.aliases.includes(requests.id));

  const avahi = record('almalinux/almalinux9/ALSA-2024_2433.json');
  const fix9 = fixedIn(avahi, 'AlmaLinux:9', 'avahi');
  assert.equal(fix9, '0.8-20.el9');
  const a9 = await scan({ id: 'almalinux', versionId: '9.4', path: 'etc/os-release' }, [
    rpm('avahi', '0.8-15.el9_2.1'), // a 9.2 z-stream build: older than 20.el9
    rpm('avahi-libs', '0.8-20.el9_4', { source: 'avahi' }), // a later z-stream of the fix: newer
  ]);
  assert.deepEqual(a9.findings.map(line), [`avahi 0.8-15.el9_2.1 ${avahi.id} fixed ${fix9}`]);
});

test('Chainguard and Wolfi: CGA records in OSV and Wolfi\'s secdb JSON', async () => {
  const cga = record('chainguard/CGA-224q-ccj5-2p53.json');
  const cgFix = fixedIn(cga, 'Chainguard', 'haproxy-2.2');
  const chainguard = await scan({ id: 'chainguard', versionId: '20230214', path: 'etc/os-release' }, [apk('haproxy-2.2', '2.2.33-r0'), apk('haproxy-2.8', fixedIn(cga, 'Chainguard', 'haproxy-2.8'))]);
  assert.deepEqual(chainguard.findings.map(line), [`haproxy-2.2 2.2.33-r0 ${cga.upstream![0]} fixed ${cgFix}`]);
  assert.equal(chainguard.findings[0]!.severitySource, 'chainguard');

  // CGA-xcpc-gm23-prj9 says syncthing-compat is not affected (fixed "0"): no finding, whatever the version.
  const compat = await scan({ id: 'chainguard', versionId: '20230214', path: 'etc/os-release' }, [apk('syncthing-compat', '2.0.13-r0')]);
  assert.deepEqual(compat.findings, []);

  const wfix = fixedIn(cga, 'Wolfi', 'haproxy-3.0');
  const wolfi = await scan({ id: 'wolfi', versionId: '20230201', path: 'etc/os-release' }, [apk('haproxy-3.0', '3.0.9-r0'), apk('binutils', '2.39-r2')]);
  // binutils from wolfi-security.json: CVE-2022-38126 fixed in r1 and CVE-2022-38533 in r2 (installed), CVE-2022-38128 in r3.
  assert.deepEqual(wolfi.findings.map(line).sort(), [`binutils 2.39-r2 CVE-2022-38128 fixed 2.39-r3`, `haproxy-3.0 3.0.9-r0 ${cga.upstream![0]} fixed ${wfix}`]);
});

test('Alpine: an image installing from edge is matched against edge\'s secdb', async () => {
  const edgeRelease: OsRelease = { id: 'alpine', versionId: '3.12.0', path: 'etc/os-release', apkRepositoryRelease: 'edge' };
  const own: OsRelease = { id: 'alpine', versionId: '3.12.0', path: 'etc/os-release' };
  const pkgs = [apk('apk-tools', '2.12.5-r0')];
  // edge-main.json: apk-tools fixes CVE-2021-30139 in 2.12.5-r0 and CVE-2021-36159 in 2.12.6-r0; 312-main.json has no apk-tools.
  assert.deepEqual((await scan(edgeRelease, pkgs)).findings.map(line), ['apk-tools 2.12.5-r0 CVE-2021-36159 fixed 2.12.6-r0']);
  assert.deepEqual((await scan(own, pkgs)).findings, []);
});

test('Oracle Linux: asked under its ELSA feed\'s ecosystems; a database without that feed finds nothing (the scan reports it incomplete: distro-oracle.test.ts)', async () => {
  const os: OsRelease = { id: 'ol', versionId: '8.10', path: 'etc/os-release' };
  const libs = { ...rpm('openssl-libs', '1:1.1.1k-12.el8_9'), arch: 'x86_64' };
  assert.deepEqual(
    osMatcher.query(libs, os, () => assert.fail('no warning expected')).map((q) => `${q.ecosystem}|${q.name}`),
    ['Oracle Linux:8|openssl-libs', 'Oracle Linux:8:x86_64|openssl-libs'],
  );
  const store = openAdvisoryStore(db);
  try {
    const incomplete: string[] = [];
    const findings = await matchInventory({ os, packages: [libs], ownedFiles: [], warnings: [] }, store, { onIncomplete: (r) => incomplete.push(r) });
    assert.deepEqual(findings, []);
    // Not clean: the database holds no Oracle Linux advisories at all, so nothing judged the package.
    assert.deepEqual(incomplete, ['the advisory database has no Oracle Linux advisories (ELSA) for Oracle Linux:8, Oracle Linux:8:x86_64, so its 1 OS package was not matched: run "portcullis db update --feeds oracle"']);
  } finally {
    await store.close();
  }
});

test('Azure Linux (CBL-Mariner 2.0, a real rpmdb): asked by binary and source rpm name; no data is not an unknown OS', async () => {
  const rpmdb = readFileSync(join(VULNDATA, 'pkgdb/rpm/go-rpmdb-testdata/cbl-mariner-2.0/rpmdb.sqlite'));
  const osRelease = readFileSync(join(VULNDATA, 'pkgdb/os-release/trivy-testdata/mariner-2.0'));
  const view = fileViewFromMap({ 'etc/os-release': osRelease, 'var/lib/rpm/rpmdb.sqlite': rpmdb }, selectorFor([rpmCataloger]));
  const inventory = await runCatalogers(view, [rpmCataloger]);
  assert.equal(inventory.packages.length, 129);
  const libs = inventory.packages.find((p) => p.name === 'openssl-libs')!;
  assert.deepEqual(
    osMatcher.query(libs, inventory.os, () => assert.fail('no warning expected')).map((q) => `${q.ecosystem}|${q.name}|${q.version}`),
    ['Azure Linux:2|openssl-libs|1.1.1k-7.cm2', 'Azure Linux:2|openssl|1.1.1k-7.cm2', 'Azure Linux:2.0|openssl-libs|1.1.1k-7.cm2', 'Azure Linux:2.0|openssl|1.1.1k-7.cm2'],
  );
  // No Azure Linux record is in this database: nothing found, and the scan says the database lacks the distribution (not that it is unknown).
  const store = openAdvisoryStore(db);
  try {
    const incomplete: string[] = [];
    assert.deepEqual(await matchInventory(inventory, store, { onIncomplete: (r) => incomplete.push(r) }), []);
    assert.deepEqual(incomplete, ['the advisory database has no CBL-Mariner/Linux advisories (OSV) for Azure Linux:2, Azure Linux:2.0, so its 129 OS packages were not matched: run "portcullis db update --feeds osv"']);
  } finally {
    await store.close();
  }
});
