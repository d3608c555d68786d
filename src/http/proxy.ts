/**
 * Which proxy a request goes through, from the environment, the way curl and
 * Go's net/http read `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`. A pure
 * function of the URL and the variables, so the rules are tested in one place
 * (test/http/proxy.test.ts, with Go's own `httpproxy` package as the oracle).
 *
 * Where curl and Go agree, we do the same:
 * - an `https:` URL uses `https_proxy`/`HTTPS_PROXY`, an `http:` URL
 *   `http_proxy`/`HTTP_PROXY`; an https URL never falls back to the HTTP
 *   proxy (undici's EnvHttpProxyAgent does, which is why it is not used);
 * - a proxy given without a scheme is `http://`; an empty variable is unset;
 * - `NO_PROXY=*` turns proxies off; otherwise a comma (or space) separated
 *   list of host names, each matching itself and its subdomains, IP addresses
 *   and CIDR blocks (`10.0.0.0/8`, `fd00::/8`).
 *
 * Where they differ, the choice and why:
 * - lower-case variables win over upper-case ones (curl, wget, Python; Go
 *   reads upper-case first) — a difference only when both are set and differ;
 * - `HTTP_PROXY` in upper case is read (Go; curl ignores it for CGI's sake,
 *   and portcullis is never a CGI program);
 * - `localhost` and loopback addresses never go through a proxy (Go; curl
 *   sends them to the proxy unless NO_PROXY lists them): a mirror on this
 *   machine is never meant to be reached through a proxy elsewhere;
 * - a leading `.` or `*.` (`.example.com`) matches the domain and its
 *   subdomains (curl; Go matches only subdomains then), and an entry may carry
 *   a port (`mirror.example:8443`, Go; curl has no ports there);
 * - `ALL_PROXY` (curl only) and SOCKS proxies are not supported: a `socks5://`
 *   value is refused with a message rather than ignored.
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { HttpError } from './errors.js';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

function envAny(env: ProxyEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function parseProxyUrl(value: string, variable: string): URL {
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new HttpError('PROXY', `${variable} is not a proxy URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError('PROXY', `${variable}: ${url.protocol.slice(0, -1)} proxies are not supported (use an http:// or https:// proxy)`);
  }
  return url;
}

/** The hostname without IPv6 brackets, lower-case, in ASCII. */
function bareHost(hostname: string): string {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return h.toLowerCase();
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const kind = isIP(host);
  if (kind === 4) return host.startsWith('127.');
  if (kind === 6) return host === '::1' || /^::ffff:127\./.test(host) || host === '0:0:0:0:0:0:0:1';
  return false;
}

interface NoProxyRule {
  /** Domain (without leading dot), IP address, or undefined for a CIDR block. */
  readonly host?: string;
  readonly port?: string;
}

/** A parsed NO_PROXY list. */
export class NoProxy {
  readonly all: boolean;
  private readonly rules: NoProxyRule[] = [];
  private readonly blocks = new BlockList();
  private hasBlocks = false;

  constructor(value: string | undefined) {
    const entries = (value ?? '').split(/[\s,]+/).map((e) => e.trim().toLowerCase()).filter(Boolean);
    this.all = entries.includes('*');
    for (const entry of entries) {
      const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
      if (cidr) {
        const kind = isIP(cidr[1]!);
        const bits = Number(cidr[2]);
        if (kind !== 0 && bits <= (kind === 4 ? 32 : 128)) {
          this.blocks.addSubnet(cidr[1]!, bits, kind === 4 ? 'ipv4' : 'ipv6');
          this.hasBlocks = true;
        }
        continue;
      }
      let host = entry;
      let port: string | undefined;
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      const hostPort = /^([^:]+):(\d+)$/.exec(entry);
      if (bracketed) {
        host = bracketed[1]!;
        port = bracketed[2];
      } else if (hostPort) {
        host = hostPort[1]!;
        port = hostPort[2];
      }
      if (isIP(host) === 0) host = domainToASCII(host.replace(/^\*?\./, '')) || host.replace(/^\*?\./, '');
      if (host) this.rules.push({ host, ...(port ? { port } : {}) });
    }
  }

  /** True when a request to `host:port` must not use a proxy. */
  bypasses(host: string, port: string): boolean {
    if (this.all) return true;
    const ip = isIP(host);
    if (ip !== 0 && this.hasBlocks && this.blocks.check(host, ip === 4 ? 'ipv4' : 'ipv6')) return true;
    for (const rule of this.rules) {
      if (rule.port && rule.port !== port) continue;
      if (host === rule.host) return true;
      if (ip === 0 && isIP(rule.host!) === 0 && host.endsWith(`.${rule.host}`)) return true;
    }
    return false;
  }
}

/** What a request to one URL goes through. */
export interface ProxyChoice {
  /** The proxy, or undefined for a direct connection. */
  readonly proxy: URL | undefined;
  /** The variable the proxy came from (for messages). */
  readonly variable?: string;
}

/**
 * The proxy for `url` under `env`, or `{ proxy: undefined }` for a direct
 * connection. Throws HttpError PROXY for a proxy setting that cannot be used.
 */
export function proxyFor(url: URL, env: ProxyEnv): ProxyChoice {
  const https = url.protocol === 'https:';
  const names = https ? ['https_proxy', 'HTTPS_PROXY'] : url.protocol === 'http:' ? ['http_proxy', 'HTTP_PROXY'] : [];
  const variable = names.find((n) => env[n]?.trim());
  const value = variable ? envAny(env, variable) : undefined;
  if (!variable || !value) return { proxy: undefined };
  const host = bareHost(url.hostname);
  if (isLoopback(host)) return { proxy: undefined };
  const port = url.port || DEFAULT_PORTS[url.protocol] || '';
  if (new NoProxy(envAny(env, 'no_proxy', 'NO_PROXY')).bypasses(host, port)) return { proxy: undefined };
  return { proxy: parseProxyUrl(value, variable), variable };
}

/** A proxy URL safe for messages: no credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
