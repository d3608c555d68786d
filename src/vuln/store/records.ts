/**
 * Reading and writing one advisory record (id, feed, scope) in the SQLite
 * tables, its facts (the record without its affected entries, schema v6:
 * what matching loads of an advisory), and its content hash.
 *
 * Idempotency comes from the records themselves: each record stores a
 * SHA-256 of its canonical content; an upsert with the same hash, or with an
 * older `modified` date, changes nothing, so re-importing the same data
 * leaves every advisory row untouched.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Advisory, CvssVersion, Reference, Severity, SeverityLevel } from '../../core/index.js';
import { affectedFromRow, BodyRebuilder, serialiseRecord, type AffectedRow } from './body.js';
import { mergeFacts, timeOf, uniq } from './merge.js';
import { RECORD_FACTS_VERSION } from './schema.js';
import { StoreError, type AdvisoryFacts, type UpsertResult } from './store.js';

/**
 * JSON with sorted keys and no undefined members: the input of a record's
 * content hash. Written as one string-building walk (imports hash every
 * record); its output is byte-for-byte what the stored hashes were made from.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      out += canonicalJson(v === undefined ? null : v);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

export function contentHash(advisory: Advisory): string {
  return createHash('sha256').update(canonicalJson(advisory)).digest('hex');
}

export interface RecordRow {
  pk: number;
  id: string;
  feed: string;
  scope: string;
  summary: string | null;
  details: string | null;
  published: string | null;
  modified: string | null;
  withdrawn: string | null;
  /**
   * The record as JSON (schema v3+): null for rows written before v3, and for rows whose body is
   * their facts row plus their affected rows exactly (body.ts), which reading rebuilds.
   */
  body: string | null;
  /** The record's facts row when it has no body (schema v6+), else null. */
  facts: string | null;
}

/** The record exactly as the tables hold it (de-duplicated aliases, only known fields), for the body column. */
export function storedForm(a: Advisory): Advisory {
  return {
    id: a.id,
    feed: a.feed,
    scope: a.scope,
    aliases: uniq(a.aliases),
    upstream: uniq(a.upstream),
    ...(a.summary !== undefined ? { summary: a.summary } : {}),
    ...(a.details !== undefined ? { details: a.details } : {}),
    severities: a.severities.map((sev) => ({
      source: sev.source,
      severity: sev.severity,
      ...(sev.cvss ? { cvss: { version: sev.cvss.version, vector: sev.cvss.vector, ...(sev.cvss.score !== undefined ? { score: sev.cvss.score } : {}) } } : {}),
    })),
    references: a.references.map((r) => ({ type: r.type, url: r.url })),
    ...(a.published !== undefined ? { published: a.published } : {}),
    ...(a.modified !== undefined ? { modified: a.modified } : {}),
    ...(a.withdrawn !== undefined ? { withdrawn: a.withdrawn } : {}),
    affected: a.affected.map((x) => ({
      ecosystem: x.ecosystem,
      name: x.name,
      ...(x.purl !== undefined ? { purl: x.purl } : {}),
      ranges: x.ranges,
      ...(x.versions !== undefined ? { versions: x.versions } : {}),
      ...(x.fixed !== undefined ? { fixed: x.fixed } : {}),
      status: x.status,
      sourceRecord: x.sourceRecord,
    })),
  };
}
export { affectedFromRow, type AffectedRow } from './body.js';

type Db = Database.Database;

/**
 * A record's row, from `records r`: a row with a body needs nothing else; one without gets its
 * facts row (schema v6+: the body is rebuilt from it and the affected rows); summary and details
 * (the bulk of the other columns) are read only when neither is there (written before v3).
 */
function recordSource(hasFacts: boolean): string {
  const plain = 'r.body IS NULL' + (hasFacts ? ' AND f.facts IS NULL' : '');
  const columns = `r.pk AS pk, r.id AS id, r.feed AS feed, r.scope AS scope, CASE WHEN ${plain} THEN r.summary END AS summary,
    CASE WHEN ${plain} THEN r.details END AS details, r.published AS published, r.modified AS modified, r.withdrawn AS withdrawn, r.body AS body`;
  return hasFacts
    ? `SELECT ${columns}, f.facts AS facts FROM records r LEFT JOIN record_facts f ON r.body IS NULL AND f.record = r.pk`
    : `SELECT ${columns}, NULL AS facts FROM records r`;
}

function prepareStatements(db: Db) {
  const records = recordSource(hasTable(db, 'record_facts'));
  return {
    findRecord: db.prepare<[string, string, string], { pk: number; modified: string | null; content_hash: string }>(
      'SELECT pk, modified, content_hash FROM records WHERE id = ? AND feed = ? AND scope = ?',
    ),
    insertRecord: db.prepare<[string, string, string, string | null, string | null, string | null, string | null, string | null, string, string | null]>(
      'INSERT INTO records (id, feed, scope, summary, details, published, modified, withdrawn, content_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    updateRecord: db.prepare<[string | null, string | null, string | null, string | null, string | null, string, string | null, number]>(
      'UPDATE records SET summary = ?, details = ?, published = ?, modified = ?, withdrawn = ?, content_hash = ?, body = ? WHERE pk = ?',
    ),
    deleteAliases: db.prepare('DELETE FROM aliases WHERE record = ?'),
    deleteSeverities: db.prepare('DELETE FROM severities WHERE record = ?'),
    deleteRefs: db.prepare('DELETE FROM refs WHERE record = ?'),
    deleteAffected: db.prepare('DELETE FROM affected WHERE record = ?'),
    insertAlias: db.prepare('INSERT INTO aliases (record, kind, alias) VALUES (?, ?, ?)'),
    insertSeverity: db.prepare('INSERT INTO severities (record, ord, source, severity, cvss_version, vector, score) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertRef: db.prepare('INSERT INTO refs (record, ord, type, url) VALUES (?, ?, ?, ?)'),
    insertAffected: db.prepare(
      'INSERT INTO affected (record, ord, ecosystem, package, purl, ranges, versions, fixed, status, source_record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    recordsById: db.prepare<[string], RecordRow>(`${records} WHERE r.id = ?`),
    recordByPk: db.prepare<[number], RecordRow>(`${records} WHERE r.pk = ?`),
    recordsByIds: db.prepare<[string], RecordRow>(
      `${records} WHERE r.id IN (SELECT value FROM json_each(?))`,
    ),
    aliasesOf: db.prepare<[number], { kind: string; alias: string }>('SELECT kind, alias FROM aliases WHERE record = ? ORDER BY rowid'),
    severitiesOf: db.prepare<[number], { source: string; severity: string; cvss_version: string | null; vector: string | null; score: number | null }>(
      'SELECT source, severity, cvss_version, vector, score FROM severities WHERE record = ? ORDER BY ord',
    ),
    refsOf: db.prepare<[number], { type: string; url: string }>('SELECT type, url FROM refs WHERE record = ? ORDER BY ord'),
    affectedOf: db.prepare<[number], AffectedRow>('SELECT * FROM affected WHERE record = ? ORDER BY ord'),
  };
}

/**
 * The match table's and the facts table's writes (schema v5+, v6+). Absent
 * only in a database opened read-only below v6 (a writable one is always
 * migrated first), which never writes.
 */
function prepareMatchWrites(db: Db) {
  if (!hasTable(db, 'match_entries') || !hasTable(db, 'record_facts')) return undefined;
  return {
    putFacts: db.prepare('INSERT OR REPLACE INTO record_facts (record, facts) VALUES (?, ?)'),
    deleteMatchEntries: db.prepare('DELETE FROM match_entries WHERE record = ?'),
    insertMatchEntry: db.prepare(
      'INSERT INTO match_entries (record, ord, ecosystem, package, advisory, withdrawn, ranges, versions, fixed, status, source_record, purl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Each record's facts (schema v6+), with the record's pk: null facts for a
 * record written before schema v3 (no body to cut them from). Absent in a
 * database opened read-only below v6.
 */
function prepareFactsReads(db: Db) {
  if (!hasTable(db, 'record_facts')) return undefined;
  return db
    .prepare<[string], [id: string, pk: number, facts: string | null]>(
      'SELECT r.id, r.pk, f.facts FROM records r LEFT JOIN record_facts f ON f.record = r.pk WHERE r.id IN (SELECT value FROM json_each(?))',
    )
    .raw();
}

/** The record tables of one database: upsert a record, read records back. */
export class RecordTables {
  readonly #s: ReturnType<typeof prepareStatements>;
  readonly #match: ReturnType<typeof prepareMatchWrites>;
  readonly #facts: ReturnType<typeof prepareFactsReads>;
  /** NULL bodies rebuilt from the facts and affected rows; absent below schema v6 (read-only), where no body is NULL but pre-v3 ones. */
  readonly #bodies: BodyRebuilder | undefined;

  constructor(readonly db: Db) {
    this.#s = prepareStatements(db);
    this.#match = prepareMatchWrites(db);
    this.#facts = prepareFactsReads(db);
    this.#bodies = hasTable(db, 'record_facts') ? new BodyRebuilder(db) : undefined;
  }

  /** Inserts or replaces one record unless it is unchanged (same hash) or older (by `modified`) than the stored one. */
  upsert(advisory: Advisory): UpsertResult {
    const s = this.#s;
    const m = this.#match;
    if (!m) throw new StoreError('DB_OPEN_FAILED', `cannot write to the advisory database: it is open read-only (schema below v${RECORD_FACTS_VERSION})`);
    const hash = contentHash(advisory);
    const existing = s.findRecord.get(advisory.id, advisory.feed, advisory.scope);
    if (existing && existing.content_hash === hash) return 'unchanged';
    if (existing) {
      const have = timeOf(existing.modified);
      const incoming = timeOf(advisory.modified);
      if (have !== undefined && incoming !== undefined && incoming < have) return 'unchanged';
    }
    const summary = advisory.summary ?? null;
    const details = advisory.details ?? null;
    const published = advisory.published ?? null;
    const modified = advisory.modified ?? null;
    const withdrawn = advisory.withdrawn ?? null;
    // The facts, the affected rows as written, and the body only when they do not give it back.
    const { facts, entries, keptBody } = serialiseRecord(advisory, storedForm(advisory));
    const write = (): UpsertResult => {
      let pk: number;
      if (existing) {
        pk = existing.pk;
        s.updateRecord.run(summary, details, published, modified, withdrawn, hash, keptBody, pk);
        s.deleteAliases.run(pk);
        s.deleteSeverities.run(pk);
        s.deleteRefs.run(pk);
        s.deleteAffected.run(pk);
        m.deleteMatchEntries.run(pk);
      } else {
        pk = Number(s.insertRecord.run(advisory.id, advisory.feed, advisory.scope, summary, details, published, modified, withdrawn, hash, keptBody).lastInsertRowid);
      }
      m.putFacts.run(pk, facts);
      for (const a of uniq(advisory.aliases)) s.insertAlias.run(pk, 'alias', a);
      for (const a of uniq(advisory.upstream)) s.insertAlias.run(pk, 'upstream', a);
      advisory.severities.forEach((sev, i) =>
        s.insertSeverity.run(pk, i, sev.source, sev.severity, sev.cvss?.version ?? null, sev.cvss?.vector ?? null, sev.cvss?.score ?? null),
      );
      advisory.references.forEach((r, i) => s.insertRef.run(pk, i, r.type, r.url));
      const withdrawnFlag = withdrawn === null ? 0 : 1;
      advisory.affected.forEach((a, i) => {
        const { ranges, versions, purl, fixed } = entries[i]!;
        s.insertAffected.run(pk, i, a.ecosystem, a.name, purl, ranges, versions, fixed, a.status, a.sourceRecord);
        m.insertMatchEntry.run(pk, i, a.ecosystem, a.name, advisory.id, withdrawnFlag, ranges, versions, fixed, a.status, a.sourceRecord, purl);
      });
      return existing ? 'updated' : 'inserted';
    };
    // Inside an import transaction already: no per-record savepoint.
    return this.db.inTransaction ? write() : this.db.transaction(write)();
  }

  /**
   * Records from their rows, in order: the JSON body when the row has one, else the body rebuilt
   * from the facts and affected rows (one query for all of them), else (written before schema
   * v3: no facts row) the record rebuilt from the tables.
   */
  loadAll(rows: readonly RecordRow[]): Advisory[] {
    const bodiless = rows.filter((r): r is RecordRow & { facts: string } => r.body === null && r.facts !== null);
    const rebuilt = this.#bodies?.records(bodiless);
    return rows.map((row) => {
      if (row.body !== null) return JSON.parse(row.body) as Advisory;
      return rebuilt?.get(row.pk) ?? this.load(row);
    });
  }

  /** A record from its row: the JSON body when the row has one, else rebuilt from the tables (written before schema v3). */
  private load(row: RecordRow): Advisory {
    if (row.body !== null) return JSON.parse(row.body) as Advisory;
    const s = this.#s;
    const aliases: string[] = [];
    const upstream: string[] = [];
    for (const a of s.aliasesOf.all(row.pk)) (a.kind === 'upstream' ? upstream : aliases).push(a.alias);
    const severities: Severity[] = s.severitiesOf.all(row.pk).map((r) => ({
      source: r.source,
      severity: r.severity as SeverityLevel,
      ...(r.cvss_version !== null && r.vector !== null
        ? { cvss: { version: r.cvss_version as CvssVersion, vector: r.vector, ...(r.score !== null ? { score: r.score } : {}) } }
        : {}),
    }));
    const references: Reference[] = s.refsOf.all(row.pk).map((r) => ({ type: r.type, url: r.url }));
    return {
      id: row.id,
      feed: row.feed,
      scope: row.scope,
      aliases,
      upstream,
      ...(row.summary !== null ? { summary: row.summary } : {}),
      ...(row.details !== null ? { details: row.details } : {}),
      severities,
      references,
      ...(row.published !== null ? { published: row.published } : {}),
      ...(row.modified !== null ? { modified: row.modified } : {}),
      ...(row.withdrawn !== null ? { withdrawn: row.withdrawn } : {}),
      affected: s.affectedOf.all(row.pk).map(affectedFromRow),
    };
  }

  /** Every stored record of one id, unmerged. */
  byId(id: string): Advisory[] {
    return this.loadAll(this.#s.recordsById.all(id));
  }

  /**
   * The facts of every record of many ids in one query, grouped by id (ids without records are
   * absent): each record as stored, without its affected entries. A record without a facts row
   * (written before schema v3), or a database below v6, costs the record itself.
   */
  factsByIds(ids: readonly string[]): Map<string, AdvisoryFacts[]> {
    const out = new Map<string, AdvisoryFacts[]>();
    if (ids.length === 0) return out;
    if (!this.#facts) {
      for (const [id, records] of this.byIds(ids)) out.set(id, records.map(withoutAffected));
      return out;
    }
    const add = (id: string, facts: AdvisoryFacts): void => {
      const list = out.get(id);
      if (list) list.push(facts);
      else out.set(id, [facts]);
    };
    // Row by row (`iterate`): each JSON text is garbage once parsed, instead of all of them living
    // through the loop (and through the young-generation collections during it).
    const bodiless: [string, number][] = [];
    for (const [id, pk, text] of this.#facts.iterate(JSON.stringify(ids))) {
      if (text !== null) add(id, JSON.parse(text) as AdvisoryFacts);
      else bodiless.push([id, pk]);
    }
    for (const [id, pk] of bodiless) add(id, withoutAffected(this.loadAll([this.#s.recordByPk.get(pk)!])[0]!));
    return out;
  }

  /** The records of many ids in one query, grouped by id (ids without records are absent). */
  byIds(ids: readonly string[]): Map<string, Advisory[]> {
    const out = new Map<string, Advisory[]>();
    if (ids.length === 0) return out;
    const rows = this.#s.recordsByIds.all(JSON.stringify(ids));
    const records = this.loadAll(rows);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const record = records[i]!;
      const list = out.get(row.id);
      if (list) list.push(record);
      else out.set(row.id, [record]);
    }
    return out;
  }
}

/** A record's facts: the record without its affected entries. */
function withoutAffected(record: Advisory): AdvisoryFacts {
  const { affected: _affected, ...facts } = record;
  return facts;
}

/**
 * `mergeFacts` of one id's records, without copying a record that is alone and has no `withdrawn`
 * (most of them): the copy would hold the same keys in the same order, and matching loads thousands.
 */
export function mergedFactsOf(records: readonly AdvisoryFacts[] | undefined): AdvisoryFacts | undefined {
  if (records?.length === 1 && !Object.hasOwn(records[0]!, 'withdrawn')) return records[0];
  return mergeFacts(records ?? []);
}
