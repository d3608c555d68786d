/**
 * PEM armour (RFC 7468, strict form): `-----BEGIN LABEL-----`, base64 lines,
 * `-----END LABEL-----`. Pure: text in, bytes out.
 */
import { KeyError } from './errors.js';

export interface PemBlock {
  readonly label: string;
  readonly bytes: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in the text, in order. Text outside blocks is ignored (as openssl does). */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) throw new KeyError('KEY_FORMAT_UNKNOWN', `PEM block BEGIN ${begin} ends with END ${end}`);
    const lines = (body ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    if (lines.some((l) => l.includes(':'))) {
      // RFC 1421 headers (Proc-Type, DEK-Info): legacy OpenSSL encryption, which we do not read.
      throw new KeyError('KEY_FORMAT_UNKNOWN', `PEM block ${begin} has encryption headers (legacy OpenSSL format); convert it to PKCS#8 first`);
    }
    const b64 = lines.join('');
    if (!BASE64.test(b64) || b64.length % 4 !== 0) throw new KeyError('KEY_CORRUPT', `PEM block ${begin} has a body that is not base64`);
    blocks.push({ label: begin!, bytes: Buffer.from(b64, 'base64') });
  }
  return blocks;
}

/** Armour bytes under a label, 64 characters a line, with a final newline. */
export function toPem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Whether the bytes look like PEM text (a BEGIN line somewhere near the start). */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  return head.includes('-----BEGIN ');
}
