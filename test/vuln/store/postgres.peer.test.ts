/**
 * The PostgreSQL advisory store on a real PostgreSQL (a throwaway cluster
 * from test/support/postgres.ts, a database whose default collation is ICU
 * en-US, so byte ordering must come from the store): the store contract
 * (advisory-contract.ts), each test in a schema of its own; real advisory
 * data imported into SQLite and into PostgreSQL gives identical findings and
 * warnings (PostgreSQL's from bodies rebuilt: schema v3 keeps almost none),
 * identical status counts, and a second import changes nothing;
 * a failed import leaves the data as it was; several processes opening an
 * empty schema at once create the tables once; a v1 schema is upgraded in
 * place (KEV and EPSS tables added, its data kept).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Ecosystem, Inventory, OsRelease, Package } from '../../../src/core/inventory.js';
import { importPaths } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { importExploitFile } from '../../../src/vuln/exploit/import.js';
import { PostgresAdvisoryStore } from '../../../src/vuln/store/postgres.js';
import { PG_MIGRATIONS } from '../../../src/vuln/store/postgres-schema.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { VULNDATA } from '../../support/paths.js';
import { advisoryStoreContract } from './advisory-contract.js';
import { KEV_CATALOG } from './exploit-contract.js';

let peer: PostgresPeer;
let database: string;
let dir: string;

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase({ icuLocale: 'en-US' });
  dir = await mkdtemp(join(tmpdir(), 'portcullis-pg-advisories-'));
});

after(async () => {
  await peer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const freshSchema = (): string => `t_${randomBytes(5).toString('hex')}`;

advisoryStoreContract('postgres', async () => {
  const schema = freshSchema();
  const store = await PostgresAdvisoryStore.open(database, { schema });
  return { store, reader: () => PostgresAdvisoryStore.open(database, { schema }), cleanup: () => store.close() };
});

/** The CLI and serve take only a URL: the real-data test imports into the default schema, as `db import --db postgres://…` does. */
const SOURCES = [
  join(VULNDATA, 'osv', 'go-vulndb'),
  join(VULNDATA, 'osv', 'rustsec'),
  join(VULNDATA, 'osv', 'distro-samples', 'debian'),
  join(VULNDATA, 'debian-tracker', 'tracker-json'),
  join(VULNDATA, 'alpine-secdb', 'yaml'),
  join(VULNDATA, 'nvd'),
];

/** Up to four versions per package of one ecosystem (range boundaries), plus an ancient one and, now and then, one no scheme orders. */
function inventoryFor(store: SqliteAdvisoryStore, ecosystem: string, kind: Ecosystem, os: OsRelease | undefined, ancient: string): Inventory {
  const rows = store.db.prepare<[string], { package: string; ranges: string }>('SELECT package, ranges FROM affected WHERE ecosystem = ? ORDER BY package, record, ord').all(ecosystem);
  const versions = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = versions.get(r.package);
    if (!set) versions.set(r.package, (set = new Set([ancient])));
    for (const range of JSON.parse(r.ranges) as { events: Record<string, string>[] }[]) {
      for (const e of range.events) for (const v of [e.introduced, e.fixed, e.last_affected]) if (v && v !== '0' && set.size < 5) set.add(v);
    }
  }
  const packages: Package[] = [];
  let i = 0;
  for (const [name, set] of versions) {
    for (const raw of [...set, ...(i % 40 === 0 ? ['not a version!'] : [])]) {
      const version = kind === 'go' && /^\d/.test(raw) ? `v${raw}` : raw;
      packages.push({ name, version, ecosystem: kind, purl: `pkg:generic/${encodeURIComponent(name)}@${encodeURIComponent(version)}`, foundBy: 'test', path: `test/${i++}`, ...(os ? { source: { name, version } } : {}) });
    }
  }
  return { ...(os ? { os } : {}), packages, ownedFiles: [], warnings: [] };
}

test('real advisory data: SQLite and PostgreSQL give identical findings, warnings and counts; a second import changes nothing', async () => {
  const sqlitePath = join(dir, 'advisories.sqlite');
  const sqliteImport = await importPaths(sqlitePath, SOURCES);
  const pgImport = await importPaths(database, SOURCES);
  assert.equal(pgImport.inserted, sqliteImport.inserted);
  assert.ok(pgImport.inserted > 5000, `${pgImport.inserted} records`);
  assert.deepEqual(pgImport.warnings, sqliteImport.warnings);

  const sqlite = new SqliteAdvisoryStore(sqlitePath, { readonly: true });
  const postgres = await PostgresAdvisoryStore.open(database);
  try {
    const [a, b] = [await sqlite.status(), await postgres.status()];
    assert.equal(b.advisories, a.advisories);
    assert.equal(b.affected, a.affected);
    assert.deepEqual(b.sources.map(({ lastImport, lastChange, ...rest }) => rest), a.sources.map(({ lastImport, lastChange, ...rest }) => rest));

    const cases: { label: string; inventory: Inventory }[] = [
      { label: 'Go', inventory: inventoryFor(sqlite, 'Go', 'go', undefined, '0.0.1') },
      { label: 'crates.io', inventory: inventoryFor(sqlite, 'crates.io', 'cargo', undefined, '0.0.1') },
    ];
    for (const { ecosystem } of sqlite.db.prepare<[], { ecosystem: string }>('SELECT DISTINCT ecosystem FROM affected ORDER BY 1').all()) {
      const debian = /^Debian:(\d+)$/.exec(ecosystem);
      const alpine = /^Alpine:v(\d+\.\d+)$/.exec(ecosystem);
      if (debian) cases.push({ label: ecosystem, inventory: inventoryFor(sqlite, ecosystem, 'debian', { id: 'debian', versionId: debian[1]!, path: 'etc/os-release' }, '0.1-1') });
      if (alpine) cases.push({ label: ecosystem, inventory: inventoryFor(sqlite, ecosystem, 'alpine', { id: 'alpine', versionId: `${alpine[1]!}.0`, path: 'etc/os-release' }, '0.1-r0') });
    }
    assert.ok(cases.length >= 6, cases.map((c) => c.label).join(', '));
    let total = 0;
    for (const { label, inventory } of cases) {
      const wa: string[] = [];
      const wb: string[] = [];
      const fa = await matchInventory(inventory, sqlite, { onWarning: (w) => wa.push(w) });
      const fb = await matchInventory(inventory, postgres, { onWarning: (w) => wb.push(w) });
      assert.ok(fa.length > 0, `${label}: ${fa.length} findings`);
      assert.equal(JSON.stringify(fb), JSON.stringify(fa), `${label}: findings differ`);
      assert.deepEqual(wb, wa, `${label}: warnings differ`);
      total += fa.length;
    }
    assert.ok(total > 3000, `${total} findings`);
    for (const id of ['CVE-2021-3711', 'GO-2022-0191', 'RUSTSEC-2021-0001']) assert.deepEqual(await postgres.byAlias(id), await sqlite.byAlias(id), id);
    // Facts (what a finding shows) of every record, as SQLite merges them: PostgreSQL reads its facts column.
    const ids = sqlite.db.prepare<[], { id: string }>('SELECT DISTINCT id FROM records ORDER BY id').all().map((r) => r.id);
    for (let i = 0; i < ids.length; i += 5_000) {
      const chunk = ids.slice(i, i + 5_000);
      assert.equal(JSON.stringify([...(await postgres.getFactsByIds(chunk))]), JSON.stringify([...(await sqlite.getFactsByIds(chunk))]), `facts of ids ${i}…`);
    }
    // The counts the import kept equal a live count.
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    // Schema v3: bodies the facts and match rows give back are not stored (the findings above came from rebuilt ones).
    const { rows: [bodies] } = await client.query<{ kept: number; all: number }>('SELECT count(body)::int AS kept, count(*)::int AS all FROM portcullis_advisories.records');
    assert.ok(bodies!.kept * 100 <= bodies!.all, `${bodies!.kept} of ${bodies!.all} bodies kept`);
    await client.query(`DELETE FROM portcullis_advisories.meta WHERE key = 'store:counts'`).finally(() => client.end());
    assert.deepEqual(await postgres.status(), b);
  } finally {
    await sqlite.close();
    await postgres.close();
  }
  const again = await importPaths(database, SOURCES);
  assert.equal(again.inserted + again.updated, 0);
  assert.equal(again.unchanged, pgImport.inserted);
});

test('postgres: a failed import leaves the data as it was; six processes opening an empty schema create the tables once', async () => {
  const schema = freshSchema();
  const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresAdvisoryStore.open(database, { schema })));
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.advisory_migrations ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), [1, 2, 3], 'each migration once (v2: KEV and EPSS tables; v3: bodies rebuilt from facts)');
  } finally {
    await client.end();
    await Promise.all(stores.map((s) => s.close()));
  }
  const probe = await PostgresAdvisoryStore.open(database);
  const before = await probe.status();
  await probe.close();
  // A valid input, then one that is missing: the whole import is refused and nothing of the first is kept.
  await assert.rejects(importPaths(database, [join(VULNDATA, 'osv', 'pypi-pypa'), join(dir, 'missing')]), { code: 'INPUT_MISSING' });
  const store = await PostgresAdvisoryStore.open(database);
  try {
    assert.deepEqual(await store.status(), before);
  } finally {
    await store.close();
  }
});

test('postgres: a schema at v1 (before KEV and EPSS) is upgraded in place: its data stays, KEV imports', async () => {
  const schema = freshSchema();
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(PG_MIGRATIONS[0]!(schema));
    await client.query(`CREATE TABLE ${schema}.advisory_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`INSERT INTO ${schema}.advisory_migrations (version) VALUES (1)`);
    await client.query(`INSERT INTO ${schema}.meta (key, value) VALUES ('kept', 'yes')`);
  } finally {
    await client.end();
  }
  const store = await PostgresAdvisoryStore.open(database, { schema });
  try {
    assert.equal(await store.getMeta('kept'), 'yes');
    assert.deepEqual(await store.exploitation().info(), {});
    await store.transaction(() => importExploitFile(store.exploitation(), KEV_CATALOG, 'kev'));
    assert.equal((await store.exploitation().info()).kev?.entries, 1404);
  } finally {
    await store.close();
  }
});
