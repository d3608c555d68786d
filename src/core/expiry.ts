/**
 * When an exception stops applying: the one reading of `expires` shared by
 * the ignore file (`.portcullisignore`), VEX export and the trust policy's
 * CVE allowlist, so that the same date means the same moment everywhere.
 * A bare date (`2027-01-31`) lasts through that day, UTC; a date-time is
 * that instant.
 */

/** The last millisecond an exception with this `expires` applies; NaN when it is not a date. */
export function expiryTime(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}
