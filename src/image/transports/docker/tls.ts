/**
 * TLS settings for one registry, the way containers' certs.d works: a
 * directory whose `*.crt` files are extra CA certificates (added to the system
 * roots, not replacing them) and whose `X.cert` + `X.key` pairs are client
 * certificates. `tlsVerify: false` turns off verification and also allows
 * plain HTTP (decided in the client, see `schemesFor`). A loopback registry
 * (`localhost`, 127.0.0.0/8, `::1`) may answer plain HTTP without the flag,
 * as cosign and crane allow (go-containerregistry's `Registry.Scheme`): HTTPS
 * is tried first and HTTP only when the server answered HTTPS with HTTP
 * (`answeredPlainHttp`); a certificate error is never downgraded.
 * Reference: https://github.com/containers/image/blob/main/docs/containers-certs.d.5.md
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { PortcullisError, readRegularFile } from '../../../core/index.js';
import { RegistryError } from './errors.js';

export interface TlsSettings {
  /** CA bundle (system roots + certDir's *.crt), or undefined for the defaults. */
  ca?: string[];
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

export interface TlsOptions {
  certDir?: string;
  tlsVerify?: boolean;
}

/** PEM files are a few KiB; a FIFO or device in the directory is refused instead of read (src/core/user-files.ts). */
const MAX_CERT_FILE_BYTES = 1024 * 1024;

async function readCertFile(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_CERT_FILE_BYTES });
  } catch (error) {
    if (error instanceof PortcullisError) throw error;
    throw new RegistryError('TLS', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export async function loadTlsSettings(options: TlsOptions): Promise<TlsSettings> {
  const settings: TlsSettings = { rejectUnauthorized: options.tlsVerify !== false };
  if (!options.certDir) return settings;
  let names: string[];
  try {
    names = (await readdir(options.certDir)).sort();
  } catch (error) {
    throw new RegistryError('TLS', `cannot read certificate directory ${options.certDir}: ${(error as Error).message}`, { cause: error });
  }
  const cas: string[] = [];
  for (const name of names) {
    if (name.endsWith('.crt')) cas.push((await readCertFile(join(options.certDir, name))).toString('utf8'));
  }
  if (cas.length > 0) settings.ca = [...rootCertificates, ...cas];
  for (const name of names) {
    if (!name.endsWith('.cert')) continue;
    const keyName = `${name.slice(0, -'.cert'.length)}.key`;
    if (!names.includes(keyName)) {
      throw new RegistryError('TLS', `client certificate ${name} in ${options.certDir} has no matching ${keyName}`);
    }
    // Like containers/image, the first pair wins.
    settings.cert = await readCertFile(join(options.certDir, name));
    settings.key = await readCertFile(join(options.certDir, keyName));
    break;
  }
  for (const name of names) {
    if (name.endsWith('.key') && !names.includes(`${name.slice(0, -'.key'.length)}.cert`)) {
      throw new RegistryError('TLS', `client key ${name} in ${options.certDir} has no matching .cert file`);
    }
  }
  return settings;
}

/**
 * URL schemes to try, in order: https only when verifying; with verification
 * off, https (unverified) first, then plain http. For a loopback registry
 * with tlsVerify unset, http comes second too, tried only when https was
 * answered in plain HTTP (the client's ping decides).
 */
export function schemesFor(tlsVerify: boolean | undefined, registry?: string): readonly ('https' | 'http')[] {
  if (tlsVerify === false) return ['https', 'http'];
  return tlsVerify === undefined && registry !== undefined && isLoopbackRegistry(registry) ? ['https', 'http'] : ['https'];
}

/** `localhost[:port]`, `127.x.y.z[:port]`, `[::1][:port]`, `::1`: a registry on this machine, where plain HTTP cannot be intercepted. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry === '::1' ? registry : registry.replace(/:\d+$/, '');
  if (host.toLowerCase() === 'localhost') return true;
  if (host === '::1' || /^(?:0{0,4}:){7}0{0,3}1$/.test(host)) return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * True when a TLS handshake failed because the server answered in plain
 * HTTP ("SSL routines:ssl3_get_record:wrong version number"): its first
 * bytes, `HTTP/1.1 400`, are not a TLS record. Looks through wrapped causes.
 */
export function answeredPlainHttp(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof AggregateError && e.errors.some(answeredPlainHttp)) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return true;
    if (typeof message === 'string' && /wrong version number|packet length too long/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** True for errors raised by certificate checks or the TLS handshake. */
export function isTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_');
}
