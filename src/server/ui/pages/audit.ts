/**
 * `/ui/audit`: the audit log of a registry with accounts, newest first, for
 * people — the same store, the same query parameters and the same scoping
 * as `GET /api/v1/audit` (api/v1/audit.ts parses the query; this module
 * does not repeat its grammar): a registry administrator reads every event,
 * a user with the admin role in some projects the events of those projects,
 * anyone else is refused. Filters are a GET form (repository, user, action,
 * since: a time or a duration such as 24h); paging is a "next page" link
 * with the cursor of the last row, so no JavaScript is needed. Empty form
 * fields are dropped before parsing (a form sends every field).
 *
 * Every field of an event may come from a client (a user name tried at
 * sign-in, a tag, a detail string): all of it is rendered through `h`.
 */
import { isRegistryAdmin } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import { AUDIT_ACTIONS, projectOfRepository } from '../../audit/event.js';
import { ApiError, type AuditLog } from '../../api/v1/context.js';
import { parametersOf, queryOf } from '../../api/v1/audit.js';
import { cursorOf, formatCursor, type AuditQuery, type AuditRecord } from '../../metadata/audit-store.js';
import type { UiAccounts } from '../context.js';
import { h, shortDigest, table, time, type PageContent } from '../html.js';
import { AUDIT_PATH, UI_ROOT } from '../paths.js';

/** Events per page when the query names no `n`. */
export const UI_AUDIT_PAGE = 50;
const FILTERS = ['repository', 'user', 'action', 'since'] as const;

export type AuditAnswer =
  | { readonly ok: true; readonly page: PageContent }
  | { readonly ok: false; readonly status: 400 | 403; readonly title: string; readonly text: string };

type Query = Omit<AuditQuery, 'limit'>;

/** The query narrowed to what `principal` may read; undefined when they may read none of it. */
export async function scopeAudit(store: UiAccounts['store'], principal: Principal, query: Query): Promise<Query | undefined> {
  if (isRegistryAdmin(principal)) return query;
  if (principal.kind !== 'user') return undefined;
  const administered = await store.projectsAdministeredBy(principal.name);
  if (administered.length === 0) return undefined;
  const named = query.project ?? (query.repository !== undefined ? projectOfRepository(query.repository) : undefined);
  if (named !== undefined) return administered.includes(named) ? { ...query, projects: [named] } : undefined;
  return { ...query, projects: administered };
}

/** The request's query string without empty fields. */
function nonEmpty(url: string): URLSearchParams {
  const q = url.indexOf('?');
  const out = new URLSearchParams();
  if (q < 0 || url.length - q > 4096) return out;
  for (const [name, value] of new URLSearchParams(url.slice(q + 1))) if (value !== '') out.append(name, value);
  return out;
}

function filterForm(params: ReadonlyMap<string, string>): string {
  const value = (name: string): string => h(params.get(name) ?? '');
  const selected = params.get('action');
  const options = ['<option value="">every action</option>', ...AUDIT_ACTIONS.map((a) => `<option value="${h(a)}"${a === selected ? ' selected' : ''}>${h(a)}</option>`)].join('');
  return `<form method="get" action="${AUDIT_PATH}" id="audit-filter" class="filters">
<label for="f-repository">Repository</label><input id="f-repository" name="repository" maxlength="255" value="${value('repository')}">
<label for="f-user">User</label><input id="f-user" name="user" maxlength="256" value="${value('user')}">
<label for="f-action">Action</label><select id="f-action" name="action">${options}</select>
<label for="f-since">Since</label><input id="f-since" name="since" maxlength="40" placeholder="24h or 2026-05-01" value="${value('since')}">
<button type="submit" id="audit-apply">Filter</button> <a href="${AUDIT_PATH}" id="audit-clear">clear</a>
</form>`;
}

function detailText(record: AuditRecord): string {
  if (record.detail === undefined) return '<span class="none">–</span>';
  return `<code class="detail">${h(JSON.stringify(record.detail))}</code>`;
}

function row(record: AuditRecord): string {
  const cell = (value: string | undefined): string => (value ? h(value) : '<span class="none">–</span>');
  return (
    `<tr data-event="${h(String(record.id))}" data-action="${h(record.action)}" data-outcome="${h(record.outcome)}">` +
    `<td class="time">${time(record.time)}</td><td class="action">${h(record.action)}</td><td class="outcome">${h(record.outcome)}</td>` +
    `<td class="principal" title="${h(record.principalKind)}">${h(record.principal)}</td><td class="ip">${cell(record.ip)}</td>` +
    `<td class="repository">${cell(record.repository ?? record.project)}</td><td class="tag">${cell(record.tag)}</td>` +
    `<td class="digest">${record.digest ? shortDigest(record.digest) : '<span class="none">–</span>'}</td><td class="detail">${detailText(record)}</td></tr>`
  );
}

/** The page for the request URL `url`, read by `principal`. */
export async function auditPage(log: AuditLog, store: UiAccounts['store'], principal: Principal, url: string, now: Date): Promise<AuditAnswer> {
  const given = nonEmpty(url);
  let params: ReadonlyMap<string, string>;
  let parsed: ReturnType<typeof queryOf>;
  try {
    const known = parametersOf(`?${given.toString()}`);
    params = known;
    parsed = queryOf(known, now.getTime());
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, status: 400, title: 'Bad filter', text: `${error.message}.` };
    throw error;
  }
  const n = given.has('n') ? parsed.n : UI_AUDIT_PAGE;
  const scoped = await scopeAudit(store, principal, parsed.query);
  if (!scoped) return { ok: false, status: 403, title: 'Access denied', text: 'The audit log is for registry administrators, and for project admins (the events of their projects).' };
  await log.flush?.();
  const records = await log.store.query({ ...scoped, limit: n + 1 });
  const kept = records.slice(0, n);
  const links: string[] = [];
  if (params.has('cursor')) {
    const first = new URLSearchParams(given);
    first.delete('cursor');
    const rest = first.toString();
    links.push(`<a href="${h(rest ? `${AUDIT_PATH}?${rest}` : AUDIT_PATH)}" id="audit-newest">newest</a>`);
  }
  if (records.length > n && kept.length > 0) {
    const next = new URLSearchParams();
    for (const name of FILTERS) if (params.has(name)) next.set(name, params.get(name)!);
    if (given.has('n')) next.set('n', String(n));
    next.set('cursor', formatCursor(cursorOf(kept[kept.length - 1]!)));
    links.push(`<a href="${h(`${AUDIT_PATH}?${next.toString()}`)}" id="audit-next" rel="next">next page (older)</a>`);
  }
  const scope = isRegistryAdmin(principal) ? 'every event' : `the events of ${scoped.projects?.length === 1 ? 'project' : 'projects'} ${(scoped.projects ?? []).join(', ')}`;
  const body = `<h1>Audit log</h1>
<p><small id="audit-scope">Newest first; ${h(scope)}.</small></p>
${filterForm(params)}
${table('audit', ['Time', 'Action', 'Outcome', 'Who', 'Address', 'Repository', 'Tag', 'Digest', 'Detail'], kept.map(row), 'No events match.')}
<nav class="paging" id="audit-paging">${links.join(' ')}</nav>`;
  return { ok: true, page: { title: 'Audit log', crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: 'Audit log' }], body } };
}
