/**
 * A Notary v1 client: fetch a GUN's metadata from a notary server, verify it
 * against the root trusted on first use (kept in the trust cache with the
 * versions seen, so a later rollback fails), and answer "which digest did the
 * publishers sign for this tag?" — what `docker pull` with
 * DOCKER_CONTENT_TRUST=1 asks before pulling by digest.
 */
import { readRegularFile } from '../../core/index.js';
import { HttpFetcher, type ProxyEnv } from '../../http/index.js';
import { parseRootMetadata, verifyRepository, type VerifiedRepository } from '../../trust/tuf/index.js';
import { rootCertificates } from 'node:tls';
import { TrustCache, checkGun, type TrustCacheOptions } from './cache.js';
import { NotaryAuth, type CredentialLookup } from './auth.js';
import { NotaryError } from './errors.js';
import { DEFAULT_LIMITS, MetadataFetcher, type FetchLimits } from './fetch.js';

export interface NotaryClientOptions extends TrustCacheOptions {
  /** `https://notary.example:4443` */
  readonly server: string | URL;
  /** A PEM CA bundle added to the system roots. */
  readonly caFile?: string;
  /** The CA certificates to trust, in full (PEM; the registry's `--cert-dir` bundle); wins over caFile. */
  readonly ca?: readonly string[];
  /** false: do not verify the server certificate (tests only). */
  readonly tlsVerify?: boolean;
  readonly limits?: Partial<FetchLimits>;
  /** The clock expiry is checked against (default: now). */
  readonly now?: () => Date;
  /** Idle timeout per request (no byte for this long); default the fetcher's. */
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Where HTTPS_PROXY and NO_PROXY are read (default process.env). */
  readonly env?: ProxyEnv;
  /** Credentials for a server that asks for them (auth.ts), looked up only then. */
  readonly credentials?: CredentialLookup;
}

export interface SignedTargetDigest {
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
  /** The role that signed it (`targets/releases` or `targets`). */
  readonly role: string;
}

export class NotaryClient {
  private constructor(
    private readonly http: HttpFetcher,
    private readonly fetcherFor: (auth: NotaryAuth) => MetadataFetcher,
    private readonly authFor: (gun: string) => NotaryAuth,
    readonly cache: TrustCache,
    private readonly now: () => Date,
  ) {}

  static async open(options: NotaryClientOptions): Promise<NotaryClient> {
    const ca = options.ca ? [...options.ca] : options.caFile ? [...rootCertificates, (await readRegularFile(options.caFile, { what: `the CA file ${options.caFile}`, maxBytes: 1024 * 1024 })).toString('utf8')] : undefined;
    const http = new HttpFetcher({
      tls: { rejectUnauthorized: options.tlsVerify !== false, ...(ca ? { ca } : {}) },
      ...(options.timeoutMs !== undefined ? { idleTimeoutMs: options.timeoutMs } : {}),
      retries: options.retries ?? 2,
      ...(options.env ? { env: options.env } : {}),
    });
    const server = new URL(String(options.server));
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const tls = { rejectUnauthorized: options.tlsVerify !== false, ...(ca ? { ca } : {}) };
    const authFor = (gun: string) =>
      new NotaryAuth({ server, gun, actions: ['pull'], tls, ...(options.credentials ? { credentials: options.credentials } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
    return new NotaryClient(http, (auth) => new MetadataFetcher(http, server, limits, auth), authFor, new TrustCache(options), options.now ?? (() => new Date()));
  }

  /** Fetches and verifies `gun`; on success the trusted root and versions are saved. */
  async update(gun: string): Promise<VerifiedRepository> {
    checkGun(gun);
    const state = await this.cache.load(gun);
    const trustedVersion = state ? parseRootMetadata(state.root).signed.version : undefined;
    const auth = this.authFor(gun);
    let files;
    try {
      files = await this.fetcherFor(auth).fetchRepository(gun, trustedVersion);
    } finally {
      await auth.close();
    }
    const verified = verifyRepository(files, {
      gun,
      now: this.now(),
      ...(state ? { trustedRoot: state.root, previousVersions: state.versions } : {}),
    });
    await this.cache.save(gun, { root: verified.root.bytes, versions: verified.versions });
    return verified;
  }

  /** The digest, size and signing role of `tag` in `gun`, or TARGET_NOT_SIGNED. */
  async lookupSignedTarget(gun: string, tag: string): Promise<SignedTargetDigest> {
    const repo = await this.update(gun);
    const target = repo.targets.get(tag);
    if (!target?.sha256) throw new NotaryError('TARGET_NOT_SIGNED', `no trust data for ${gun}:${tag}`);
    return { digest: `sha256:${target.sha256}`, size: target.length, role: target.role };
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** One-shot lookup: opens a client, asks, closes. */
export async function lookupSignedTarget(gun: string, tag: string, options: NotaryClientOptions): Promise<SignedTargetDigest> {
  const client = await NotaryClient.open(options);
  try {
    return await client.lookupSignedTarget(gun, tag);
  } finally {
    await client.close();
  }
}
