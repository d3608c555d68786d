/**
 * `GET /api/v1/audit`: the audit log, newest first (audit/, metadata/audit-store.ts).
 *
 * Who may read what: a registry administrator, every event; a user with the
 * admin role in some projects, the events of those projects only (events
 * with no project — logins, account changes, policy changes, collections —
 * are the administrators'); anyone else 403. A `project` or `repository`
 * filter names a project the caller must administer (404 when they may not
 * even see it, as everywhere in this API).
 *
 * Query parameters, each at most once, anything else 400:
 * `since`, `until` (an RFC 3339 time such as `2026-05-01T00:00:00Z` or a
 * date, or a duration back from now: `90s`, `30m`, `24h`, `7d`; since is
 * inclusive, until exclusive), `project`, `repository`, `user` (the
 * principal name, or the name a failed login tried), `action`, `outcome`,
 * `n` (1 to 1000, default 100) and `cursor` (from the previous page). The
 * answer is `{"events":[…],"next":"…"}`; `next` and a `Link: <…>; rel="next"`
 * header (the same filters, the cursor) when there is more.
 */
import { isRegistryAdmin } from '../../auth/permissions.js';
import { isProjectName } from '../../auth/principal.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, isAuditAction, isAuditOutcome, projectOfRepository } from '../../audit/event.js';
import { cursorOf, formatCursor, parseCursor, type AuditQuery, type AuditRecord } from '../../metadata/audit-store.js';
import { ApiError, DEFAULT_PAGE, MAX_PAGE, type ApiContext } from './context.js';
import type { Route } from './plugin.js';
import { visibleProject } from './projects.js';

export const AUDIT_PATH = '/api/v1/audit';
/** The actions for an error message, families folded (`user.{created,changed}`) so that the line stays short as actions are added. */
const ACTION_LIST = foldActions(AUDIT_ACTIONS);
const PARAMETERS = ['since', 'until', 'project', 'repository', 'user', 'action', 'outcome', 'n', 'cursor'] as const;
export type Parameter = (typeof PARAMETERS)[number];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const AGO = /^(\d{1,9})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The distribution grammar of repository names (api/v2/route.ts), at most 255 characters. */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function auditView(record: AuditRecord): Record<string, unknown> {
  return {
    id: String(record.id),
    time: record.time,
    action: record.action,
    outcome: record.outcome,
    principal: record.principal,
    principalKind: record.principalKind,
    ip: record.ip ?? null,
    requestId: record.requestId ?? null,
    project: record.project ?? null,
    repository: record.repository ?? null,
    tag: record.tag ?? null,
    digest: record.digest ?? null,
    detail: record.detail ?? null,
  };
}

export function registerAudit(route: Route): void {
  route('GET', '/audit', async (ctx) => {
    const log = ctx.audit;
    if (!log) throw new ApiError('NOT_FOUND', 'this registry keeps no audit log in its store (the log export, event "audit", is the audit trail)');
    const params = parametersOf(ctx.request.raw.url ?? '');
    const { query, n } = queryOf(params, (ctx.now?.() ?? new Date()).getTime());
    const scoped = await scopeOf(ctx, query);
    // What this process recorded is stored before it is read (other processes' events are at most a batch delay behind).
    await log.flush?.();
    const records = await log.store.query({ ...scoped, limit: n + 1 });
    const kept = records.slice(0, n);
    let next: string | undefined;
    if (records.length > n && kept.length > 0) {
      next = formatCursor(cursorOf(kept[kept.length - 1]!));
      const link = new URLSearchParams();
      for (const name of PARAMETERS) if (name !== 'cursor' && name !== 'n' && params.has(name)) link.set(name, params.get(name)!);
      link.set('n', String(n));
      link.set('cursor', next);
      ctx.reply.header('link', `<${AUDIT_PATH}?${link.toString()}>; rel="next"`);
    }
    return ctx.reply.code(200).send({ events: kept.map(auditView), ...(next !== undefined ? { next } : {}) });
  });
}

/** The query string, each known parameter at most once; INVALID for anything else (also the web UI's /ui/audit). */
export function parametersOf(url: string): Map<Parameter, string> {
  const q = url.indexOf('?');
  const search = q < 0 ? '' : url.slice(q + 1);
  if (search.length > 4096) throw new ApiError('INVALID', 'the query string is longer than 4096 characters');
  const out = new Map<Parameter, string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) throw new ApiError('INVALID', `unknown parameter "${name.slice(0, 40)}"; known: ${PARAMETERS.join(', ')}`);
    if (out.has(name as Parameter)) throw new ApiError('INVALID', `give ${name} at most once`);
    out.set(name as Parameter, value);
  }
  return out;
}

export function queryOf(params: ReadonlyMap<Parameter, string>, nowMs: number): { query: Omit<AuditQuery, 'limit'>; n: number } {
  const text = (name: Parameter, check: (value: string) => boolean, expected: string): string | undefined => {
    const value = params.get(name);
    if (value === undefined) return undefined;
    if (!check(value)) throw new ApiError('INVALID', `${name} must be ${expected}, not "${value.slice(0, 40)}"`);
    return value;
  };
  const since = instant(params.get('since'), 'since', nowMs);
  const until = instant(params.get('until'), 'until', nowMs);
  if (since !== undefined && until !== undefined && since >= until) throw new ApiError('INVALID', 'since must be before until');
  const project = text('project', isProjectName, 'a project name');
  const repository = text('repository', (v) => v.length <= 255 && REPOSITORY.test(v), 'a repository name');
  const user = text('user', (v) => v.length > 0 && v.length <= 256 && !/[\u0000-\u001f\u007f]/.test(v), 'a user name (1 to 256 characters)');
  const action = text('action', isAuditAction, `one of ${ACTION_LIST}`);
  const outcome = text('outcome', isAuditOutcome, `one of ${AUDIT_OUTCOMES.join(', ')}`);
  const nText = text('n', (v) => /^\d{1,6}$/.test(v) && Number(v) >= 1, `a whole number from 1 to ${MAX_PAGE}`);
  const cursorText = text('cursor', (v) => parseCursor(v) !== undefined, 'the cursor of a previous page');
  const cursor = cursorText !== undefined ? parseCursor(cursorText) : undefined;
  return {
    n: nText === undefined ? DEFAULT_PAGE : Math.min(MAX_PAGE, Number(nText)),
    query: {
      ...(since !== undefined ? { sinceMs: since } : {}),
      ...(until !== undefined ? { untilMs: until } : {}),
      ...(project !== undefined ? { project } : {}),
      ...(repository !== undefined ? { repository } : {}),
      ...(user !== undefined ? { principal: user } : {}),
      ...(action !== undefined && isAuditAction(action) ? { action } : {}),
      ...(outcome !== undefined && isAuditOutcome(outcome) ? { outcome } : {}),
      ...(cursor !== undefined ? { after: cursor } : {}),
    },
  };
}

/** An RFC 3339 time (or a date), or a duration back from now, in milliseconds since the epoch. */
function instant(value: string | undefined, name: string, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const ago = AGO.exec(value);
  if (ago) return Math.max(0, nowMs - Number(ago[1]) * UNIT_MS[ago[2]!]!);
  const ms = ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new ApiError('INVALID', `${name} must be a time such as 2026-05-01T00:00:00Z or a duration such as 24h, not "${value.slice(0, 40)}"`);
  return ms;
}

/** The query narrowed to what the caller may read (the rules in the header). */
async function scopeOf(ctx: ApiContext, query: Omit<AuditQuery, 'limit'>): Promise<Omit<AuditQuery, 'limit'>> {
  if (isRegistryAdmin(ctx.principal)) return query;
  if (ctx.principal.kind !== 'user') throw new ApiError('DENIED', 'the audit log needs a registry administrator or a project admin');
  const named = query.project ?? (query.repository !== undefined ? projectOfRepository(query.repository) : undefined);
  if (named !== undefined) {
    await visibleProject(ctx, named, true);
    return { ...query, projects: [named] };
  }
  const administered = await ctx.access.store.projectsAdministeredBy(ctx.principal.name);
  if (administered.length === 0) throw new ApiError('DENIED', 'the audit log needs a registry administrator or a project admin');
  return { ...query, projects: administered };
}

function foldActions(actions: readonly string[]): string {
  const dotted = new Map<string, string[]>();
  for (const action of actions) {
    const dot = action.indexOf('.');
    if (dot > 0) dotted.set(action.slice(0, dot), [...(dotted.get(action.slice(0, dot)) ?? []), action.slice(dot + 1)]);
  }
  const out: string[] = [];
  for (const action of actions) {
    const dot = action.indexOf('.');
    const family = dot > 0 ? dotted.get(action.slice(0, dot)) : undefined;
    if (!family || family.length < 2) out.push(action);
    else if (family[0] === action.slice(dot + 1)) out.push(`${action.slice(0, dot)}.{${family.join(',')}}`);
  }
  return out.join(', ');
}
