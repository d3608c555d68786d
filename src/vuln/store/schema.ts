/**
 * The advisory database schema: normalised tables `records` (one per (id,
 * feed, scope)), `aliases` (kind `alias` | `upstream`), `severities`, `refs`,
 * `affected` (ranges and versions as JSON text), plus `sources` (per-feed
 * bookkeeping) and `meta` (key/value: HTTP validators, sync dates); since v3
 * each record is also kept whole as JSON (`records.body`, NULL when its
 * facts and affected rows give it back: body.ts); since v4 the
 * exploitation data (`kev`, `epss`, keyed by CVE) sits beside them; since v5
 * `match_entries` repeats each affected row with its record's id and whether
 * it is withdrawn, so matching reads small rows and never the records (the
 * migration fills it from the rows an older database holds); since v6
 * `record_facts` keeps each record's JSON without its `affected` list, which
 * is all a finding shows of an advisory (the migration cuts it from the
 * bodies). Versioned with
 * `PRAGMA user_version` and the ordered `MIGRATIONS` list; each step runs in
 * its own transaction. A database newer than this code is refused
 * (DB_TOO_NEW) rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { StoreError } from './store.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'advisory records, aliases, severities, references, affected packages, per-feed bookkeeping',
    sql: `
      CREATE TABLE records (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        feed TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '',
        summary TEXT,
        details TEXT,
        published TEXT,
        modified TEXT,
        withdrawn TEXT,
        content_hash TEXT NOT NULL,
        UNIQUE (id, feed, scope)
      );
      CREATE TABLE aliases (record INTEGER NOT NULL, kind TEXT NOT NULL, alias TEXT NOT NULL);
      CREATE INDEX aliases_record ON aliases (record);
      CREATE TABLE severities (
        record INTEGER NOT NULL, ord INTEGER NOT NULL, source TEXT NOT NULL, severity TEXT NOT NULL,
        cvss_version TEXT, vector TEXT, score REAL
      );
      CREATE INDEX severities_record ON severities (record);
      CREATE TABLE refs (record INTEGER NOT NULL, ord INTEGER NOT NULL, type TEXT NOT NULL, url TEXT NOT NULL);
      CREATE INDEX refs_record ON refs (record);
      CREATE TABLE affected (
        record INTEGER NOT NULL, ord INTEGER NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, purl TEXT,
        ranges TEXT NOT NULL, versions TEXT, fixed TEXT, status TEXT NOT NULL, source_record TEXT NOT NULL
      );
      CREATE INDEX affected_record ON affected (record);
      CREATE INDEX affected_package ON affected (ecosystem, package);
      CREATE TABLE sources (feed TEXT PRIMARY KEY, last_import TEXT, data_date TEXT);
    `,
  },
  {
    version: 2,
    description: 'alias lookup index, key/value metadata (HTTP validators, sync dates), last change per feed',
    sql: `
      CREATE INDEX aliases_alias ON aliases (alias);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ALTER TABLE sources ADD COLUMN last_change TEXT;
    `,
  },
  {
    version: 3,
    description: 'each record also kept whole as JSON (body), so reading an advisory is one row, not five queries',
    sql: `
      ALTER TABLE records ADD COLUMN body TEXT;
    `,
  },
  {
    version: 4,
    description: 'exploitation data beside the advisories: CISA KEV entries and FIRST EPSS scores by CVE (src/vuln/exploit)',
    sql: `
      CREATE TABLE kev (
        cve TEXT PRIMARY KEY, date_added TEXT NOT NULL, due_date TEXT, ransomware TEXT,
        vendor TEXT, product TEXT, name TEXT, required_action TEXT
      ) WITHOUT ROWID;
      CREATE TABLE epss (cve TEXT PRIMARY KEY, probability REAL NOT NULL, percentile REAL NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    description: 'match table: each affected entry with its advisory id and withdrawn flag, so matching reads no record rows',
    sql: `
      CREATE TABLE match_entries (
        record INTEGER NOT NULL, ord INTEGER NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,
        advisory TEXT NOT NULL, withdrawn INTEGER NOT NULL,
        ranges TEXT NOT NULL, versions TEXT, fixed TEXT, status TEXT NOT NULL, source_record TEXT NOT NULL, purl TEXT
      );
      CREATE INDEX match_entries_record ON match_entries (record);
      CREATE INDEX match_entries_package ON match_entries (ecosystem, package);
      INSERT INTO match_entries (record, ord, ecosystem, package, advisory, withdrawn, ranges, versions, fixed, status, source_record, purl)
        SELECT a.record, a.ord, a.ecosystem, a.package, r.id, r.withdrawn IS NOT NULL, a.ranges, a.versions, a.fixed, a.status, a.source_record, a.purl
        FROM affected a JOIN records r ON r.pk = a.record;
    `,
  },
  {
    version: 6,
    description: 'facts table: each record without its affected entries (what a finding shows), so matching parses no entry lists',
    sql: `
      CREATE TABLE record_facts (record INTEGER PRIMARY KEY, facts TEXT NOT NULL);
      INSERT INTO record_facts (record, facts) SELECT pk, json_remove(body, '$.affected') FROM records WHERE body IS NOT NULL;
    `,
  },
];

/**
 * The schema version from which `match_entries` exists. A database opened
 * read-only is never migrated: below this version the store matches from
 * `affected` joined with `records` (slower, same answers).
 */
export const MATCH_ENTRIES_VERSION = 5;

/**
 * The schema version from which `record_facts` exists. Below it (read-only),
 * and for a record written before schema v3 (no JSON body, so no facts row),
 * the facts are the loaded record without its entries.
 */
export const RECORD_FACTS_VERSION = 6;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings `db` to `target` (default: the latest), one transaction per step. Returns the version reached. */
export function migrate(db: Database.Database, target: number = SCHEMA_VERSION): number {
  let current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError('DB_TOO_NEW', `advisory database schema v${current} is newer than this portcullis (v${SCHEMA_VERSION}); upgrade portcullis`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}

/**
 * Secondary indexes whose keys arrive in random order during an import
 * (package names, alias ids). A first import into an empty database drops
 * them inside its transaction and builds them once at the end (`buildIndexes`),
 * which is much cheaper than keeping them sorted row by row; a rollback or a
 * kill restores them with everything else. The per-record indexes stay: their
 * keys only grow, and updates need them.
 */
export const BULK_INDEXES: readonly { readonly name: string; readonly sql: string }[] = [
  { name: 'affected_package', sql: 'CREATE INDEX affected_package ON affected (ecosystem, package)' },
  { name: 'aliases_alias', sql: 'CREATE INDEX aliases_alias ON aliases (alias)' },
  { name: 'match_entries_package', sql: 'CREATE INDEX match_entries_package ON match_entries (ecosystem, package)' },
];

export function dropBulkIndexes(db: Database.Database): void {
  for (const index of BULK_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index.name}`);
}

export function buildBulkIndexes(db: Database.Database): void {
  for (const index of BULK_INDEXES) db.exec(index.sql.replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS'));
}
