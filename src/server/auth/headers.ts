/**
 * Credentials as they arrive in an `Authorization` header: Basic (a user name
 * and a password or robot secret) or Bearer (a token from `/token`).
 * Malformed headers read as no credentials of that kind.
 */
export type SentCredentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

export function sentCredentials(header: string | undefined): SentCredentials {
  if (header === undefined) return { kind: 'none' };
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'none' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // containers/image answers a Basic challenge with empty credentials when it has none: that is anonymous.
    return user === '' && password === '' ? { kind: 'none' } : { kind: 'basic', user, password };
  }
  const bearer = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (bearer) return { kind: 'bearer', token: bearer[1]! };
  return { kind: 'none' };
}
