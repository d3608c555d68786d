/**
 * Fetching one GUN's TUF metadata from a Notary server over HTTPS, every body
 * read under a cap: the timestamp under a fixed 1 MiB (notary's
 * MaxTimestampSize), root under a fixed cap, and every other file under the
 * length the referring file records (snapshot from timestamp, targets and
 * delegations from snapshot) so endless data stops at the first extra byte.
 * Those lengths come from not-yet-verified files: they are only caps, and
 * never above `otherBytes` (a length of a petabyte caps nothing);
 * `verifyRepository` checks everything afterwards. The counts are bounded
 * too, since the server chooses them before anything is verified: at most
 * MAX_ROOT_ROTATIONS N.root.json files in one update (python-tuf's
 * `max_root_rotations`; a root claiming version 2^53 must not mean 2^53
 * requests) and at most MAX_DELEGATIONS delegated roles. Requests go through the
 * shared fetcher (`http/`): caps while streaming, deadlines, retries,
 * HTTPS_PROXY; a status other than 200 is an HttpError (404: NOT_FOUND).
 */
import { HttpError, type FetchedBytes, type HttpFetcher } from '../../http/index.js';
import {
  parseRootMetadata,
  parseSnapshotMetadata,
  parseTargetsMetadata,
  parseTimestampMetadata,
  TufError,
  type RepositoryFiles,
} from '../../trust/tuf/index.js';
import type { NotaryAuth } from './auth.js';

/** Root versions followed in one update (python-tuf's default); a longer gap is refused. */
export const MAX_ROOT_ROTATIONS = 32;
/** Delegated targets roles fetched for one GUN (Docker's signers make a handful). */
export const MAX_DELEGATIONS = 1000;

export interface FetchLimits {
  readonly rootBytes: number;
  readonly timestampBytes: number;
  /** For a role snapshot does not list a length for. */
  readonly otherBytes: number;
}

export const DEFAULT_LIMITS: FetchLimits = { rootBytes: 10 << 20, timestampBytes: 1 << 20, otherBytes: 10 << 20 };

export class MetadataFetcher {
  constructor(
    private readonly http: HttpFetcher,
    private readonly server: URL,
    private readonly limits: FetchLimits = DEFAULT_LIMITS,
    /** Answers the server's 401 (auth.ts); without it a 401 is an UNAUTHORIZED error. */
    private readonly auth?: NotaryAuth,
  ) {}

  url(gun: string, file: string): URL {
    return new URL(`/v2/${gun}/_trust/tuf/${file}`, this.server);
  }

  async get(gun: string, file: string, maxBytes: number): Promise<Buffer> {
    return (await this.getAuthorized({ url: this.url(gun, file), what: `trust metadata ${gun} ${file}`, maxBytes })).bytes;
  }

  /** A GET with the settled authorization; a 401 is answered (auth.ts) and the GET retried once. */
  async getAuthorized(req: { url: URL; what: string; maxBytes: number; accept?: readonly number[] }): Promise<FetchedBytes> {
    const accept = [...(req.accept ?? [200]), 401];
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await this.http.getBytes({ ...req, accept, headers: this.auth?.headers() ?? {} });
      if (answer.status !== 401) return answer;
      if (!this.auth) break;
      // Throws when the authorization already sent was refused: one retry at most.
      await this.auth.challenged(challengesOf(answer));
    }
    throw new HttpError('UNAUTHORIZED', `${req.what}: the Notary server ${req.url.host} asks for authentication`, { status: 401 });
  }

  /** Everything needed to verify `gun`, given the root version already trusted (for the N.root.json chain). */
  async fetchRepository(gun: string, trustedRootVersion: number | undefined): Promise<RepositoryFiles> {
    const root = await this.get(gun, 'root.json', this.limits.rootBytes);
    const rootChain = new Map<number, Uint8Array>();
    if (trustedRootVersion !== undefined) {
      const newest = parseRootMetadata(root).signed.version;
      if (newest - trustedRootVersion - 1 > MAX_ROOT_ROTATIONS) {
        throw new TufError('ROOT_ROTATION_INVALID', `${gun}: root.json claims version ${newest}, more than ${MAX_ROOT_ROTATIONS} rotations after the trusted version ${trustedRootVersion}`);
      }
      for (let v = trustedRootVersion + 1; v < newest; v++) rootChain.set(v, await this.get(gun, `${v}.root.json`, this.limits.rootBytes));
    }
    const timestamp = await this.get(gun, 'timestamp.json', this.limits.timestampBytes);
    const cap = (length: number | undefined): number => Math.min(length ?? this.limits.otherBytes, this.limits.otherBytes);
    const snapshot = await this.get(gun, 'snapshot.json', cap(parseTimestampMetadata(timestamp).signed.meta.get('snapshot')?.length));
    const lengths = parseSnapshotMetadata(snapshot).signed.meta;
    const targets = await this.get(gun, 'targets.json', cap(lengths.get('targets')?.length));
    const delegations = new Map<string, Uint8Array>();
    // Breadth first, read by index (no shift(): linear in the number of roles listed).
    const pending = parseTargetsMetadata(targets, 'targets').signed.delegations.map((d) => d.name);
    for (let next = 0; next < pending.length; next++) {
      const role = pending[next]!;
      const meta = lengths.get(role);
      if (!meta || delegations.has(role)) continue; // never published: nothing to fetch
      if (delegations.size >= MAX_DELEGATIONS) throw new TufError('DELEGATION_INVALID', `${gun} has more than ${MAX_DELEGATIONS} delegated roles`);
      const bytes = await this.get(gun, `${role}.json`, cap(meta.length));
      delegations.set(role, bytes);
      for (const d of parseTargetsMetadata(bytes, role).signed.delegations) pending.push(d.name);
    }
    return { root, timestamp, snapshot, targets, delegations, rootChain };
  }
}

function challengesOf(answer: FetchedBytes): string[] {
  const value = answer.headers['www-authenticate'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
