/**
 * Where a webhook may send: the target URL's form, and which addresses it may
 * reach (server-side request forgery: a project admin must not be able to make
 * the registry POST to its own loopback services, the cloud metadata service
 * at 169.254.169.254, or the operator's private network).
 *
 * A URL is `http://` or `https://`, without credentials (they would be
 * stored and shown; a receiver authenticates the signature instead) or a
 * fragment, at most 2 KiB. An address is refused when it is in a range that
 * is not public unicast — loopback, private (RFC 1918, unique-local IPv6,
 * carrier-grade NAT), link-local (the metadata services), and the reserved,
 * documentation, multicast, NAT64, 6to4, IPv4-compatible, IPv4-translated and
 * site-local ranges that can reach them —
 * unless the operator allowed it (`webhooks.allowedNetworks`: `loopback`,
 * `private`, `link-local`, or CIDR ranges). Everything else is allowed.
 *
 * The check that counts is made on the address a connection is about to
 * use: `guardedLookup` resolves the host name and refuses it when any of
 * its addresses is refused (DNS rebinding cannot slip a private address in
 * after a public one was checked), and an IP literal, which Node connects to
 * without a lookup, is checked by `checkTarget` before every request. The
 * check when a webhook is created is the same one, for a clear early error.
 * Built on `net.BlockList` (Node's own, which also matches IPv4-mapped IPv6
 * addresses against IPv4 ranges): no library does more of this job.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export const MAX_URL_LENGTH = 2048;

const NAMED: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
};

/** Ranges refused unless allowed: the named ones, and every other range that is not public unicast. */
const NOT_PUBLIC: readonly string[] = [
  ...NAMED.loopback!,
  ...NAMED.private!,
  ...NAMED['link-local']!,
  '0.0.0.0/8',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  // IPv4-compatible (::a.b.c.d, deprecated) and IPv4-translated (::ffff:0:a.b.c.d, SIIT) forms carry an IPv4
  // address a host with a transition mechanism may reach; deprecated site-local (fec0::/10) is private in effect.
  '::/96',
  '::ffff:0:0:0/96',
  'fec0::/10',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001:db8::/32',
  '2002::/16',
  'ff00::/8',
];

export interface TargetPolicy {
  /** Why `address` may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined;
}

/** A policy from `webhooks.allowedNetworks` entries; throws on an entry that is neither a name nor a CIDR range. */
export function targetPolicy(allowed: readonly string[] = []): TargetPolicy {
  const allow = new BlockList();
  for (const entry of allowed) {
    const named = NAMED[entry];
    if (named) for (const range of named) addRange(allow, range);
    else addRange(allow, entry);
  }
  const deny = new BlockList();
  for (const range of NOT_PUBLIC) addRange(deny, range);
  return {
    refusal(address) {
      const family = isIP(address);
      if (family === 0) return `${address} is not an IP address`;
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (allow.check(address, type)) return undefined;
      if (!deny.check(address, type)) return undefined;
      return `${address} is a ${rangeName(address, type)} address, which webhooks may not reach (webhooks.allowedNetworks)`;
    },
  };
}

/** Checks one `allowedNetworks` entry (for the configuration's message). */
export function isNetworkEntry(entry: string): boolean {
  if (NAMED[entry]) return true;
  try {
    addRange(new BlockList(), entry);
    return true;
  } catch {
    return false;
  }
}

function addRange(list: BlockList, text: string): void {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  const prefix = slash < 0 ? (family === 6 ? 128 : 32) : Number(text.slice(slash + 1));
  const max = family === 6 ? 128 : 32;
  if (family === 0 || !/^\d{1,3}$/.test(String(prefix)) || prefix > max) throw new Error(`"${text}" is not loopback, private, link-local or a CIDR range such as 10.1.0.0/16`);
  list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
}

function rangeName(address: string, type: 'ipv4' | 'ipv6'): string {
  for (const [name, ranges] of Object.entries(NAMED)) {
    const list = new BlockList();
    for (const range of ranges) addRange(list, range);
    if (list.check(address, type)) return name;
  }
  return 'reserved or non-unicast';
}

/** The target URL, checked for form and, when its host is an IP literal or `localhost`, for address; a message otherwise. */
export function checkTarget(text: string, policy: TargetPolicy): { readonly url: URL } | { readonly problem: string } {
  if (text.length > MAX_URL_LENGTH) return { problem: `the URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `only http and https URLs, not ${url.protocol.replace(/:$/, '')}` };
  if (url.username !== '' || url.password !== '') return { problem: 'no credentials in the URL: the receiver checks the signature header instead' };
  if (url.hash !== '' || text.includes('#')) return { problem: 'no fragment (#…) in the URL' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { problem: 'the URL has no host' };
  const literal = isIP(host) !== 0 ? host : /^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host) ? '127.0.0.1' : undefined;
  const refusal = literal !== undefined ? policy.refusal(literal) : undefined;
  if (refusal) return { problem: refusal };
  return { url };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that resolves the name and refuses it when any address it has is refused. */
export function guardedLookup(policy: TargetPolicy): (hostname: string, options: { all?: boolean }, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.map((a) => policy.refusal(a.address)).find((r) => r !== undefined);
      if (refused) return callback(Object.assign(new Error(`${hostname} resolves to ${refused}`), { code: 'EWEBHOOKTARGET' }), []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
