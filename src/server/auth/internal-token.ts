/**
 * The registry's own credentials for calls it makes to itself (verifying
 * signatures over loopback). A random secret made at start-up, never written
 * anywhere, accepted as Basic credentials for the reserved user `<token>`
 * (a name no account can have: user names never contain angle brackets) and
 * compared in constant time; it proves the `internal` principal, which may
 * pull and nothing else (permissions.ts), so a leaked token still cannot push
 * or delete. With token authentication the registry's client trades it at
 * `/token` like any Basic credentials. Everything else goes to the
 * configured access control.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessControl, AuthRequest, Authentication } from '../services.js';
import { authorizeWith } from './authorize.js';
import { INTERNAL } from './principal.js';

export const INTERNAL_USER = '<token>';

export function newInternalToken(): string {
  return randomBytes(32).toString('base64url');
}

export function withInternalToken<T extends AccessControl>(inner: T, token: string): T {
  const expected = createHash('sha256').update(`${INTERNAL_USER}:${token}`).digest();
  const authenticate = async (request: AuthRequest): Promise<Authentication> => {
    const header = request.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Basic ')) {
      const given = createHash('sha256').update(Buffer.from(header.slice(6), 'base64').toString('utf8')).digest();
      if (timingSafeEqual(given, expected)) return { ok: true, principal: INTERNAL };
    }
    return inner.authenticate(request);
  };
  // A proxy keeps every other member of `inner` (the token service's, the admin API's) and replaces authenticate.
  const wrapped: T = new Proxy(inner, {
    get(target, property) {
      if (property === 'authenticate') return authenticate;
      if (property === 'authorize') {
        return (request: AuthRequest, access: Parameters<AccessControl['authorize']>[1], repository?: string) =>
          authorizeWith({ authenticate, can: (p, a, r) => target.can(p, a, r) }, target.challenge(), request, access, repository);
      }
      // Read from the target itself: getters reading private fields must see their own object, not the proxy.
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return wrapped;
}
