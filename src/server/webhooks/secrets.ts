/**
 * Webhook secrets at rest. The server must sign every body with the secret,
 * so it cannot keep only a hash of it (as it does for robot secrets): it
 * keeps the secret sealed with AES-256-GCM under a key of its own, in the
 * data folder beside the token signing key: `<root>/auth/webhook-secrets.key`
 * (32 random bytes, base64, mode 0600, made on first start; a key file that
 * group or others can read stops the start). The sealed form is
 * `v1.<iv>.<ciphertext+tag>` (base64url), authenticated with the webhook's id
 * as associated data, so a sealed secret copied onto another webhook's row
 * does not open.
 *
 * What that buys: a copy of the metadata database alone — a PostgreSQL
 * backup, a replica, a DBA's query, `registry.sqlite` mailed for debugging —
 * does not reveal the secrets. What it does not: whoever has the data folder
 * (the SQLite file and the key) or the running process has them. The API
 * shows a secret once (when made or rotated) and never again. Several
 * processes sharing one PostgreSQL database need the same key file, as they
 * need the same token key; a process with another key cannot sign, and its
 * deliveries fail with a message saying so. Losing the key means rotating
 * every webhook's secret (PATCH `{"rotateSecret":true}`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServeError } from '../errors.js';

export const SECRET_KEY_FILE = 'webhook-secrets.key';
const VERSION = 'v1';

export interface SecretBox {
  seal(secret: string, webhookId: string): string;
  /** The secret, or undefined when this key did not seal it (another key, or another webhook's row). */
  open(sealed: string, webhookId: string): string | undefined;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new ServeError('CONFIG_INVALID', 'the webhook secrets key must be 32 bytes');
  return {
    seal(secret, webhookId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(`webhook:${webhookId}`));
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
    },
    open(sealed, webhookId) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) return undefined;
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== 12 || body.length < 16) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(`webhook:${webhookId}`));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** The key in `dir` (`<root>/auth`), made when there is none. */
export async function loadSecretBox(dir: string): Promise<SecretBox> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SECRET_KEY_FILE);
  let text: string;
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) throw new ServeError('CONFIG_INVALID', `${path} may be read by group or others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot read the webhook secrets key ${path}: ${(error as Error).message}`, { cause: error });
    }
    text = randomBytes(32).toString('base64');
    try {
      await writeFile(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
    } catch (raced) {
      // Another process made it first: use theirs.
      if ((raced as { code?: unknown }).code !== 'EEXIST') throw raced;
      text = await readFile(path, 'utf8');
    }
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new ServeError('CONFIG_INVALID', `${path} does not hold a 32-byte key (base64)`);
  return secretBox(key);
}

/** A new webhook secret: 256 random bits, base64url. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}
