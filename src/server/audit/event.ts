/**
 * What the audit log records: one `AuditEvent` per act that matters for
 * accountability (who pushed, pulled, deleted, signed in, changed whose
 * permissions, which webhook or which policy, collected garbage), from a fixed list of
 * actions, with the principal, the client address, the request id and the
 * time. The vocabulary the recorder, the stores, the admin API and the CLI
 * share.
 *
 * Everything in an event may come from a client (a user name tried, a tag, a
 * repository), so every field is bounded here, once, before it reaches the
 * log, the queue or a database: strings are cut, `detail` keeps a few
 * shallow fields and is at most MAX_DETAIL_BYTES of JSON.
 */

/** Every action, in the order the docs list them. */
export const AUDIT_ACTIONS = [
  'push',
  'pull',
  'pull.denied',
  'delete',
  'login',
  'user.created',
  'user.changed',
  'user.password',
  'user.deleted',
  'project.created',
  'project.changed',
  'project.deleted',
  'project.settings',
  'member.set',
  'member.removed',
  'robot.created',
  'robot.revoked',
  'webhook.created',
  'webhook.changed',
  'webhook.secret',
  'webhook.deleted',
  'webhook.redelivered',
  'policy.changed',
  'gc',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `success`: done; `denied`: refused by permissions, policy or a limit; `failure`: attempted and failed (wrong credentials, an error). */
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** The principal kinds of auth/principal.ts, and `system`: the registry acting on its own (a reload, a scheduled collection). */
export const PRINCIPAL_KINDS = ['anonymous', 'user', 'robot', 'internal', 'system'] as const;
export type AuditPrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export type AuditDetail = Readonly<Record<string, unknown>>;

/** An event as recorded. `time` is an ISO 8601 instant with milliseconds. */
export interface AuditEvent {
  readonly time: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** The account name, `<anonymous>`, `<internal>`, `<system>`; for a failed login, the name that was tried. */
  readonly principal: string;
  readonly principalKind: AuditPrincipalKind;
  readonly ip?: string;
  readonly requestId?: string;
  /** The project acted on: the repository's first path component, or the project of a member, robot or project event. */
  readonly project?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly detail?: AuditDetail;
}

/** What a caller records: the time is filled in when absent, the project derived from the repository. */
export type AuditInput = Omit<AuditEvent, 'time' | 'project'> & { readonly time?: string; readonly project?: string };

export const SYSTEM_PRINCIPAL = '<system>';
export const MAX_DETAIL_BYTES = 2048;
const MAX_NAME = 256;
const MAX_FIELD = 512;
const MAX_DETAIL_KEYS = 16;
const MAX_DETAIL_ITEMS = 20;
const MAX_DETAIL_STRING = 256;

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}

export function isAuditOutcome(value: unknown): value is AuditOutcome {
  return typeof value === 'string' && (AUDIT_OUTCOMES as readonly string[]).includes(value);
}

export function isPrincipalKind(value: unknown): value is AuditPrincipalKind {
  return typeof value === 'string' && (PRINCIPAL_KINDS as readonly string[]).includes(value);
}

/** The kind a principal name says (names follow auth/principal.ts: `robot$…`, `<internal>`; user names have neither `$` nor `<`). */
export function principalKindOf(name: string | undefined): AuditPrincipalKind {
  if (name === undefined || name === '<anonymous>') return 'anonymous';
  if (name === '<internal>') return 'internal';
  if (name === SYSTEM_PRINCIPAL) return 'system';
  return name.startsWith('robot$') ? 'robot' : 'user';
}

/** The project of a repository: its first path component (auth/principal.ts's rule). */
export function projectOfRepository(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** The event as it is kept: time set, project derived, every field bounded. */
export function completeEvent(input: AuditInput, now: Date): AuditEvent {
  const repository = cut(input.repository, MAX_NAME);
  const project = cut(input.project, MAX_NAME) ?? (repository !== undefined ? projectOfRepository(repository) : undefined);
  const detail = input.detail === undefined ? undefined : boundDetail(input.detail);
  const optional = (name: string, value: string | undefined): Record<string, string> => (value === undefined ? {} : { [name]: value });
  return {
    time: input.time !== undefined && !Number.isNaN(Date.parse(input.time)) ? new Date(Date.parse(input.time)).toISOString() : now.toISOString(),
    action: input.action,
    outcome: input.outcome,
    principal: cut(input.principal, MAX_NAME) ?? '',
    principalKind: input.principalKind,
    ...optional('ip', cut(input.ip, 64)),
    ...optional('requestId', cut(input.requestId, 64)),
    ...optional('project', project),
    ...optional('repository', repository),
    ...optional('tag', cut(input.tag, MAX_FIELD)),
    ...optional('digest', cut(input.digest, MAX_FIELD)),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/**
 * `detail` made small and flat: at most 16 keys, strings cut, arrays of at
 * most 20 scalars, nested objects dropped for their key's JSON cut short; and
 * when the whole is still over MAX_DETAIL_BYTES, `{"truncated":true}` with the
 * keys that fit. Never recursive on input depth.
 */
export function boundDetail(detail: AuditDetail): AuditDetail {
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const [key, value] of Object.entries(detail)) {
    if (kept >= MAX_DETAIL_KEYS) break;
    const bounded = boundValue(value);
    if (bounded === undefined) continue;
    out[key.slice(0, 64)] = bounded;
    kept++;
  }
  if (Buffer.byteLength(JSON.stringify(out)) <= MAX_DETAIL_BYTES) return out;
  const fitted: Record<string, unknown> = { truncated: true };
  for (const [key, value] of Object.entries(out)) {
    fitted[key] = value;
    if (Buffer.byteLength(JSON.stringify(fitted)) > MAX_DETAIL_BYTES) delete fitted[key];
  }
  return fitted;
}

function boundValue(value: unknown): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return value.slice(0, MAX_DETAIL_STRING);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value.slice(0, MAX_DETAIL_ITEMS)) {
      if (item === null || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item))) items.push(item);
      else if (typeof item === 'string') items.push(item.slice(0, MAX_DETAIL_STRING));
    }
    return items;
  }
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value).slice(0, MAX_DETAIL_STRING);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function cut(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}
