/**
 * One `auth.failed` log line for a refused authentication, the same from the
 * API, the UI and `/metrics`: credentials that were sent and refused
 * (`invalid`), not allowed (`denied`), or not even checked (`rate-limited`).
 * A request without credentials (`missing`) is every client's first request,
 * not a failure, and is not logged. The refusal is also kept in the
 * request's facts, for the audit log (audit/http.ts: a failed login, or an
 * act that was not permitted).
 */
import type { FastifyRequest } from 'fastify';
import { factsOf } from '../request-facts.js';
import type { Access, AuthResult } from '../services.js';

export function logAuthFailure(request: FastifyRequest, result: Extract<AuthResult, { ok: false }>, access: Access, repository?: string): void {
  if (result.reason === undefined || result.reason === 'missing') return;
  factsOf(request.raw).authFailure = { reason: result.reason, ...(result.user !== undefined ? { user: result.user } : {}) };
  request.log.warn(
    {
      event: 'auth.failed',
      reason: result.reason,
      ...(result.user !== undefined ? { user: result.user } : {}),
      access,
      ...(repository !== undefined ? { repository } : {}),
      ...(result.retryAfterSeconds !== undefined ? { retryAfter: result.retryAfterSeconds } : {}),
      ip: request.ip,
    },
    `authentication failed (${result.reason})`,
  );
}
