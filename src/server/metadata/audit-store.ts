/**
 * The audit log's storage (audit/recorder.ts writes it, the admin API reads
 * it): append-only events, read newest first with filters and keyset paging,
 * pruned by age. Kept apart from MetadataStore and IdentityStore, each with
 * its own tables and schema version, in the same database: `audit-sqlite.ts`
 * (the SQLite file in the data folder) and `audit-postgres.ts` (the
 * PostgreSQL schema).
 *
 * Bounded queries: events are ordered by (time, id), a total order, and a
 * page continues strictly after the cursor of the last one it returned, so
 * paging never skips or repeats an event and never counts an offset. Each
 * filter a query usually leads with has an index ending in (time, id) —
 * project (a repository filter is its project's too), principal, action —
 * and one on (time, id) alone, so a page is an ordered index range read that
 * stops at its limit; no page is larger than MAX_AUDIT_PAGE.
 *
 * Contract, tested against both by `test/server/metadata/audit-contract.ts`.
 */
import type { AuditAction, AuditEvent, AuditOutcome } from '../audit/event.js';

/** No query returns more events than this, whatever its limit. */
export const MAX_AUDIT_PAGE = 1000;
/** Rows one prune statement deletes at most, so that a prune never holds a long write lock. */
export const PRUNE_BATCH = 5000;

/**
 * A stored event: its id is unique and grows with insertion order in one
 * database. Action, outcome and principal kind are strings as stored: a newer
 * portcullis sharing the database may record actions this one does not list.
 */
export type AuditRecord = Omit<AuditEvent, 'action' | 'outcome' | 'principalKind'> & {
  readonly id: number;
  readonly action: string;
  readonly outcome: string;
  readonly principalKind: string;
};

/** Where a page ends: the next page holds events strictly older than this. */
export interface AuditCursor {
  readonly timeMs: number;
  readonly id: number;
}

export interface AuditQuery {
  /** Events at or after this instant (milliseconds since the epoch). */
  readonly sinceMs?: number;
  /** Events before this instant. */
  readonly untilMs?: number;
  readonly project?: string;
  /** Events of any of these projects (a project administrator's scope); an empty list matches nothing. */
  readonly projects?: readonly string[];
  readonly repository?: string;
  readonly principal?: string;
  readonly action?: AuditAction;
  readonly outcome?: AuditOutcome;
  readonly after?: AuditCursor;
  /** At most MAX_AUDIT_PAGE. */
  readonly limit: number;
}

export interface AuditStore {
  /** Adds the events in one transaction, in order. */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first: by time, then by id, descending. */
  query(query: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes events older than `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}

export function cursorOf(record: AuditRecord): AuditCursor {
  return { timeMs: Date.parse(record.time), id: record.id };
}

/** The cursor as the API passes it: `<time ms>-<id>`. */
export function formatCursor(cursor: AuditCursor): string {
  return `${cursor.timeMs}-${cursor.id}`;
}

export function parseCursor(text: string): AuditCursor | undefined {
  const m = /^(\d{1,15})-(\d{1,15})$/.exec(text);
  if (!m) return undefined;
  const cursor = { timeMs: Number(m[1]), id: Number(m[2]) };
  return Number.isSafeInteger(cursor.timeMs) && Number.isSafeInteger(cursor.id) ? cursor : undefined;
}

export function pageLimit(query: AuditQuery): number {
  return Math.max(0, Math.min(MAX_AUDIT_PAGE, Math.floor(query.limit)));
}
