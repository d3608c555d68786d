/**
 * Basic authentication from an Apache htpasswd file, the way distribution's
 * `htpasswd` auth works: bcrypt entries only (`htpasswd -B`), since the other
 * formats (MD5-crypt, SHA-1, crypt) are too fast to resist guessing; any other
 * entry stops the server at start with a message naming its line. Every
 * signed-in user may pull, push and delete; anonymous callers may pull from
 * repositories when `anonymousPull` is set (but `/v2/` and the catalog still
 * challenge them, which is how clients learn to send credentials at all).
 *
 * Timing: an unknown user is checked against a dummy hash of the same cost,
 * so the answer takes as long as for a known user with a wrong password.
 * Verified credentials are remembered (by a SHA-256 of user and password) so
 * a push's hundred requests do not each pay bcrypt's cost; only a correct
 * pair is ever remembered.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { ServeError } from '../errors.js';
import type { Access, Authenticator, AuthResult } from '../services.js';

export interface HtpasswdOptions {
  /** Let callers without credentials pull (default false). */
  readonly anonymousPull?: boolean;
  /** Default "portcullis". */
  readonly realm?: string;
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const REMEMBERED_LIMIT = 1000;

export class HtpasswdAuthenticator implements Authenticator {
  readonly #users: ReadonlyMap<string, string>;
  readonly #dummy: string;
  readonly #challenge: string;
  readonly #anonymousPull: boolean;
  readonly #verified = new Set<string>();

  constructor(users: ReadonlyMap<string, string>, options: HtpasswdOptions = {}) {
    this.#users = users;
    const first = users.values().next();
    const rounds = first.done ? 10 : Number(BCRYPT.exec(first.value)?.[1] ?? 10);
    this.#dummy = bcrypt.hashSync(randomBytes(16).toString('hex'), rounds);
    this.#challenge = `Basic realm="${(options.realm ?? 'portcullis').replace(/["\\]/g, '')}"`;
    this.#anonymousPull = options.anonymousPull ?? false;
  }

  static async load(path: string, options: HtpasswdOptions = {}): Promise<HtpasswdAuthenticator> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ServeError('CONFIG_INVALID', `cannot read htpasswd file ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new HtpasswdAuthenticator(parseHtpasswd(text, path), options);
  }

  async authorize(headers: IncomingHttpHeaders, access: Access, repository?: string): Promise<AuthResult> {
    const credentials = basicCredentials(headers.authorization);
    // containers/image answers a Basic challenge with empty credentials when it has none: that is anonymous.
    if (!credentials || (credentials.user === '' && credentials.password === '')) {
      // Not for `/v2/` itself: clients learn from its challenge that they should send credentials,
      // and would never send them if it answered 200.
      if (this.#anonymousPull && access === 'pull' && repository !== undefined) return { ok: true };
      return { ok: false, challenge: this.#challenge, reason: 'missing' };
    }
    const key = createHash('sha256').update(credentials.user).update('\0').update(credentials.password).digest('hex');
    if (this.#verified.has(key)) return { ok: true, user: credentials.user };
    const hash = this.#users.get(credentials.user);
    // Always pay one bcrypt comparison, whether or not the user exists.
    const matches = await bcrypt.compare(credentials.password, hash ?? this.#dummy);
    if (!matches || hash === undefined) return { ok: false, challenge: this.#challenge, reason: 'invalid', user: credentials.user };
    if (this.#verified.size >= REMEMBERED_LIMIT) this.#verified.clear();
    this.#verified.add(key);
    return { ok: true, user: credentials.user };
  }
}

/** `user:hash` lines; blank lines and `#` comments skipped; non-bcrypt entries refused. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon > 0 ? line.slice(0, colon) : '';
    const hash = line.slice(colon + 1);
    if (user === '') throw new ServeError('CONFIG_INVALID', `${source} line ${index + 1}: expected "user:hash"`);
    if (!BCRYPT.test(hash)) {
      throw new ServeError('CONFIG_INVALID', `${source} line ${index + 1} (user "${user}"): only bcrypt entries are supported; create them with "htpasswd -B"`);
    }
    users.set(user, hash);
  });
  return users;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
