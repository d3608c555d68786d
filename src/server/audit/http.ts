/**
 * The one place requests become audit events: a hook that reads what the
 * request learned and did (request-facts.ts) once its answer is sent — on the
 * response's `close`, not Fastify's `onResponse`: a client that hangs up as
 * soon as it has read the body (skopeo does, after a manifest) closes the
 * response without the `finish` that `onResponse` waits for, and that pull
 * would go unrecorded. A request whose answer never started (the client left
 * while it was handled) is not an event. Three sources, in this order:
 *
 * - refused credentials (auth/failure-log.ts noted them): a failed `login`
 *   with the name tried, every time — Basic credentials and the token
 *   endpoint's forms; a refused Bearer token is an expired or forged
 *   session, not a sign-in, and is not one;
 * - Basic credentials that worked: a `login`, once per user and client
 *   address in LOGIN_WINDOW_MS (clients send Basic credentials with every
 *   request; the token endpoint notes one login per token it issues);
 * - what a handler noted (audit/notes.ts: the admin API, the token endpoint,
 *   garbage collection, manifest deletes with what went with them), or else
 *   what a `/v2` manifest or blob request did:
 *
 * | request                      | answer                     | event |
 * |------------------------------|----------------------------|-------|
 * | manifest GET/HEAD            | 2xx                        | `pull` success |
 * | manifest GET                 | 403, the pull policy       | `pull.denied` with the reason |
 * | manifest GET/HEAD            | not permitted (404 or 403) | `pull` denied |
 * | manifest PUT                 | 2xx / not permitted, 403 / other error | `push` success / denied / failure |
 * | manifest or blob DELETE      | 2xx / not permitted, 403 / error but 404 | `delete` success / denied / failure |
 *
 * Blob reads, uploads, listings and 401 challenges are not events.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryPlugin } from '../app.js';
import { clientKey } from '../client-address.js';
import { factsOf, type RequestFacts } from '../request-facts.js';
import { principalKindOf, type AuditInput, type AuditOutcome } from './event.js';
import type { AuditRecorder } from './recorder.js';

/** A Basic-authenticated client is recorded as signing in at most once per this window (the verified-credentials cache's). */
export const LOGIN_WINDOW_MS = 5 * 60_000;
const MAX_REMEMBERED_LOGINS = 10_000;

export function auditPlugin(recorder: Pick<AuditRecorder, 'record'>, options: { readonly now?: () => number } = {}): RegistryPlugin {
  const logins = new RecentLogins(options.now ?? Date.now);
  return (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.raw.once('close', () => {
        if (!reply.raw.headersSent) return;
        try {
          for (const event of eventsOf(request, reply, logins)) recorder.record(event);
        } catch (error) {
          request.log.error({ event: 'error', err: error }, 'the audit events of a request could not be made');
        }
      });
    });
  };
}

/** Basic sign-ins seen lately, by user and client (an IPv6 /64 counts as one), oldest dropped first past the cap. */
class RecentLogins {
  readonly #seen = new Map<string, number>();
  constructor(readonly now: () => number) {}

  /** True the first time in the window. */
  first(user: string, ip: string): boolean {
    const key = `${user}\u0000${clientKey(ip)}`;
    const at = this.now();
    const last = this.#seen.get(key);
    if (last !== undefined && at - last < LOGIN_WINDOW_MS) return false;
    this.#seen.delete(key);
    while (this.#seen.size >= MAX_REMEMBERED_LOGINS) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, at);
    return true;
  }
}

function eventsOf(request: FastifyRequest, reply: FastifyReply, logins: RecentLogins): AuditInput[] {
  const facts = factsOf(request.raw);
  const status = reply.statusCode;
  const base = { ip: request.ip, requestId: request.id };
  const who = { principal: facts.principal ?? '<anonymous>', principalKind: principalKindOf(facts.principal) };
  const scheme = /^(Basic|Bearer)\s/i.exec(request.headers.authorization ?? '')?.[1]?.toLowerCase();
  const events: AuditInput[] = [];
  const failure = facts.authFailure;
  if (failure && failure.reason !== 'denied' && scheme !== 'bearer') {
    const tried = failure.user ?? '';
    events.push({ ...base, action: 'login', outcome: failure.reason === 'rate-limited' ? 'denied' : 'failure', principal: tried, principalKind: tried === '' ? 'anonymous' : principalKindOf(tried), detail: { reason: failure.reason, via: viaOf(request) } });
  }
  if (facts.principal !== undefined && scheme === 'basic' && status !== 401 && status !== 429 && logins.first(facts.principal, request.ip)) {
    events.push({ ...base, ...who, action: 'login', outcome: 'success', detail: { via: 'basic' } });
  }
  const note = facts.audit;
  if (note) {
    const { principal, ...rest } = note;
    const acting = principal !== undefined ? { principal, principalKind: principalKindOf(principal) } : who;
    const outcome: AuditOutcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';
    events.push({ ...base, ...acting, ...rest, outcome, ...(outcome !== 'success' ? { detail: { ...rest.detail, status } } : {}) });
    return events;
  }
  const act = registryAct(request.method, status, facts, reply);
  if (act) events.push({ ...base, ...who, ...act });
  return events;
}

type Act = Pick<AuditInput, 'action' | 'outcome' | 'repository' | 'tag' | 'digest' | 'detail'>;

/** What a `/v2` manifest or blob request did (the table above). */
function registryAct(method: string, status: number, facts: RequestFacts, reply: FastifyReply): Act | undefined {
  const repository = facts.repository;
  if ((facts.route !== 'manifest' && facts.route !== 'blob') || repository === undefined || status === 401 || status === 429) return undefined;
  const answered = reply.getHeader('docker-content-digest');
  const digest = facts.digest ?? (typeof answered === 'string' ? answered : undefined);
  const target = { repository, ...(facts.tag !== undefined ? { tag: facts.tag } : {}), ...(digest !== undefined ? { digest } : {}) };
  const notPermitted = facts.authFailure?.reason === 'denied';
  const ok = status < 300;
  if (method === 'GET' || method === 'HEAD') {
    if (facts.route !== 'manifest') return undefined;
    if (ok) return { action: 'pull', outcome: 'success', ...target, ...(method === 'HEAD' ? { detail: { method } } : {}) };
    if (facts.denied) return { action: 'pull.denied', outcome: 'denied', ...target, detail: { reason: facts.denied.reason, ...(facts.denied.kind !== undefined ? { kind: facts.denied.kind } : {}) } };
    return notPermitted ? { action: 'pull', outcome: 'denied', ...target, detail: { reason: 'not permitted' } } : undefined;
  }
  if (method === 'PUT' && facts.route === 'manifest') {
    if (ok) return { action: 'push', outcome: 'success', ...target };
    return { action: 'push', outcome: notPermitted || status === 403 ? 'denied' : 'failure', ...target, detail: { status, ...(notPermitted ? { reason: 'not permitted' } : {}) } };
  }
  if (method === 'DELETE') {
    const what = facts.route === 'blob' ? 'blob' : facts.tag !== undefined ? 'tag' : 'manifest';
    if (ok) return { action: 'delete', outcome: 'success', ...target, detail: { what } };
    if (notPermitted || status === 403) return { action: 'delete', outcome: 'denied', ...target, detail: { what, status } };
    return status === 404 ? undefined : { action: 'delete', outcome: 'failure', ...target, detail: { what, status } };
  }
  return undefined;
}

/** Where the credentials were sent, for a failed login's detail. */
function viaOf(request: FastifyRequest): string {
  const path = request.url.split('?', 1)[0] ?? '';
  if (path === '/token') return 'token';
  if (path.startsWith('/v2')) return 'registry';
  if (path.startsWith('/api/')) return 'api';
  if (path.startsWith('/ui')) return 'ui';
  return 'other';
}
