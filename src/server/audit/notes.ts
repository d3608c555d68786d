/**
 * How a handler tells the audit log what its request did: one `noteAudit`
 * call beside the act, kept in the request's facts (request-facts.ts); the
 * one hook of audit/http.ts turns it into an event when the answer is sent,
 * with the caller, the address, the request id and the outcome from the
 * status. Handlers never reach the recorder themselves, so none of them
 * grows more than a line, and an act is recorded only once it was answered.
 */
import type { IncomingMessage } from 'node:http';
import { principalName, type Principal } from '../auth/principal.js';
import { factsOf } from '../request-facts.js';
import type { AuditAction, AuditDetail } from './event.js';

export interface AuditNote {
  action: AuditAction;
  project?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  detail?: AuditDetail;
  /** Who acted, when the request's facts do not say (the token endpoint signs the caller in itself). */
  principal?: string;
}

/** Notes what the request did; returns the note, which the handler may complete later (a gc report). */
export function noteAudit(request: { readonly raw: IncomingMessage }, note: AuditNote): AuditNote {
  factsOf(request.raw).audit = note;
  return note;
}

/** A token issued to a signed-in caller: one `login` per token (the token endpoint). */
export function noteLogin(request: { readonly raw: IncomingMessage }, principal: Principal, detail: AuditDetail): void {
  if (principal.kind === 'anonymous') return;
  noteAudit(request, { action: 'login', principal: principalName(principal), detail });
}
