/**
 * Matching an inventory asks the store once per distinct (ecosystem, name)
 * and hands each package the answers of its own queries (index.ts: each
 * query's place among the run's lookups). The whole inventory must give
 * exactly the findings of matching every package alone, whichever lookups
 * the store offers (the match table, `findAffectedBatch`, `findAffected`
 * one by one), with the same name asked by several packages, names that
 * normalise alike (PEP 503), unknown names, listed, fixed and ancient
 * versions and one no scheme orders. Real data: PyPA and RustSec advisories.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compareFindings, type Ecosystem, type Finding, type Inventory, type Package } from '../../../src/core/index.js';
import { importPaths } from '../../../src/vuln/db.js';
import { matchInventory, type MatchStore } from '../../../src/vuln/match/index.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

let dir: string;
let db: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-slots-'));
  db = join(dir, 'advisories.sqlite');
  const pypa = join(VULNDATA, 'osv', 'pypi-pypa');
  await importPaths(db, [join(pypa, 'aiohttp'), join(pypa, 'ajenti'), join(pypa, 'accesscontrol'), join(VULNDATA, 'osv', 'rustsec')]);
});
after(() => rm(dir, { recursive: true, force: true }));

const KIND: Record<string, Ecosystem> = { PyPI: 'pypi', 'crates.io': 'cargo' };

function inventory(store: SqliteAdvisoryStore): Inventory {
  const rows = store.db
    .prepare<[], { ecosystem: string; package: string; versions: string | null; fixed: string | null }>(
      "SELECT ecosystem, package, versions, fixed FROM affected WHERE ecosystem IN ('PyPI', 'crates.io') ORDER BY ecosystem, package, record, ord",
    )
    .all();
  const packages: Package[] = [];
  const add = (ecosystem: string, name: string, version: string): void => {
    const kind = KIND[ecosystem]!;
    packages.push({ name, version, ecosystem: kind, purl: `pkg:generic/${encodeURIComponent(name)}@${encodeURIComponent(version)}`, foundBy: 'test', path: `test/${packages.length}` });
  };
  const seen = new Set<string>();
  for (const r of rows.slice(0, 60)) {
    const listed = r.versions ? (JSON.parse(r.versions) as string[]) : [];
    for (const v of [listed[0], listed.at(-1), r.fixed, '0.0.1'].filter((x): x is string => !!x)) add(r.ecosystem, r.package, v);
    if (r.ecosystem === 'PyPI' && listed[0]) {
      add(r.ecosystem, r.package.toUpperCase().replaceAll('-', '_'), listed[0]); // normalises to the same name
      add(r.ecosystem, r.package, `${listed[0]}.0`); // an equal PEP 440 spelling of a listed version (if it has no suffix)
    }
    if (!seen.has(r.package)) {
      seen.add(r.package);
      add(r.ecosystem, `${r.package}-unknown`, '1.0.0');
      add(r.ecosystem, r.package, 'french toast');
    }
  }
  return { packages, ownedFiles: [], warnings: [] };
}

/** A store offering only some lookups (as another AdvisoryStore may). */
function only(store: SqliteAdvisoryStore, batch: boolean): MatchStore {
  return {
    findAffected: (e, n) => store.findAffected(e, n),
    getById: (id) => store.getById(id),
    ...(batch ? { findAffectedBatch: (q: Parameters<SqliteAdvisoryStore['findAffectedBatch']>[0]) => store.findAffectedBatch(q) } : {}),
  };
}

async function matched(inv: Inventory, shape: (s: SqliteAdvisoryStore) => MatchStore): Promise<{ findings: Finding[]; warnings: string[] }> {
  const store = new SqliteAdvisoryStore(db, { readonly: true });
  try {
    const warnings: string[] = [];
    const findings = await matchInventory(inv, shape(store), { onWarning: (w) => warnings.push(w) });
    return { findings, warnings };
  } finally {
    await store.close();
  }
}

test('the whole inventory gives the findings and warnings of every package matched alone, whichever lookups the store has', async () => {
  const probe = new SqliteAdvisoryStore(db, { readonly: true });
  const inv = inventory(probe);
  await probe.close();
  assert.ok(inv.packages.length > 150, `${inv.packages.length} packages`);

  const alone: Finding[] = [];
  const aloneWarnings: string[] = [];
  for (const pkg of inv.packages) {
    const one = await matched({ ...inv, packages: [pkg] }, (s) => s);
    alone.push(...one.findings);
    aloneWarnings.push(...one.warnings);
  }
  alone.sort(compareFindings);
  assert.ok(alone.length > 100, `${alone.length} findings`);
  assert.ok(aloneWarnings.some((w) => w.includes('french toast')), 'an unorderable version is warned about');
  const variants = inv.packages.filter((p) => p.name !== p.name.toLowerCase());
  assert.ok(alone.some((f) => variants.includes(f.package)), 'a name spelled otherwise is matched');

  for (const [label, shape] of [
    ['match table', (s: SqliteAdvisoryStore): MatchStore => s],
    ['findAffectedBatch', (s: SqliteAdvisoryStore): MatchStore => only(s, true)],
    ['findAffected', (s: SqliteAdvisoryStore): MatchStore => only(s, false)],
  ] as const) {
    const whole = await matched(inv, shape);
    assert.equal(JSON.stringify(whole.findings), JSON.stringify(alone), `${label}: findings`);
    assert.deepEqual(whole.warnings, aloneWarnings, `${label}: warnings`);
  }
});
