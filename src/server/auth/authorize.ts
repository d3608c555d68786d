/**
 * The one-call form of authentication plus authorisation
 * (`Authenticator.authorize`), derived from an AccessControl's `authenticate`
 * and `can`, for the UI and `/metrics`, which only need yes or no and a
 * challenge to send. The /v2 API asks the two questions itself
 * (api/v2/access.ts), because it must tell 401, 403 and 404 apart.
 */
import type { Access, AccessControl, AuthRequest, AuthResult } from '../services.js';
import { isSignedIn } from './permissions.js';
import { principalName } from './principal.js';

export async function authorizeWith(
  control: Pick<AccessControl, 'authenticate' | 'can'>,
  challenge: string,
  request: AuthRequest,
  access: Access,
  repository?: string,
): Promise<AuthResult> {
  const authn = await control.authenticate(request);
  if (!authn.ok) {
    return {
      ok: false,
      challenge,
      reason: authn.reason,
      ...(authn.user !== undefined ? { user: authn.user } : {}),
      ...(authn.retryAfterSeconds !== undefined ? { retryAfterSeconds: authn.retryAfterSeconds } : {}),
    };
  }
  const principal = authn.principal;
  const user = principal.kind === 'anonymous' ? undefined : principalName(principal);
  // `/v2/`, the catalog, the UI's list and /metrics: signed-in callers (clients learn from the challenge to send credentials).
  if (repository === undefined) return user !== undefined && isSignedIn(principal) ? { ok: true, user } : { ok: false, challenge, reason: 'missing' };
  if (await control.can(principal, access, repository)) return user === undefined ? { ok: true } : { ok: true, user };
  if (user === undefined) return { ok: false, challenge, reason: 'missing' };
  return { ok: false, challenge, denied: true, reason: 'denied', user };
}
