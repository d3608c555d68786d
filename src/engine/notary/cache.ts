/**
 * The Notary trust cache: per GUN, the root we trust (trust on first use)
 * and the versions of every role seen last, under
 * `<trust dir>/tuf/<gun>/` (`~/.portcullis/trust/tuf/127.0.0.1:5000/team/app/`),
 * the layout notary's own trust dir uses. Directories 0700, files 0600,
 * written atomically with their final mode; a root file readable by others is
 * refused, since whoever can swap it decides what we trust.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing, trustDirectory, writeFileAtomic } from '../../trust/index.js';
import { NotaryError } from './errors.js';

const GUN_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export function checkGun(gun: string): void {
  const parts = gun.split('/');
  if (gun.length === 0 || gun.length > 255 || !parts.every((p) => GUN_SEGMENT.test(p) && p !== '.' && p !== '..')) {
    throw new NotaryError('GUN_INVALID', `${JSON.stringify(gun)} is not a valid GUN`);
  }
}

export interface TrustState {
  readonly root: Buffer;
  readonly versions: ReadonlyMap<string, number>;
}

export interface TrustCacheOptions {
  /** The portcullis home (default `$PORTCULLIS_HOME`, else `~/.portcullis`). */
  readonly home?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class TrustCache {
  readonly directory: string;

  constructor(options: TrustCacheOptions = {}) {
    this.directory = join(trustDirectory(options), 'tuf');
  }

  gunDirectory(gun: string): string {
    checkGun(gun);
    return join(this.directory, gun);
  }

  async load(gun: string): Promise<TrustState | undefined> {
    const dir = this.gunDirectory(gun);
    let root: Buffer;
    try {
      const info = await stat(join(dir, 'root.json'));
      if ((info.mode & 0o077) !== 0) throw new NotaryError('TRUST_CACHE_INSECURE', `${join(dir, 'root.json')} is accessible by group or others (chmod 600)`);
      if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
        throw new NotaryError('TRUST_CACHE_INSECURE', `${join(dir, 'root.json')} is owned by another user`);
      }
      root = await readFile(join(dir, 'root.json'));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const versions = new Map<string, number>();
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'versions.json'), 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object') {
        for (const [role, v] of Object.entries(parsed)) if (Number.isSafeInteger(v)) versions.set(role, v as number);
      }
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    return { root, versions };
  }

  async save(gun: string, state: TrustState): Promise<void> {
    const dir = this.gunDirectory(gun);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'versions.json'), `${JSON.stringify(Object.fromEntries(state.versions), null, 2)}\n`, 0o600);
    await writeFileAtomic(join(dir, 'root.json'), state.root, 0o600);
  }
}
