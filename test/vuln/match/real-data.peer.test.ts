/**
 * The matcher against real package databases and real advisories. Every
 * expected finding is derived here, by a small independent loop over the
 * advisory files themselves (never from the matcher's output); the only
 * shared code is the version order of src/vuln/versions.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { apkCataloger } from '../../../src/catalog/os/apk.js';
import { pythonCataloger } from '../../../src/catalog/lang/python.js';
import { parseGoBinary } from '../../../src/catalog/lang/go-binary.js';
import type { Finding } from '../../../src/core/finding.js';
import type { Inventory, Package } from '../../../src/core/inventory.js';
import { importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { apk } from '../../../src/vuln/versions/apk.js';
import { pep440 } from '../../../src/vuln/versions/pep440.js';
import { semver } from '../../../src/vuln/versions/semver.js';
import type { VersionScheme } from '../../../src/vuln/versions/scheme.js';
import { fileViewFromDir, fileViewFromMap } from '../../support/file-view.js';
import { PEERS, VULNDATA } from '../../support/paths.js';

const run = promisify(execFile);
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-match-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function inventoryOf(packages: readonly Package[], os?: Inventory['os']): Inventory {
  return { ...(os ? { os } : {}), packages, ownedFiles: [], warnings: [] };
}

/** Every id a finding is known by. */
function idsOf(f: Finding): string[] {
  return [f.id, ...f.aliases];
}

/** OSV events walked in the order written (the advisories here write them ordered): introduced ≤ v on, fixed ≤ v off. */
function affectedByEvents(scheme: VersionScheme, version: string, events: readonly Record<string, string>[]): boolean {
  let on = false;
  for (const e of events) {
    if (e.introduced !== undefined && (e.introduced === '0' || scheme.compare(version, e.introduced) >= 0)) on = true;
    if (e.fixed !== undefined && scheme.compare(version, e.fixed) >= 0) on = false;
    if (e.last_affected !== undefined && scheme.compare(version, e.last_affected) > 0) on = false;
  }
  return on;
}

test('(a) the real Alpine installed DB against the real secdb: exactly the CVEs the secdb implies', async () => {
  const secdbDir = join(VULNDATA, 'alpine-secdb/yaml');
  const db = join(dir, 'alpine.sqlite');
  await importPaths(db, [secdbDir]);
  // musl 1.1.14, busybox 1.24.2, openssl 1.0.2h: the Alpine 3.4 package set.
  const branch = 'v3.4';
  const os = { id: 'alpine', versionId: '3.4.6', path: 'etc/os-release' };
  const content = readFileSync(join(VULNDATA, 'pkgdb/apk/trivy-testdata/lib/apk/db/installed'));
  const view = fileViewFromMap({ 'lib/apk/db/installed': content });
  const { packages } = await apkCataloger.catalog(view, { os });
  assert.ok(packages.length >= 10);

  // Independent: the lowest fixed version per (origin, id) on the branch; vulnerable when installed < it.
  const lowest = new Map<string, Map<string, string>>();
  for (const repo of ['main', 'community']) {
    const file = join(secdbDir, branch, `${repo}.yaml`);
    if (!existsSync(file)) continue;
    const doc = parseYaml(readFileSync(file, 'utf8'), { schema: 'failsafe' }) as { packages?: { pkg: { name: string; secfixes?: Record<string, string[] | null> } }[] };
    for (const { pkg } of doc.packages ?? []) {
      for (const [fixed, ids] of Object.entries(pkg.secfixes ?? {})) {
        if (fixed === '0' || !apk.isValid(fixed)) continue;
        for (const raw of ids ?? []) {
          const cve = /CVE[-_ ](\d{4}-\d+)/.exec(raw);
          if (!cve) continue;
          const id = `CVE-${cve[1]}`;
          const byId = lowest.get(pkg.name) ?? new Map<string, string>();
          lowest.set(pkg.name, byId);
          const prev = byId.get(id);
          if (prev === undefined || apk.compare(fixed, prev) < 0) byId.set(id, fixed);
        }
      }
    }
  }
  const expected = new Set<string>();
  for (const p of packages) {
    for (const [id, fixed] of lowest.get(p.source?.name ?? p.name) ?? []) {
      if (apk.compare(p.version, fixed) < 0) expected.add(`${p.name} ${id} ${fixed}`);
    }
  }
  assert.ok(expected.size > 20, `the secdb implies ${expected.size} findings`);

  const store = openAdvisoryStore(db);
  try {
    const findings = await matchInventory(inventoryOf(packages, os), store);
    const got = new Set(findings.filter((f) => f.id.startsWith('CVE-')).map((f) => `${f.package.name} ${f.id} ${f.fixedVersion}`));
    assert.deepEqual([...got].sort(), [...expected].sort());
    for (const f of findings) {
      assert.equal(f.evidence.ecosystem, `Alpine:${branch}`);
      assert.equal(f.evidence.feed, 'alpine-secdb');
      assert.match(f.evidence.vendorRecord ?? '', /^alpine-secdb:v3\.4\//);
      assert.equal(f.evidence.scheme, 'apk');
      assert.ok(f.aliases.includes(`ALPINE-${f.id}`), `${f.id} keeps its vendor id beside it`);
    }
    // libcrypto1.0 and libssl1.0 are matched through their origin, openssl.
    assert.ok(findings.some((f) => f.package.name === 'libssl1.0' && f.evidence.queriedName === 'openssl'));
  } finally {
    await store.close();
  }
});

function pypaDirs(): Map<string, string> {
  const root = join(VULNDATA, 'osv/pypi-pypa');
  const map = new Map<string, string>();
  for (const name of readdirSync(root)) map.set(name.toLowerCase().replace(/[-_.]+/g, '-'), join(root, name));
  return map;
}

test('(b) Python packages (fixtures and Debian dist-packages) against the PyPA advisories', async () => {
  const packages: Package[] = [];
  const roots = [join(VULNDATA, 'pkgdb/python/trivy-analyzer-testdata'), join(VULNDATA, 'pkgdb/python/trivy-parser-testdata')];
  if (existsSync('/usr/lib/python3/dist-packages')) roots.push('/usr/lib/python3/dist-packages');
  for (const root of roots) {
    const view = fileViewFromDir(root, { wants: (p) => pythonCataloger.wants(p) });
    for (const pkg of (await pythonCataloger.catalog(view, {})).packages) packages.push(pkg);
  }
  assert.ok(packages.length >= 10);
  const dirs = pypaDirs();
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '-');
  const relevant = [...new Set(packages.map((p) => dirs.get(norm(p.name))).filter((d): d is string => !!d))];
  assert.ok(relevant.length >= 3, `PyPA has advisories for ${relevant.length} of the packages`);
  const db = join(dir, 'pypi.sqlite');
  await importPaths(db, relevant);

  // Independent: every PYSEC record whose PyPI entry covers the installed version.
  const expected = new Set<string>();
  for (const p of packages) {
    const d = dirs.get(norm(p.name));
    if (!d || !pep440.isValid(p.version)) continue;
    for (const file of readdirSync(d)) {
      const rec = parseYaml(readFileSync(join(d, file), 'utf8'), { schema: 'failsafe' }) as {
        id: string;
        withdrawn?: string;
        affected?: { package: { ecosystem: string; name: string }; ranges?: { type: string; events: Record<string, string>[] }[]; versions?: string[] }[];
      };
      if (rec.withdrawn) continue;
      for (const a of rec.affected ?? []) {
        if (a.package.ecosystem !== 'PyPI' || norm(a.package.name) !== norm(p.name)) continue;
        const inRanges = (a.ranges ?? []).some((r) => r.type === 'ECOSYSTEM' && affectedByEvents(pep440, p.version, r.events));
        const listed = (a.versions ?? []).some((v) => pep440.isValid(v) && pep440.compare(v, p.version) === 0);
        if (inRanges || listed) expected.add(`${norm(p.name)}@${p.version} ${rec.id}`);
      }
    }
  }
  assert.ok(expected.size >= 5, `PyPA implies ${expected.size} findings`);
  const store = openAdvisoryStore(db);
  try {
    const findings = await matchInventory(inventoryOf(packages), store);
    const got = new Set(findings.flatMap((f) => idsOf(f).filter((id) => id.startsWith('PYSEC-')).map((id) => `${norm(f.package.name)}@${f.package.version} ${id}`)));
    assert.deepEqual([...got].sort(), [...expected].sort());
    // One finding per package and vulnerability: no id is reported twice for one package.
    const keys = findings.map((f) => `${f.package.path} ${f.id}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const f of findings) assert.equal(f.evidence.scheme, 'pep440');
  } finally {
    await store.close();
  }
});

test('(c) real Go binaries against Go vulndb: modules by version, stdlib by toolchain', async () => {
  const bins: string[] = [];
  const probe = join(dir, 'probe');
  await run('bash', [join(PEERS, 'go-binary.sh'), probe], { timeout: 300_000 });
  bins.push(probe);
  if (existsSync('/usr/bin/skopeo')) bins.push('/usr/bin/skopeo');
  const packages: Package[] = [];
  for (const b of bins) {
    for (const pkg of parseGoBinary(readFileSync(b), b.slice(1)).packages) packages.push(pkg);
  }
  const probePkgs = packages.filter((p) => p.path === probe.slice(1));
  assert.ok(probePkgs.some((p) => p.name === 'golang.org/x/net' && p.version === 'v0.7.0'));
  assert.ok(probePkgs.some((p) => p.name === 'golang.org/x/text' && p.version === 'v0.7.0'));
  assert.ok(packages.some((p) => p.name === 'stdlib' && p.version === '1.19.8'));

  const goDir = join(VULNDATA, 'osv/go-vulndb');
  const names = new Set(packages.map((p) => p.name));
  const files = readdirSync(goDir).filter((f) => f.endsWith('.json'));
  const records = files.map((f) => ({ file: join(goDir, f), rec: JSON.parse(readFileSync(join(goDir, f), 'utf8')) as { id: string; withdrawn?: string; affected?: { package: { ecosystem: string; name: string }; ranges?: { type: string; events: Record<string, string>[] }[] }[] } }));
  const relevant = records.filter((r) => (r.rec.affected ?? []).some((a) => names.has(a.package.name)));
  const db = join(dir, 'go.sqlite');
  await importPaths(db, relevant.map((r) => r.file));

  // Independent: Go vulndb SEMVER ranges (no `v`); stdlib by the toolchain version.
  const expected = new Set<string>();
  for (const p of packages) {
    const version = p.version.replace(/^v/, '');
    if (!semver.isValid(version)) continue;
    for (const { rec } of relevant) {
      if (rec.withdrawn) continue;
      const hit = (rec.affected ?? []).some((a) => a.package.ecosystem === 'Go' && a.package.name === p.name && (a.ranges ?? []).some((r) => r.type === 'SEMVER' && affectedByEvents(semver, version, r.events)));
      if (hit) expected.add(`${p.path} ${p.name}@${p.version} ${rec.id}`);
    }
  }
  assert.ok([...expected].some((e) => e.includes(' stdlib@1.19.8 ')), 'go1.19.8 has stdlib advisories');
  assert.ok([...expected].some((e) => e.includes('golang.org/x/net@v0.7.0')), 'x/net v0.7.0 has advisories');
  const store = openAdvisoryStore(db);
  try {
    const warnings: string[] = [];
    const findings = await matchInventory(inventoryOf(packages), store, { onWarning: (w) => warnings.push(w) });
    const got = new Set(findings.flatMap((f) => idsOf(f).filter((id) => id.startsWith('GO-')).map((id) => `${f.package.path} ${f.package.name}@${f.package.version} ${id}`)));
    assert.deepEqual([...got].sort(), [...expected].sort());
    const std = findings.find((f) => f.package.name === 'stdlib');
    assert.equal(std?.evidence.queriedName, 'stdlib');
    assert.equal(std?.evidence.scheme, 'semver');
  } finally {
    await store.close();
  }
});
