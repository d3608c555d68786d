/**
 * Matching through the match table (`findEntriesBatch`, then the advisories
 * of vulnerable packages only) gives byte for byte the findings and warnings
 * of matching through `findAffectedBatch` (every advisory loaded with its
 * entries), on real data: all of Go vulndb and the PyPA advisories, the
 * Debian tracker and Debian OSV samples, Alpine secdb, NVD; against large
 * inventories built from the database's own names and boundary versions
 * (every introduced, fixed and last-affected version, an ancient one, and
 * some that no scheme can order). Slow tier: the import alone takes seconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Ecosystem, Inventory, OsRelease, Package } from '../../../src/core/inventory.js';
import { importPaths } from '../../../src/vuln/db.js';
import { matchInventory, type MatchStore } from '../../../src/vuln/match/index.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

let dir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-entries-'));
  db = join(dir, 'advisories.sqlite');
  await importPaths(db, [
    join(VULNDATA, 'osv', 'go-vulndb'),
    join(VULNDATA, 'osv', 'pypi-pypa'),
    join(VULNDATA, 'osv', 'distro-samples', 'debian'),
    join(VULNDATA, 'debian-tracker', 'tracker-json'),
    join(VULNDATA, 'alpine-secdb', 'yaml'),
    join(VULNDATA, 'nvd'),
  ]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Up to `perName` versions per (ecosystem, package) of the database: its range boundaries, plus an ancient one. */
function boundaryVersions(store: SqliteAdvisoryStore, ecosystem: string, perName: number): Map<string, string[]> {
  const rows = store.db
    .prepare<[string], { package: string; ranges: string; versions: string | null; fixed: string | null }>(
      'SELECT package, ranges, versions, fixed FROM affected WHERE ecosystem = ? ORDER BY package, record, ord',
    )
    .all(ecosystem);
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = out.get(r.package);
    if (!set) out.set(r.package, (set = new Set()));
    const add = (v: string | null | undefined): void => {
      if (v && v !== '0' && set!.size < perName) set!.add(v);
    };
    for (const range of JSON.parse(r.ranges) as { events: Record<string, string>[] }[]) {
      for (const e of range.events) {
        add(e.introduced);
        add(e.fixed);
        add(e.last_affected);
      }
    }
    add(r.fixed);
    for (const v of r.versions ? (JSON.parse(r.versions) as string[]) : []) add(v);
  }
  return new Map([...out].map(([name, set]) => [name, [...set]]));
}

function inventoryFor(store: SqliteAdvisoryStore, ecosystem: string, kind: Ecosystem, os: OsRelease | undefined, ancient: string): Inventory {
  const packages: Package[] = [];
  let i = 0;
  for (const [name, versions] of boundaryVersions(store, ecosystem, 4)) {
    const all = [ancient, ...versions, ...(i % 40 === 0 ? ['not a version!'] : [])];
    for (const raw of all) {
      const version = kind === 'go' && /^\d/.test(raw) ? `v${raw}` : raw;
      packages.push({
        name,
        version,
        ecosystem: kind,
        purl: `pkg:generic/${encodeURIComponent(name)}@${encodeURIComponent(version)}`,
        foundBy: 'test',
        path: `test/${i++}`,
        ...(os ? { source: { name, version } } : {}),
      });
    }
  }
  return { ...(os ? { os } : {}), packages, ownedFiles: [], warnings: [] };
}

/** The lookups matching used before the match table: entries and advisories together. */
function oldPath(store: SqliteAdvisoryStore): MatchStore {
  return {
    findAffected: (e, n) => store.findAffected(e, n),
    getById: (id) => store.getById(id),
    findAffectedBatch: (q) => store.findAffectedBatch(q),
    getByIds: (ids) => store.getByIds(ids),
    ecosystemsWithEntries: (ecosystems) => store.ecosystemsWithEntries(ecosystems),
  };
}

test('the match-table path gives byte-identical findings and warnings on real data', async () => {
  const probe = new SqliteAdvisoryStore(db, { readonly: true });
  const ecosystems = probe.db.prepare<[], { ecosystem: string; n: number }>('SELECT ecosystem, COUNT(*) AS n FROM affected GROUP BY ecosystem ORDER BY n DESC').all();
  const cases: { readonly label: string; readonly inventory: Inventory }[] = [
    { label: 'Go', inventory: inventoryFor(probe, 'Go', 'go', undefined, '0.0.1') },
    { label: 'PyPI', inventory: inventoryFor(probe, 'PyPI', 'pypi', undefined, '0.0.1') },
  ];
  // Every Debian release and Alpine branch of the data, each as the inventory's distribution.
  for (const { ecosystem } of ecosystems) {
    const debian = /^Debian:(\d+)$/.exec(ecosystem);
    const alpine = /^Alpine:v(\d+\.\d+)$/.exec(ecosystem);
    if (debian) cases.push({ label: ecosystem, inventory: inventoryFor(probe, ecosystem, 'debian', { id: 'debian', versionId: debian[1]!, path: 'etc/os-release' }, '0.1-1') });
    if (alpine) cases.push({ label: ecosystem, inventory: inventoryFor(probe, ecosystem, 'alpine', { id: 'alpine', versionId: `${alpine[1]!}.0`, path: 'etc/os-release' }, '0.1-r0') });
  }
  assert.ok(cases.length >= 8, cases.map((c) => c.label).join(', '));
  await probe.close();

  let total = 0;
  let packages = 0;
  let warned = 0;
  for (const { label, inventory } of cases) {
    const oldStore = new SqliteAdvisoryStore(db, { readonly: true });
    const newStore = new SqliteAdvisoryStore(db, { readonly: true });
    try {
      const oldWarnings: string[] = [];
      const newWarnings: string[] = [];
      const before = await matchInventory(inventory, oldPath(oldStore), { onWarning: (w) => oldWarnings.push(w) });
      const now = await matchInventory(inventory, newStore, { onWarning: (w) => newWarnings.push(w) });
      assert.ok(before.length > 0, `${label}: ${before.length} findings`);
      assert.equal(JSON.stringify(now), JSON.stringify(before), `${label}: findings differ`);
      assert.deepEqual(newWarnings, oldWarnings, `${label}: warnings differ`);
      warned += oldWarnings.filter((w) => w.includes('not a version!')).length;
      total += now.length;
      packages += inventory.packages.length;
    } finally {
      await oldStore.close();
      await newStore.close();
    }
  }
  assert.ok(packages > 10_000 && total > 5_000 && warned > 20, `${packages} packages, ${total} findings, ${warned} warnings of unorderable versions`);
});
