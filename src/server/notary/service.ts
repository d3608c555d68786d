/**
 * The notary-server API under `/v2/<gun>/_trust/tuf/` (notary `server/server.go`
 * routes), so the real notary CLI and Docker Content Trust can use this
 * registry as their trust server:
 *
 * | method | path                                  | answer                                        |
 * |--------|---------------------------------------|-----------------------------------------------|
 * | POST   | `` (multipart, one part per role)     | validate, store, sign snapshot?/timestamp     |
 * | GET    | `<role>.json`                         | newest (timestamp re-signed when expired)     |
 * | GET    | `<version>.<role>.json`               | that version                                  |
 * | GET    | `<role>.<sha256 or sha512 hex>.json`  | the file with that checksum                   |
 * | GET    | `timestamp.key`, `snapshot.key`       | the server's public key (see below)           |
 * | POST   | `timestamp.key`, `snapshot.key`       | a new server key (rotation)                   |
 * | DELETE | ``                                    | forget the GUN                                |
 *
 * Errors are notary's `{"errors":[{code,message,detail}]}` (errors.ts).
 *
 * Server keys: `notary init` GETs `timestamp.key` before it publishes the
 * first root, so a GET must be able to create it — but a GET any anonymous
 * caller could make must not grow the store (4,000 GUNs in 6 s did). So a GET
 * creates the key only when the caller may push to the GUN's repository
 * (`mayWrite`, as notary-server requires push and pull for GetKey); anyone
 * else gets the existing key, or 404 METADATA_NOT_FOUND when there is none.
 */
import { parseRootMetadata, parseTimestampMetadata, publicKeyJson, type RepositoryFiles, type SigningKey } from '../../trust/tuf/index.js';
import type { NotaryService, TufRequest, TufResponse } from '../services.js';
import { errorResponse, NotaryServerError } from './errors.js';
import type { ServerKeys, ServerRole } from './keys.js';
import { parseMultipart } from './multipart.js';
import { readRepositoryFiles } from './repository.js';
import { VersionConflictError, type StoredFile, type TufMetadataStore } from './store.js';
import { signTimestamp, validateUpdate } from './validate.js';

const ROLE = String.raw`root|snapshot|timestamp|targets(?:/[^/\s]+)*`;
const LATEST = new RegExp(`^(${ROLE})\\.json$`);
const BY_VERSION = new RegExp(`^([1-9]*[0-9]+)\\.(${ROLE})\\.json$`);
const BY_CHECKSUM = new RegExp(`^(${ROLE})\\.([a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})\\.json$`);
const KEY = /^(snapshot|timestamp)\.key$/;
const GUN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

const JSON_TYPE = 'application/json; charset=utf-8';

export interface NotaryServiceOptions {
  readonly store: TufMetadataStore;
  readonly keys: ServerKeys;
  readonly now?: () => Date;
}

export class TufNotaryService implements NotaryService {
  private readonly store: TufMetadataStore;
  private readonly keys: ServerKeys;
  private readonly now: () => Date;
  /** Told after a GUN's metadata changed (a publish, a DELETE): the signature check forgets its answers. */
  onPublished?: (gun: string) => void;

  constructor(options: NotaryServiceOptions) {
    this.store = options.store;
    this.keys = options.keys;
    this.now = options.now ?? (() => new Date());
  }

  /** A GUN's current metadata as a client would fetch it (timestamp re-signed when expired), for server-side verification; undefined when the GUN has none. */
  async repositoryFiles(gun: string): Promise<(RepositoryFiles & { readonly trustedRoot: Uint8Array }) | undefined> {
    // When it cannot be re-signed (no held timestamp key), the stored one: verification then says what is wrong with it.
    const timestamp = () => this.currentTimestamp(gun).catch(() => this.store.latest(gun, 'timestamp'));
    return readRepositoryFiles(this.store, gun, timestamp);
  }

  async handle(request: TufRequest): Promise<TufResponse> {
    try {
      if (!GUN.test(request.gun) || request.gun.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new NotaryServerError('INVALID_GUN');
      return await this.route(request);
    } catch (error) {
      if (error instanceof NotaryServerError) return errorResponse(error.code, error.detail);
      if (error instanceof VersionConflictError) return errorResponse('VERSION', { role: error.role, version: error.version });
      throw error;
    }
  }

  private async route(req: TufRequest): Promise<TufResponse> {
    const { gun, path } = req;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (path === '' && method === 'POST') return this.update(req);
    if (path === '' && method === 'DELETE') {
      await this.store.deleteGun(gun);
      this.onPublished?.(gun);
      return { status: 200, contentType: JSON_TYPE, body: '' };
    }
    const key = KEY.exec(path);
    if (key && (method === 'GET' || method === 'POST')) {
      const role = key[1] as ServerRole;
      const signing = method === 'GET' ? await this.readKey(req, role) : await this.keys.create(gun, role);
      return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(publicKeyJson(signing.public)) };
    }
    if (method !== 'GET') throw new NotaryServerError('GENERIC_NOT_FOUND');
    let file: StoredFile | undefined;
    let m: RegExpExecArray | null;
    if ((m = BY_CHECKSUM.exec(path))) file = await this.store.byChecksum(gun, m[1] as string, (m[2] as string).toLowerCase());
    else if ((m = BY_VERSION.exec(path))) file = await this.store.byVersion(gun, m[2] as string, Number(m[1]));
    else if ((m = LATEST.exec(path))) file = m[1] === 'timestamp' ? await this.currentTimestamp(gun) : await this.store.latest(gun, m[1] as string);
    else throw new NotaryServerError('GENERIC_NOT_FOUND');
    if (!file) throw new NotaryServerError('METADATA_NOT_FOUND');
    return { status: 200, contentType: JSON_TYPE, body: file.data };
  }

  /** The newest server key; created only for a caller who may write (see the header). */
  private async readKey(req: TufRequest, role: ServerRole): Promise<SigningKey> {
    const existing = await this.keys.existing(req.gun, role);
    if (existing) return existing;
    if (!(await req.mayWrite?.())) throw new NotaryServerError('METADATA_NOT_FOUND');
    return this.keys.current(req.gun, role);
  }

  private async update(req: TufRequest): Promise<TufResponse> {
    const files = await parseMultipart(req.contentType, req.body ?? Buffer.alloc(0));
    for (const f of files) {
      try {
        JSON.parse(f.data.toString('utf8'));
      } catch {
        throw new NotaryServerError('MALFORMED_JSON');
      }
    }
    const updates = await validateUpdate(files, { gun: req.gun, store: this.store, keys: this.keys, now: this.now() });
    await this.store.put(req.gun, updates);
    this.onPublished?.(req.gun);
    return { status: 200, contentType: JSON_TYPE, body: '' };
  }

  /** The newest timestamp, re-signed (version + 1) once it has expired, as notary-server's GetOrCreateTimestamp. */
  async currentTimestamp(gun: string): Promise<StoredFile | undefined> {
    const latest = await this.store.latest(gun, 'timestamp');
    if (!latest) return undefined;
    const now = this.now();
    if (parseTimestampMetadata(latest.data).signed.expires.getTime() > now.getTime()) return latest;
    const [root, snapshot] = [await this.store.latest(gun, 'root'), await this.store.latest(gun, 'snapshot')];
    if (!root || !snapshot) return latest;
    const update = await signTimestamp({ gun, store: this.store, keys: this.keys, now }, parseRootMetadata(root.data), snapshot.data);
    try {
      await this.store.put(gun, [update]);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error; // another request re-signed first
    }
    return this.store.latest(gun, 'timestamp');
  }
}
