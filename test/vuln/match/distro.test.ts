/**
 * Distribution matching and merging on real advisories: Debian tracker
 * samples (source packages, backports, not-affected, open entries), an
 * Ubuntu UBUNTU-CVE/USN pair reporting under the CVE, and GHSA + Go vulndb
 * records of one flaw merged into one finding. Expectations are read from
 * the advisory files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Inventory, Package } from '../../../src/core/inventory.js';
import { importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { dpkg } from '../../../src/vuln/versions/dpkg.js';
import { VULNDATA } from '../../support/paths.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-distro-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Tracker = Record<string, Record<string, { releases: Record<string, { status: string; fixed_version?: string; urgency?: string }> | [] }>>;
const TRACKER_FILE = join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json');
const MOCK_FILE = join(VULNDATA, 'debian-tracker/tracker-json/osv.dev-debian_security_tracker_mock.json');
const tracker = JSON.parse(readFileSync(TRACKER_FILE, 'utf8')) as Tracker;
const mock = JSON.parse(readFileSync(MOCK_FILE, 'utf8')) as Tracker;

function deb(name: string, version: string, source?: string, sourceVersion?: string): Package {
  return {
    name,
    version,
    ecosystem: 'debian',
    purl: `pkg:deb/debian/${name}@${version}?distro=debian-12`,
    foundBy: 'dpkg',
    path: 'var/lib/dpkg/status',
    source: { name: source ?? name, ...(sourceVersion ? { version: sourceVersion } : {}) },
  };
}
const BOOKWORM = { id: 'debian', versionId: '12', path: 'etc/os-release' };
const inv = (packages: Package[], os: Inventory['os'] = BOOKWORM): Inventory => ({ os: os!, packages, ownedFiles: [], warnings: [] });

test('(d) Debian: by source package; the tracker fixed_version beats a higher upstream fix (backport)', async () => {
  const entry = (tracker.sope!['CVE-2025-53603']!.releases as Record<string, { fixed_version?: string }>).bookworm!;
  const trackerFix = entry.fixed_version!;
  assert.equal(trackerFix, '5.8.0-1+deb12u1');
  // An upstream-derived range for the same CVE and source package, fixed only in the next upstream release.
  const upstreamDir = join(dir, 'upstream');
  const upstreamFix = (tracker.sope!['CVE-2025-53603']!.releases as Record<string, { fixed_version?: string }>).trixie!.fixed_version!;
  assert.equal(dpkg.compare(upstreamFix, trackerFix), 1);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(upstreamDir);
  writeFileSync(
    join(upstreamDir, 'CVE-2025-53603.json'),
    JSON.stringify({
      id: 'CVE-2025-53603',
      modified: '2025-07-10T00:00:00Z',
      summary: 'upstream range',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'sope' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: upstreamFix }] }] }],
    }),
  );
  const db = join(dir, 'debian.sqlite');
  await importPaths(db, [TRACKER_FILE, MOCK_FILE, upstreamDir]);
  const store = openAdvisoryStore(db);
  try {
    const packages = [
      deb('libsope1', '5.8.0-1', 'sope'), // before the Debian fix
      deb('sope-backported', trackerFix, 'sope'), // Debian's backported fix; upstream says vulnerable
      deb('libapparmor1', '3.0.8-3', 'apparmor'), // open (no fix), not-affected, fixed-before
    ];
    const findings = await matchInventory(inv(packages), store);
    const sope = findings.filter((f) => f.evidence.queriedName === 'sope');
    assert.deepEqual(sope.map((f) => `${f.package.name} ${f.id} ${f.fixedVersion}`), [`libsope1 CVE-2025-53603 ${trackerFix}`]);
    assert.equal(sope[0]!.evidence.feed, 'debian-tracker');
    assert.equal(sope[0]!.evidence.vendorRecord, 'debian-tracker:sope/CVE-2025-53603');
    assert.ok(sope[0]!.aliases.includes('DEBIAN-CVE-2025-53603'));
    assert.equal(sope[0]!.primaryUrl, 'https://security-tracker.debian.org/tracker/CVE-2025-53603');

    // apparmor on bookworm, from the tracker mock: each CVE's release entry decides.
    const expected: string[] = [];
    for (const [cve, e] of Object.entries(mock.apparmor!)) {
      const r = (e.releases as Record<string, { status: string; fixed_version?: string }>).bookworm;
      if (!r) continue;
      if (r.status === 'resolved' && r.fixed_version === '0') continue; // not affected
      if (r.status === 'resolved' && r.fixed_version && dpkg.compare(r.fixed_version, '3.0.8-3') <= 0) continue; // fixed before
      expected.push(cve);
    }
    const apparmor = findings.filter((f) => f.evidence.queriedName === 'apparmor');
    assert.deepEqual(apparmor.map((f) => f.id).sort(), expected.sort());
    const open = apparmor.find((f) => f.id === 'CVE-2016-1585')!;
    assert.equal(open.status, 'affected');
    assert.equal(open.fixedVersion, undefined);
    assert.equal(open.severity, 'NEGLIGIBLE'); // urgency unimportant
    assert.equal(open.severitySource, 'debian');
    assert.equal(open.package.name, 'libapparmor1');
  } finally {
    await store.close();
  }
});

test('(d) Ubuntu: UBUNTU-CVE and USN records report once, under the CVE, keeping the vendor ids', async () => {
  const file = join(VULNDATA, 'osv/distro-samples/ubuntu/osv/cve/2021/UBUNTU-CVE-2021-3782.json');
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { upstream: string[]; affected: { package: { ecosystem: string; name: string }; ranges: { events: Record<string, string>[] }[] }[] };
  const focal = rec.affected.find((a) => a.package.ecosystem === 'Ubuntu:20.04:LTS')!;
  const fixed = focal.ranges[0]!.events.find((e) => e.fixed)!.fixed!;
  const db = join(dir, 'ubuntu.sqlite');
  await importPaths(db, [join(VULNDATA, 'osv/distro-samples/ubuntu')]);
  const store = openAdvisoryStore(db);
  try {
    const os = { id: 'ubuntu', versionId: '20.04', path: 'etc/os-release' };
    const pkg: Package = { name: 'libwayland-client0', version: '1.18.0-1', ecosystem: 'ubuntu', purl: 'pkg:deb/ubuntu/libwayland-client0@1.18.0-1', foundBy: 'dpkg', path: 'var/lib/dpkg/status', source: { name: focal.package.name } };
    const patched: Package = { ...pkg, name: 'libwayland-server0', version: fixed };
    const findings = await matchInventory(inv([pkg, patched], os), store);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.id, rec.upstream[0]);
    assert.ok(f.aliases.includes('UBUNTU-CVE-2021-3782'));
    assert.ok(f.aliases.includes('USN-5614-1'));
    assert.equal(f.fixedVersion, fixed);
    assert.equal(f.severitySource, 'ubuntu');
    assert.equal(f.evidence.ecosystem, 'Ubuntu:20.04:LTS');
    assert.match(f.evidence.vendorRecord ?? '', /^(UBUNTU-CVE-2021-3782|USN-5614-1)$/);
  } finally {
    await store.close();
  }
});

test('(e) a GHSA and a Go vulndb record of one CVE are one finding', async () => {
  const ghsaFile = join(VULNDATA, 'osv/ghsa-samples/advisory-database-layout/advisories/github-reviewed/2024/12/GHSA-v778-237x-gjrc/GHSA-v778-237x-gjrc.json');
  const goFile = join(VULNDATA, 'osv/go-vulndb/GO-2024-3321.json');
  const ghsa = JSON.parse(readFileSync(ghsaFile, 'utf8')) as { id: string; aliases: string[] };
  const go = JSON.parse(readFileSync(goFile, 'utf8')) as { id: string; aliases: string[] };
  const cve = ghsa.aliases.find((a) => a.startsWith('CVE-'))!;
  assert.ok(go.aliases.includes(cve) && go.aliases.includes(ghsa.id));
  const db = join(dir, 'ghsa.sqlite');
  await importPaths(db, [ghsaFile, goFile]);
  const store = openAdvisoryStore(db);
  try {
    const pkg: Package = { name: 'golang.org/x/crypto', version: 'v0.30.0', ecosystem: 'go', purl: 'pkg:golang/golang.org/x/crypto@v0.30.0', foundBy: 'go-binary', path: 'usr/bin/app' };
    const fixedPkg: Package = { ...pkg, version: 'v0.31.0', purl: 'pkg:golang/golang.org/x/crypto@v0.31.0' };
    const findings = await matchInventory({ packages: [pkg, fixedPkg], ownedFiles: [], warnings: [] }, store);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.id, cve);
    assert.ok(findings[0]!.aliases.includes(ghsa.id));
    assert.ok(findings[0]!.aliases.includes(go.id));
    assert.equal(findings[0]!.fixedVersion, '0.31.0');
    assert.equal(findings[0]!.package.version, 'v0.30.0');
  } finally {
    await store.close();
  }
});

test('an unparsable installed version is a warning, not a crash', async () => {
  const db = join(dir, 'bad.sqlite');
  await importPaths(db, [join(VULNDATA, 'osv/go-vulndb/GO-2024-3321.json')]);
  const store = openAdvisoryStore(db);
  try {
    const warnings: string[] = [];
    const pkg: Package = { name: 'golang.org/x/crypto', version: 'not-a-version', ecosystem: 'go', purl: 'pkg:golang/golang.org/x/crypto@x', foundBy: 'go-binary', path: 'usr/bin/app' };
    const findings = await matchInventory({ packages: [pkg], ownedFiles: [], warnings: [] }, store, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(findings, []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /not-a-version/);
  } finally {
    await store.close();
  }
});
