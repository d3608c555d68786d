/**
 * How an audit event is kept as a row, and the WHERE clause of a query:
 * shared by the SQLite and PostgreSQL audit stores (one SQL dialect for both
 * but for placeholders and the any-of-these-projects test), kept apart so
 * that the PostgreSQL store does not load SQLite.
 */
import { projectOfRepository, type AuditEvent } from '../audit/event.js';
import type { AuditQuery, AuditRecord } from './audit-store.js';

export interface AuditRow {
  id: number | string;
  time_ms: number | string;
  action: string;
  outcome: string;
  principal: string;
  principal_kind: string;
  ip: string | null;
  request_id: string | null;
  project: string | null;
  repository: string | null;
  tag: string | null;
  digest: string | null;
  detail: string | null;
}

/** The WHERE terms of a query and their values, in order; `param(n)` names the n-th placeholder (1-based). */
export function whereOf(
  query: AuditQuery,
  param: (n: number) => string,
  anyProject: (list: readonly string[], placeholder: string) => { sql: string; value: unknown },
): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    values.push(value);
    where.push(sql(param(values.length)));
  };
  if (query.sinceMs !== undefined) add((p) => `time_ms >= ${p}`, query.sinceMs);
  if (query.untilMs !== undefined) add((p) => `time_ms < ${p}`, query.untilMs);
  // A repository is in its project: the project index serves both (two different projects match nothing).
  const projects = new Set<string>();
  if (query.project !== undefined) projects.add(query.project);
  if (query.repository !== undefined) projects.add(projectOfRepository(query.repository));
  for (const project of projects) add((p) => `project = ${p}`, project);
  if (query.projects !== undefined) {
    const placeholder = param(values.length + 1);
    const term = anyProject(query.projects, placeholder);
    values.push(term.value);
    where.push(term.sql);
  }
  if (query.repository !== undefined) add((p) => `repository = ${p}`, query.repository);
  if (query.principal !== undefined) add((p) => `principal = ${p}`, query.principal);
  if (query.action !== undefined) add((p) => `action = ${p}`, query.action);
  if (query.outcome !== undefined) add((p) => `outcome = ${p}`, query.outcome);
  if (query.after !== undefined) {
    // A row value: one range on the (…, time_ms, id) indexes, in SQLite and PostgreSQL alike.
    const time = param(values.length + 1);
    const id = param(values.length + 2);
    values.push(query.after.timeMs, query.after.id);
    where.push(`(time_ms, id) < (${time}, ${id})`);
  }
  return { where, values };
}

export function rowOf(event: AuditEvent): Omit<AuditRow, 'id'> {
  return {
    time_ms: Date.parse(event.time),
    action: event.action,
    outcome: event.outcome,
    principal: event.principal,
    principal_kind: event.principalKind,
    ip: event.ip ?? null,
    request_id: event.requestId ?? null,
    project: event.project ?? null,
    repository: event.repository ?? null,
    tag: event.tag ?? null,
    digest: event.digest ?? null,
    detail: event.detail !== undefined ? JSON.stringify(event.detail) : null,
  };
}

/** A row back as a record. Action, outcome and kind are shown as stored: a newer portcullis may write values this one does not list. */
export function recordOf(row: AuditRow): AuditRecord {
  let detail: Record<string, unknown> | undefined;
  if (row.detail !== null) {
    try {
      const parsed: unknown = JSON.parse(row.detail);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) detail = parsed as Record<string, unknown>;
    } catch {
      detail = undefined;
    }
  }
  const optional = (name: string, value: string | null): Record<string, string> => (value === null ? {} : { [name]: value });
  return {
    id: Number(row.id),
    time: new Date(Number(row.time_ms)).toISOString(),
    action: row.action,
    outcome: row.outcome,
    principal: row.principal,
    principalKind: row.principal_kind,
    ...optional('ip', row.ip),
    ...optional('requestId', row.request_id),
    ...optional('project', row.project),
    ...optional('repository', row.repository),
    ...optional('tag', row.tag),
    ...optional('digest', row.digest),
    ...(detail !== undefined ? { detail } : {}),
  };
}

