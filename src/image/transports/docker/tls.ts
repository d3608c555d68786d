/**
 * TLS settings for one registry, the way containers' certs.d works: a
 * directory whose `*.crt` files are extra CA certificates (added to the system
 * roots, not replacing them) and whose `X.cert` + `X.key` pairs are client
 * certificates. `tlsVerify: false` turns off verification and also allows
 * plain HTTP (decided in the client, see `schemesFor`).
 * Reference: https://github.com/containers/image/blob/main/docs/containers-certs.d.5.md
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { PortcullisError } from '../../../core/errors.js';
import { readRegularFile } from '../../../core/user-files.js';
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
 * off, https (unverified) first, then plain http.
 */
export function schemesFor(tlsVerify: boolean | undefined): readonly ('https' | 'http')[] {
  return tlsVerify === false ? ['https', 'http'] : ['https'];
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
