/**
 * Publishing a tag to Notary v1 as `docker trust sign` does, without a
 * Docker daemon: the GUN's root is our root key (as a self-signed
 * certificate for the GUN), its targets role our repository key, snapshot
 * and timestamp the server's (fetched from `…/snapshot.key` and
 * `…/timestamp.key`, so the server signs both, as `notary init` with
 * `--server-managed snapshot` and docker arrange it).
 *
 * - A GUN the server does not know is initialised: root.json v1 and
 *   targets.json v1 holding the tag, in one multipart POST. The root
 *   passphrase is asked only then.
 * - A GUN it knows is read and verified first, with the trust cache's pinned
 *   root and versions (as the reading client does, engine/notary/client.ts);
 *   without a pin, its root must be ours — a GUN initialised with another
 *   root is refused, never overwritten — and its targets role our key. The
 *   tag is set in the verified targets.json (version + 1, re-signed) and only
 *   targets is posted. A tag already pointing at this digest and size is
 *   left as is (notary does not bump an unchanged targets either).
 * - After the POST the GUN is fetched and verified again, the tag must read
 *   back as published, and the root (ours, or the one pinned) and versions
 *   are saved in the trust cache, so later reads and signs are pinned.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { HttpFetcher } from '../../http/index.js';
import {
  bareSigningKey,
  buildInitialRoot,
  canonicalKeyId,
  emptyTargets,
  keyIdOf,
  parseJson,
  parseKey,
  parseRootMetadata,
  rootCertificateKey,
  setTarget,
  targetFileMeta,
  verifyRepository,
  type TufKey,
  type VerifiedRepository,
} from '../../trust/tuf/index.js';
import { TrustCache, checkGun, type TrustCacheOptions, type TrustState } from './cache.js';
import { NotaryAuth, type CredentialLookup } from './auth.js';
import { DEFAULT_LIMITS, MetadataFetcher } from './fetch.js';
import { NotaryPublishError } from './publish-errors.js';
import { postMetadata, type PostTls } from './publish-http.js';

/** notary's `MaxKeySize` for a server key answer. */
const MAX_KEY_BYTES = 256 * 1024;

export interface PublishTagOptions extends TrustCacheOptions {
  readonly server: URL;
  readonly gun: string;
  readonly tag: string;
  /** `sha256:<hex>` of the manifest. */
  readonly digest: string;
  /** The manifest's size in bytes. */
  readonly size: number;
  /** The repository key's private half: it signs targets. */
  readonly repositoryKey: KeyObject;
  /** The root key's public half: recognises a GUN that is ours. */
  readonly rootPublicKey: KeyObject;
  /** Unlocks the root key; called only when the GUN must be initialised. */
  readonly unlockRootKey: () => Promise<KeyObject>;
  readonly tls: PostTls;
  readonly now?: () => Date;
  /** Credentials for a server that asks for them (auth.ts: token scope `pull,push`). */
  readonly credentials?: CredentialLookup;
}

export interface PublishTagResult {
  readonly server: string;
  readonly gun: string;
  readonly tag: string;
  readonly digest: string;
  readonly size: number;
  /** True when this call created the GUN's root.json. */
  readonly initialized: boolean;
  /** False when the tag already pointed at this digest and size. */
  readonly changed: boolean;
  readonly targetsVersion: number;
  /** Notary's canonical ID of the root key (what `notary key list` prints). */
  readonly rootKeyId: string;
  /** The ID root.json lists for the root role: the root certificate's (what `docker trust inspect` prints as Root). */
  readonly rootCertificateKeyId: string;
  readonly targetsKeyId: string;
}

function publicKeyType(key: KeyObject): 'ecdsa' | 'rsa' | undefined {
  const type = key.asymmetricKeyType;
  return type === 'ec' ? 'ecdsa' : type === 'rsa' ? 'rsa' : undefined;
}

/** Our root key's canonical Notary ID (the ID of the bare key inside its certificate). */
function rootCanonicalId(rootPublicKey: KeyObject): string | undefined {
  const type = publicKeyType(rootPublicKey);
  return type ? keyIdOf(type, rootPublicKey.export({ format: 'der', type: 'spki' })) : undefined;
}

class Publisher {
  private readonly http: HttpFetcher;
  private readonly fetcher: MetadataFetcher;
  private readonly auth: NotaryAuth;
  private readonly cache: TrustCache;
  private readonly now: () => Date;

  constructor(private readonly options: PublishTagOptions) {
    this.http = new HttpFetcher({ tls: { rejectUnauthorized: options.tls.rejectUnauthorized, ...(options.tls.ca ? { ca: options.tls.ca } : {}) }, retries: 2 });
    this.auth = new NotaryAuth({ server: options.server, gun: options.gun, actions: ['pull', 'push'], tls: options.tls, ...(options.credentials ? { credentials: options.credentials } : {}) });
    this.fetcher = new MetadataFetcher(this.http, options.server, DEFAULT_LIMITS, this.auth);
    this.cache = new TrustCache(options);
    this.now = options.now ?? (() => new Date());
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.auth.close()]);
  }

  private async exists(): Promise<boolean> {
    const { gun } = this.options;
    const answer = await this.fetcher.getAuthorized({ url: this.fetcher.url(gun, 'root.json'), what: `trust metadata ${gun} root.json`, maxBytes: DEFAULT_LIMITS.rootBytes, accept: [200, 404] });
    return answer.status === 200;
  }

  private async verified(trusted: TrustState | undefined): Promise<VerifiedRepository> {
    const { gun } = this.options;
    const trustedVersion = trusted ? parseRootMetadata(trusted.root).signed.version : undefined;
    const files = await this.fetcher.fetchRepository(gun, trustedVersion);
    return verifyRepository(files, { gun, now: this.now(), ...(trusted ? { trustedRoot: trusted.root, previousVersions: trusted.versions } : {}) });
  }

  /** The server's public key for `role`: a bare key (no certificate, no private part) we can list in root.json. */
  private async serverKey(role: 'timestamp' | 'snapshot'): Promise<TufKey> {
    const { gun, server } = this.options;
    const url = new URL(`/v2/${gun}/_trust/tuf/${role}.key`, server);
    const { bytes } = await this.fetcher.getAuthorized({ url, what: `the Notary server's ${role} key for ${gun}`, maxBytes: MAX_KEY_BYTES });
    let key: TufKey;
    try {
      key = parseKey(parseJson(bytes, `${role}.key`), `${role}.key`);
    } catch (error) {
      throw new NotaryPublishError('SERVER_KEY_INVALID', `the Notary server ${server.host} answered a ${role} key for ${gun} that is not a usable public key: ${(error as Error).message}`, { cause: error });
    }
    if (key.certificate) throw new NotaryPublishError('SERVER_KEY_INVALID', `the Notary server ${server.host} answered a certificate as the ${role} key for ${gun}; server keys are bare keys`);
    return key;
  }

  async publish(): Promise<PublishTagResult> {
    const { gun, tag, digest, size, server } = this.options;
    checkGun(gun);
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    if (!hex) throw new NotaryPublishError('PUBLISH_REFUSED', `Notary targets are sha256 digests, not ${digest}`);
    const meta = targetFileMeta(hex, size);
    const targetsKey = bareSigningKey(this.options.repositoryKey);
    const ourRoot = rootCanonicalId(this.options.rootPublicKey);
    if (!ourRoot) {
      throw new NotaryPublishError('ROOT_KEY_UNSUPPORTED', `Notary root keys are ECDSA or RSA certificates; the store's root key is ${this.options.rootPublicKey.asymmetricKeyType ?? 'of another type'}`);
    }
    const trusted = await this.cache.load(gun);
    const now = this.now();

    let pinned: Buffer;
    let rootCertificateKeyId: string;
    let initialized = false;
    let changed = true;
    if (!(await this.exists())) {
      if (trusted) {
        throw new NotaryPublishError(
          'TRUST_DATA_MISSING',
          `the Notary server ${server.host} has no trust data for ${gun}, but a root for it was trusted before (${this.cache.gunDirectory(gun)}): refusing to initialise it anew; remove that directory if the server's data was deliberately deleted`,
        );
      }
      const rootPrivate = await this.options.unlockRootKey();
      if (rootCanonicalId(createPublicKey(rootPrivate)) !== ourRoot) throw new NotaryPublishError('PUBLISH_REFUSED', 'the unlocked root key is not the store\'s root key');
      const [timestamp, snapshot] = [await this.serverKey('timestamp'), await this.serverKey('snapshot')];
      const certificateKey = rootCertificateKey(rootPrivate, gun, now);
      rootCertificateKeyId = certificateKey.public.id;
      const root = buildInitialRoot({ root: certificateKey, targets: targetsKey.public, snapshot, timestamp }, now);
      const targets = setTarget(emptyTargets(), tag, meta, targetsKey, now);
      await postMetadata(server, gun, new Map([['root', root], ['targets', targets]]), this.options.tls, this.auth);
      pinned = root;
      initialized = true;
    } else {
      const current = await this.verified(trusted);
      const rootRole = current.root.signed.roles.get('root');
      const rootKeys = (rootRole?.keyids ?? []).map((id) => current.root.signed.keys.get(id)).filter((k): k is TufKey => k !== undefined);
      const rootIds = rootKeys.map(canonicalKeyId);
      const ours = rootKeys.find((key) => canonicalKeyId(key) === ourRoot);
      if (!ours) {
        throw new NotaryPublishError(
          'GUN_FOREIGN_ROOT',
          `${gun} on ${server.host} is already initialised with another root key (${rootIds.map((id) => id.slice(0, 12)).join(', ') || 'none'}; ours is ${ourRoot.slice(0, 12)}): refusing to publish over it`,
        );
      }
      rootCertificateKeyId = ours.id;
      const targetsRole = current.root.signed.roles.get('targets');
      if (!targetsRole?.keyids.includes(targetsKey.public.id) || targetsRole.threshold !== 1) {
        throw new NotaryPublishError(
          'TARGETS_KEY_FOREIGN',
          `the targets role of ${gun} is not signed by this repository key alone (keys ${targetsRole?.keyids.map((id) => id.slice(0, 12)).join(', ') ?? 'none'}, threshold ${targetsRole?.threshold ?? 0}; ours is ${targetsKey.public.id.slice(0, 12)})`,
        );
      }
      const existing = current.byRole.get('targets')?.get(tag);
      changed = !(existing && existing.sha256 === hex && existing.length === size);
      if (changed) {
        const targets = setTarget(current.topTargets.signedJson, tag, meta, targetsKey, now);
        await postMetadata(server, gun, new Map([['targets', targets]]), this.options.tls, this.auth);
      }
      pinned = trusted?.root ?? current.root.bytes;
    }

    const after = await this.verified({ root: pinned, versions: trusted?.versions ?? new Map() });
    const published = after.byRole.get('targets')?.get(tag);
    if (!published || published.sha256 !== hex || published.length !== size) {
      throw new NotaryPublishError('PUBLISH_NOT_VISIBLE', `after publishing, ${server.host} does not serve ${gun}:${tag} as ${digest} (${size} bytes)`);
    }
    await this.cache.save(gun, { root: after.root.bytes, versions: after.versions });
    return {
      server: server.toString(),
      gun,
      tag,
      digest,
      size,
      initialized,
      changed,
      targetsVersion: after.topTargets.signed.version,
      rootKeyId: ourRoot,
      rootCertificateKeyId,
      targetsKeyId: targetsKey.public.id,
    };
  }
}

/** Signs `tag` → `digest` in the GUN's targets on the Notary server (initialising the GUN when needed). */
export async function publishTag(options: PublishTagOptions): Promise<PublishTagResult> {
  const publisher = new Publisher(options);
  try {
    return await publisher.publish();
  } finally {
    await publisher.close();
  }
}
