/**
 * Which "client" an address is, for per-client limits (failed logins, open
 * upload sessions). An IPv4 address is itself (an IPv4-mapped IPv6 address is
 * its IPv4 address); an IPv6 address counts as its /64, because one host gets
 * a whole /64 and can pick a fresh address from it for every request — per
 * address, an IPv6 limit would limit nothing. Written by hand: Node's `net`
 * validates addresses but has no prefix helper, and this is a dozen lines.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function clientKey(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare.slice(0, 64);
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lowercase, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::1.2.3.4) counts for two groups; it only ever falls in the host half.
  const width = (list: string[]): number => list.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? [] : new Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0');
  return [...left, ...zeros, ...right].map((g) => (g.includes('.') ? g : g.replace(/^0+(?=.)/, '')));
}
