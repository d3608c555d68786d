/** `/api/v1/audit` in the OpenAPI document: as ../audit.ts answers (the events of audit/event.ts). */
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, PRINCIPAL_KINDS } from '../../../audit/event.js';
import { MAX_PAGE } from '../context.js';
import { TIMESTAMP, json, refusal, schemaRef } from './components.js';
import type { ApiResource, Parameter } from './types.js';

const NULLABLE_TEXT = { type: ['string', 'null'] } as const;
/** A time (RFC 3339, or a date), or a duration back from now: what audit.ts's `instant` takes. */
const INSTANT = { type: 'string', pattern: '^(?:\\d{1,9}[smhd]|\\d{4}-\\d{2}-\\d{2}(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:\\d{2}))?)$' } as const;

function query(name: string, description: string, schema: Parameter['schema']): Parameter {
  return { name, in: 'query', description, schema };
}

export const auditApi: ApiResource = {
  tag: {
    name: 'audit',
    description:
      'The audit log: who pushed, pulled, deleted, signed in, changed accounts, roles, webhooks or policy, collected garbage. A registry administrator reads every event; a user with the admin role in some projects reads the events of those projects (events without a project are the administrators\'); anyone else is refused. Events are also in the operator log (event "audit").',
  },
  availability: 'accounts',
  schemas: {
    AuditEvent: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'time', 'action', 'outcome', 'principal', 'principalKind', 'ip', 'requestId', 'project', 'repository', 'tag', 'digest', 'detail'],
      properties: {
        id: { type: 'string', pattern: '^\\d+$', description: 'Unique in this store; with `time`, the order of the log.' },
        time: TIMESTAMP,
        action: { enum: [...AUDIT_ACTIONS] },
        outcome: { enum: [...AUDIT_OUTCOMES], description: '`denied`: refused by permissions, policy or a limit; `failure`: attempted and failed (wrong credentials, an error).' },
        principal: { type: 'string', description: 'The account name, `<anonymous>`, `<internal>`, `<system>`; for a failed login, the name that was tried.' },
        principalKind: { enum: [...PRINCIPAL_KINDS] },
        ip: { ...NULLABLE_TEXT, description: 'The client address.' },
        requestId: { ...NULLABLE_TEXT, description: 'The `X-Request-Id` of the answer (and `reqId` in the log).' },
        project: NULLABLE_TEXT,
        repository: NULLABLE_TEXT,
        tag: NULLABLE_TEXT,
        digest: NULLABLE_TEXT,
        detail: { type: ['object', 'null'], description: 'A few shallow fields that depend on the action (docs/serve.md "Audit log"), at most 2 KiB; never a password or secret.' },
      },
    },
    AuditPage: {
      type: 'object',
      additionalProperties: false,
      required: ['events'],
      properties: {
        events: { type: 'array', maxItems: MAX_PAGE, items: schemaRef('AuditEvent'), description: 'Newest first (by time, then id).' },
        next: { type: 'string', pattern: '^\\d{1,15}-\\d{1,15}$', description: 'When there is more: the `cursor` of the next page (the Link header carries it with the same filters).' },
      },
    },
  },
  paths: {
    '/api/v1/audit': {
      get: {
        operationId: 'listAuditEvents',
        summary: 'Read the audit log, newest first, filtered and paged',
        description:
          'Each parameter at most once; any other parameter, or one given twice, is 400. Without `since`, every kept event (the CLI asks for the last 24 hours). Pages continue strictly after the last event shown, so events recorded meanwhile never shift a page. What this process recorded is stored before it is read; other processes\' events may show up to a batch delay (200 ms) later.',
        access: 'signed-in',
        parameters: [
          query('since', 'Events at or after this time: `2026-05-01T00:00:00Z`, a date, or a duration back from now (`90s`, `30m`, `24h`, `7d`).', INSTANT),
          query('until', 'Events before this time (the same forms); must be after `since`.', INSTANT),
          query('project', 'Only this project\'s events. A project admin may name only a project they administer.', { type: 'string' }),
          query('repository', 'Only this repository\'s events (its project is checked as for `project`).', { type: 'string', maxLength: 255 }),
          query('user', 'Only events of this principal (or failed logins that tried this name).', { type: 'string', minLength: 1, maxLength: 256 }),
          query('action', 'Only this action.', { enum: [...AUDIT_ACTIONS] }),
          query('outcome', 'Only this outcome.', { enum: [...AUDIT_OUTCOMES] }),
          query('n', `At most this many events (default 100); more than ${MAX_PAGE} counts as ${MAX_PAGE}.`, { type: 'integer', minimum: 1, maximum: 999999 }),
          query('cursor', 'The `next` of the previous page.', { type: 'string', pattern: '^\\d{1,15}-\\d{1,15}$' }),
        ],
        responses: {
          200: json('A page of events.', schemaRef('AuditPage'), {
            Link: {
              description: 'When there is a next page: `</api/v1/audit?<the same filters>&n=N&cursor=C>; rel="next"`. No header on the last page.',
              schema: { type: 'string' },
            },
          }),
          400: refusal('An unknown parameter, one given twice, or a value that is not of its form (the message names it).', 'INVALID'),
          403: refusal('Signed in, but neither a registry administrator nor the admin of some project; or `project`/`repository` names a project the caller may see but does not administer.', 'DENIED'),
          404: refusal('A project admin\'s `project` or `repository` names a project that does not exist or that they may not see (the same answer; an administrator gets an empty page); or this registry keeps no audit log in its store.', 'NOT_FOUND'),
        },
      },
    },
  },
};
