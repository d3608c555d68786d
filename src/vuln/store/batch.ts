/**
 * The batch lookups' shared parts (sqlite.ts): the plan of one batch (memo
 * keys in the order asked, the names still to query per ecosystem) and the
 * parsing of match rows into affected entries, with each distinct JSON text
 * parsed once.
 */
import { normalizePackageName, type AffectedPackage, type AffectedRange, type AffectedStatus } from '../../core/index.js';
import type { AffectedQuery, FindOptions } from './store.js';

/**
 * A row of the match table (or, below schema v5, the same columns from `affected` joined with `records`),
 * read as an array (`raw()`): no object per row, the columns in this order. Not the ecosystem: each
 * query asks one, and a column read is a string made per row.
 */
export type EntryRow = [pkg: string, purl: string | null, ranges: string, versions: string | null, fixed: string | null, status: string, sourceRecord: string, advisory: string];

/**
 * Affected entries from match rows. The JSON of ranges and version lists
 * repeats a lot (a few thousand distinct texts among tens of thousands of
 * entries: one fix across the branches of a distribution, one range across
 * packages of one advisory), so each text is parsed once per batch and its
 * (read-only) value shared, which also lets the version code's per-range
 * memo (versions/range.ts) serve every entry with that range.
 */
export class EntryParser {
  readonly #ranges = new Map<string, AffectedRange[]>();
  readonly #versions = new Map<string, string[]>();
  /** Short texts repeated across rows (source records, advisory ids, purls, statuses): one kept string each. */
  readonly #strings = new Map<string, string>();

  /** One string per distinct text: the row's copy is garbage at once, instead of one more string kept per entry. */
  intern(text: string): string {
    const known = this.#strings.get(text);
    if (known !== undefined) return known;
    this.#strings.set(text, text);
    return text;
  }

  /** The entry of a row; `ecosystem` and `name` are the caller's strings for the row's (equal) ones. */
  entry(row: EntryRow, ecosystem: string, name: string): AffectedPackage {
    const [, purlText, rangesText, versionsText, fixed, statusText, sourceRecordText] = row;
    const purl = purlText === null ? null : this.intern(purlText);
    const status = this.intern(statusText);
    const sourceRecord = this.intern(sourceRecordText);
    let ranges = this.#ranges.get(rangesText);
    if (!ranges) this.#ranges.set(rangesText, (ranges = JSON.parse(rangesText) as AffectedRange[]));
    let versions: string[] | undefined;
    if (versionsText !== null) {
      versions = this.#versions.get(versionsText);
      if (!versions) this.#versions.set(versionsText, (versions = JSON.parse(versionsText) as string[]));
    }
    // The key order of affectedFromRow (records.ts), so both lookups give objects alike; built by
    // assignment (no spread of a temporary object per optional field).
    const entry: { -readonly [K in keyof AffectedPackage]: AffectedPackage[K] } = { ecosystem, name } as AffectedPackage;
    if (purl !== null) entry.purl = purl;
    entry.ranges = ranges;
    if (versions !== undefined) entry.versions = versions;
    if (fixed !== null) entry.fixed = fixed;
    entry.status = status as AffectedStatus;
    entry.sourceRecord = sourceRecord;
    return entry;
  }
}

/** A batch lookup's plan: memo keys in the order asked, answers (memoised ones filled, others empty) and the names still to query per ecosystem. */
export interface BatchPlan<T> {
  readonly flag: string;
  readonly keys: string[];
  readonly answers: Map<string, T[]>;
  /** ecosystem → normalised names not memoised */
  readonly wanted: Map<string, Set<string>>;
}

/** One planner for both batch lookups (records with their advisories, and bare entries): the same keys, the same memo rules. */
export function planBatch<T>(queries: readonly AffectedQuery[], options: FindOptions, memo: ReadonlyMap<string, T[]>): BatchPlan<T> {
  const flag = options.includeWithdrawn ? 'w' : '-';
  const keys = queries.map((q) => `${flag}\u0000${q.ecosystem}\u0000${normalizePackageName(q.ecosystem, q.name)}`);
  const answers = new Map<string, T[]>();
  const wanted = new Map<string, Set<string>>();
  queries.forEach((q, i) => {
    const key = keys[i]!;
    if (answers.has(key)) return;
    const hit = memo.get(key);
    if (hit) {
      answers.set(key, hit);
      return;
    }
    answers.set(key, []);
    let names = wanted.get(q.ecosystem);
    if (!names) wanted.set(q.ecosystem, (names = new Set()));
    names.add(normalizePackageName(q.ecosystem, q.name));
  });
  return { flag, keys, answers, wanted };
}
