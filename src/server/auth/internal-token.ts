/**
 * The registry's own credentials for calls it makes to itself (verifying
 * signatures over loopback). A random secret made at start-up, never written
 * anywhere, accepted as Basic credentials for the reserved user `<token>`
 * (a name htpasswd users cannot collide with in practice: clients never send
 * angle brackets) and compared in constant time. Everything else goes to the
 * configured authenticator.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Access, AuthRequest, Authenticator, AuthResult } from '../services.js';

export const INTERNAL_USER = '<token>';

export function newInternalToken(): string {
  return randomBytes(32).toString('base64url');
}

export function withInternalToken(inner: Authenticator, token: string): Authenticator {
  const expected = createHash('sha256').update(`${INTERNAL_USER}:${token}`).digest();
  return {
    async authorize(request: AuthRequest, access: Access, repository?: string): Promise<AuthResult> {
      const header = request.headers.authorization;
      if (typeof header === 'string' && header.startsWith('Basic ')) {
        const given = createHash('sha256').update(Buffer.from(header.slice(6), 'base64').toString('utf8')).digest();
        // Internal calls only read: a leaked token still cannot push or delete.
        if (timingSafeEqual(given, expected) && access === 'pull') return { ok: true, user: INTERNAL_USER };
      }
      return inner.authorize(request, access, repository);
    },
  };
}
