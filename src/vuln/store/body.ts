/**
 * A record's JSON body without storing it twice. Since schema v6 each record
 * is held three times over: `records.body` (the whole record), `record_facts`
 * (the body without `affected`) and the tables. The body is exactly the facts
 * with the affected rows appended:
 * `body = facts[0..-1] + ',"affected":[' + entries + ']}'`, each entry built
 * from its `affected` row (`entryJson`; the row's ranges and versions texts
 * are the same `JSON.stringify` the body used). So `upsert` stores a NULL
 * body whenever that rebuild, from the very values it writes to the rows,
 * gives the serialised body (`droppableBody`), and reading rebuilds it
 * (`BodyRebuilder`): the database is ~37 % smaller and reads give the same
 * bytes.
 *
 * Why not a schema bump: portcullis of schema v6 reads a NULL body from the
 * tables (the path for records written before v3, which it keeps for them).
 * `droppableBody` also requires that path to give the body back: the record's
 * columns, aliases, severities and references, as that code reads them,
 * serialise to the facts byte for byte, every value written is a string
 * where the column is text (SQLite would turn a number into text) and no
 * string holds a lone surrogate (stored as U+FFFD in UTF-8, so read back
 * differently). When one of these fails the body stays, and every reader,
 * old or new, reads it.
 *
 * Hand-written because it is the exact inverse of how `records.ts` writes;
 * no library knows these tables.
 */
import type Database from 'better-sqlite3';
import type { Advisory, AffectedPackage, AffectedRange, AffectedStatus } from '../../core/index.js';
import { uniq } from './merge.js';
import { StoreError } from './store.js';

export interface AffectedRow {
  record: number;
  ecosystem: string;
  package: string;
  purl: string | null;
  ranges: string;
  versions: string | null;
  fixed: string | null;
  status: string;
  source_record: string;
}

export function affectedFromRow(r: Omit<AffectedRow, 'record'>): AffectedPackage {
  return {
    ecosystem: r.ecosystem,
    name: r.package,
    ...(r.purl !== null ? { purl: r.purl } : {}),
    ranges: JSON.parse(r.ranges) as AffectedRange[],
    ...(r.versions !== null ? { versions: JSON.parse(r.versions) as string[] } : {}),
    ...(r.fixed !== null ? { fixed: r.fixed } : {}),
    status: r.status as AffectedStatus,
    sourceRecord: r.source_record,
  };
}

/** An affected row's columns that the body's entry is made of, as written and as read. */
export interface EntryText {
  readonly ecosystem: unknown;
  readonly package: unknown;
  readonly purl: unknown;
  readonly ranges: unknown;
  readonly versions: unknown;
  readonly fixed: unknown;
  readonly status: unknown;
  readonly source_record: unknown;
}

const isText = (v: unknown): v is string => typeof v === 'string';
const isOptionalText = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Whether an affected row's values are what a row holds: text, or NULL where the column allows it. */
function isEntryText(r: EntryText): r is Omit<AffectedRow, 'record'> {
  return isText(r.ecosystem) && isText(r.package) && isText(r.ranges) && isText(r.status) && isText(r.source_record)
    && isOptionalText(r.purl) && isOptionalText(r.versions) && isOptionalText(r.fixed);
}

/** The body's JSON of one affected entry, from its row's values; undefined when a value is not what a row holds. */
export function entryJson(r: EntryText): string | undefined {
  if (!isEntryText(r)) return undefined;
  let out = `{"ecosystem":${JSON.stringify(r.ecosystem)},"name":${JSON.stringify(r.package)}`;
  if (r.purl !== null) out += `,"purl":${JSON.stringify(r.purl)}`;
  out += `,"ranges":${r.ranges}`;
  if (r.versions !== null) out += `,"versions":${r.versions}`;
  if (r.fixed !== null) out += `,"fixed":${JSON.stringify(r.fixed)}`;
  return `${out},"status":${JSON.stringify(r.status)},"sourceRecord":${JSON.stringify(r.source_record)}}`;
}

/** The body from a record's facts and its entries' JSON, in row order; undefined for facts that are no JSON object with members. */
export function bodyFrom(facts: string, entries: readonly string[]): string | undefined {
  if (facts.length < 3 || facts[0] !== '{' || facts[facts.length - 1] !== '}') return undefined;
  return `${facts.slice(0, -1)},"affected":[${entries.join(',')}]}`;
}

/** A lone surrogate, as JSON.stringify escapes it (conservative: an escaped backslash before `ud8…` matches too, which only keeps a body). */
const LONE_SURROGATE = /\\ud[89a-f]/i;

/**
 * The facts of a record as schema v6 code reads them from the tables when
 * the body is NULL (`RecordTables.load`'s tables path), from the values
 * `upsert` writes; undefined when a value would not come back as written.
 */
function factsAsTablesGive(a: Advisory): string | undefined {
  const texts: unknown[] = [a.id, a.feed, a.scope, ...a.aliases, ...a.upstream];
  const optional: unknown[] = [a.summary ?? null, a.details ?? null, a.published ?? null, a.modified ?? null, a.withdrawn ?? null];
  const severities = a.severities.map((sev) => {
    texts.push(sev.source, sev.severity);
    const version = sev.cvss?.version ?? null;
    const vector = sev.cvss?.vector ?? null;
    const score: unknown = sev.cvss?.score ?? null;
    optional.push(version, vector);
    if (score !== null && !(typeof score === 'number' && Number.isFinite(score))) texts.push(undefined);
    return {
      source: sev.source,
      severity: sev.severity,
      ...(version !== null && vector !== null ? { cvss: { version, vector, ...(score !== null ? { score } : {}) } } : {}),
    };
  });
  const references = a.references.map((r) => {
    texts.push(r.type, r.url);
    return { type: r.type, url: r.url };
  });
  if (!texts.every(isText) || !optional.every(isOptionalText)) return undefined;
  return JSON.stringify({
    id: a.id,
    feed: a.feed,
    scope: a.scope,
    aliases: uniq(a.aliases),
    upstream: uniq(a.upstream),
    ...(a.summary != null ? { summary: a.summary } : {}),
    ...(a.details != null ? { details: a.details } : {}),
    severities,
    references,
    ...(a.published != null ? { published: a.published } : {}),
    ...(a.modified != null ? { modified: a.modified } : {}),
    ...(a.withdrawn != null ? { withdrawn: a.withdrawn } : {}),
  });
}

/**
 * Whether `upsert` may store a NULL body: the rebuild from the facts and the
 * entries it writes (`entries`, in row order) equals `body`, and schema v6
 * code reading the tables gets the same record.
 */
export function droppableBody(advisory: Advisory, facts: string, entries: readonly EntryText[], body: string): boolean {
  if (LONE_SURROGATE.test(body)) return false;
  const parts: string[] = [];
  for (const entry of entries) {
    const json = entryJson(entry);
    if (json === undefined) return false;
    parts.push(json);
  }
  return bodyFrom(facts, parts) === body && factsAsTablesGive(advisory) === facts;
}

/** An affected row's values as an import writes them (SQLite's and PostgreSQL's `affected` rows alike). */
export interface WrittenEntry extends EntryText {
  readonly ecosystem: string;
  readonly package: string;
  readonly purl: string | null;
  readonly ranges: string;
  readonly versions: string | null;
  readonly fixed: string | null;
  readonly status: string;
  readonly source_record: string;
}

/** What both stores write of a record: its facts, its affected rows, and its body unless those give it back. */
export interface SerialisedRecord {
  /** The stored form without `affected` (one serialisation gives both: the body is the facts plus `"affected"`). */
  readonly facts: string;
  readonly entries: readonly WrittenEntry[];
  /** The body, or null when the facts and entries give it back byte for byte (`droppableBody`). */
  readonly keptBody: string | null;
}

/** `advisory` as the stores write it; `stored` is its stored form (records.ts `storedForm`). */
export function serialiseRecord(advisory: Advisory, stored: Advisory): SerialisedRecord {
  const facts = JSON.stringify({ ...stored, affected: undefined });
  const body = `${facts.slice(0, -1)},"affected":${JSON.stringify(stored.affected)}}`;
  const entries: WrittenEntry[] = advisory.affected.map((a) => ({
    ecosystem: a.ecosystem,
    package: a.name,
    purl: a.purl ?? null,
    ranges: JSON.stringify(a.ranges),
    versions: a.versions ? JSON.stringify(a.versions) : null,
    fixed: a.fixed ?? null,
    status: a.status,
    source_record: a.sourceRecord,
  }));
  return { facts, entries, keptBody: droppableBody(advisory, facts, entries, body) ? null : body };
}

type Db = Database.Database;

/** Reads NULL bodies back: the facts row and the affected rows of many records, two queries. */
export class BodyRebuilder {
  readonly #facts: Database.Statement<[string], { record: number; facts: string }>;
  readonly #entries: Database.Statement<[string], EntryText & { record: number }>;

  constructor(db: Db) {
    this.#facts = db.prepare('SELECT record, facts FROM record_facts WHERE record IN (SELECT value FROM json_each(?))');
    this.#entries = db.prepare(
      'SELECT record, ecosystem, package, purl, ranges, versions, fixed, status, source_record FROM affected WHERE record IN (SELECT value FROM json_each(?)) ORDER BY record, ord',
    );
  }

  /**
   * The records of `pks` by pk, each exactly `JSON.parse` of its rebuilt body: the parsed facts with
   * `affected` set last to the entries parsed one by one (what parsing the concatenation gives,
   * without building and parsing it whole), from each record's pk and facts row.
   */
  records(rows: readonly { readonly pk: number; readonly facts: string }[]): Map<number, Advisory> {
    const out = new Map<number, Advisory>();
    if (rows.length === 0) return out;
    const list = JSON.stringify(rows.map((r) => r.pk));
    const entries = new Map<number, AffectedPackage[]>();
    for (const row of this.#entries.iterate(list)) {
      if (!isEntryText(row)) throw new StoreError('DB_CORRUPT', `advisory database: record ${row.record} has an affected row that is not text`);
      const entry = affectedFromRow(row);
      const known = entries.get(row.record);
      if (known) known.push(entry);
      else entries.set(row.record, [entry]);
    }
    for (const { pk: record, facts } of rows) {
      const parsed: unknown = JSON.parse(facts);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new StoreError('DB_CORRUPT', `advisory database: record ${record} has facts that are not a JSON object`);
      }
      // Set as the concatenation's parse sets it: last, or where the facts held the key already.
      (parsed as { affected: AffectedPackage[] }).affected = entries.get(record) ?? [];
      out.set(record, parsed as Advisory);
    }
    return out;
  }

  /** The rebuilt bodies of `pks` by pk; a record without a facts row (written before schema v3) is absent. */
  bodies(pks: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    if (pks.length === 0) return out;
    const list = JSON.stringify(pks);
    const entries = new Map<number, string[]>();
    for (const row of this.#entries.iterate(list)) {
      const json = entryJson(row);
      if (json === undefined) throw new StoreError('DB_CORRUPT', `advisory database: record ${row.record} has an affected row that is not text`);
      const known = entries.get(row.record);
      if (known) known.push(json);
      else entries.set(row.record, [json]);
    }
    for (const { record, facts } of this.#facts.all(list)) {
      const body = bodyFrom(facts, entries.get(record) ?? []);
      if (body === undefined) throw new StoreError('DB_CORRUPT', `advisory database: record ${record} has facts that are not a JSON object`);
      out.set(record, body);
    }
    return out;
  }
}

/** Whether the database has the facts table (schema v6+), without which no body is rebuilt. */
export function hasFactsTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'record_facts'").get() !== undefined;
}
