/**
 * The 10,000-package inventory bench/scan.ts, bench/match.ts and
 * bench/advisory-postgres.ts match: names the database knows (PyPI, Go, npm,
 * crates.io, Maven, RubyGems, NuGet, Packagist, Alpine v3.10; 2 of 3
 * packages, each at the newest fixed version the database lists, every tenth
 * at an ancient version) and names it does not (1 of 3). One definition, so
 * the figures of the three benches are of the same work.
 */
import type Database from 'better-sqlite3';
import type { Ecosystem, Inventory, Package } from '../src/core/inventory.js';

const ECO: Record<string, Ecosystem> = { PyPI: 'pypi', Go: 'go', npm: 'npm', 'crates.io': 'cargo', Maven: 'maven', RubyGems: 'rubygems', NuGet: 'nuget', Packagist: 'packagist', 'Alpine:v3.10': 'alpine' };

export interface BenchInventory {
  readonly inventory: Inventory;
  /** Distinct (ecosystem, name) pairs of the database the packages were drawn from. */
  readonly names: number;
}

/** `dense`: every package at an ancient version (matched by nearly everything). */
export function benchInventory(db: Database.Database, dense = process.env.BENCH_DENSE === '1', size = 10_000): BenchInventory {
  const rows = db
    .prepare<[], { ecosystem: string; package: string; fixed: string | null }>(
      `SELECT ecosystem, package, MAX(fixed) AS fixed FROM affected WHERE ecosystem IN (${Object.keys(ECO).map((e) => `'${e}'`).join(',')}) GROUP BY ecosystem, package`,
    )
    .all();
  const packages: Package[] = [];
  for (let i = 0; packages.length < size; i++) {
    const r = rows[i % rows.length]!;
    const eco = ECO[r.ecosystem]!;
    const known = i % 3 !== 2;
    const name = known ? r.package : `${r.package}-not-in-db-${i}`;
    // Realistic: most packages are at the newest fixed version the DB knows (still matched by open advisories);
    // every tenth is ancient (matched by nearly everything); with `dense` all are ancient.
    const ancient = dense || i % 10 === 0 || !r.fixed;
    const version = ancient ? (eco === 'alpine' ? '0.1-r0' : eco === 'go' ? 'v0.0.1' : '0.0.1') : eco === 'go' && !r.fixed!.startsWith('v') ? `v${r.fixed}` : r.fixed!;
    packages.push({ name, version, ecosystem: eco, purl: `pkg:generic/${encodeURIComponent(name)}@${version}`, foundBy: 'bench', path: `bench/${i}`, ...(eco === 'alpine' ? { source: { name } } : {}) });
  }
  return { inventory: { os: { id: 'alpine', versionId: '3.10.9', path: 'etc/os-release' }, packages, ownedFiles: [], warnings: [] }, names: rows.length };
}
