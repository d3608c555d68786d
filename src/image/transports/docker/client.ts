/**
 * A client for one registry host speaking the OCI Distribution API v1.1:
 * the connection (scheme choice, `/v2/` ping, challenge, auth retry) and the
 * blob reads. Manifests, uploads, tag listing and referrers live beside it
 * (manifests.ts, upload.ts, tags.ts, referrers.ts) and go through `send`.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import { pipeline, type Readable } from 'node:stream';
import { CoreError, DigestVerifier, type Digest, type Descriptor, apiHost } from '../../../core/index.js';
import type { RegistryCredentials } from '../../auth/types.js';
import type { ManifestBlob, ProgressEvent, SystemContext } from '../../types.js';
import { Authenticator, repositoryScope } from './auth.js';
import { parseChallenges, pickChallenge } from './challenge.js';
import { errorFromResponse, RegistryError } from './errors.js';
import { errorCode, header, headerValues, HttpClient, networkError, type HttpMethod, type HttpResponse } from './http.js';
import { answeredPlainHttp, isLoopbackRegistry, loadTlsSettings, schemesFor, type TlsSettings } from './tls.js';
import { putBlob, mountBlob, type PutBlobOptions } from './upload.js';
import { catalogPages, listTags, tagPages } from './tags.js';
import { referrers, type ReferrersOptions } from './referrers.js';
import { readErrorBody } from './bodies.js';
import { deleteManifest, getManifest, headManifest, putManifest, type ManifestHead, type PutManifestResult } from './manifests.js';

// Kept importable from here: upload.ts, tags.ts and referrers.ts read bodies through the client module.
export { MAX_ERROR_BODY, readBounded, readErrorBody } from './bodies.js';
export type { ManifestHead, PutManifestResult } from './manifests.js';


export interface RegistryClientOptions {
  /** Registry as written in references: `docker.io`, `127.0.0.1:5001`. */
  registry: string;
  credentials?: RegistryCredentials;
  tlsVerify?: boolean;
  /** Idle timeout (no byte for this long fails the request). Default 60 s. */
  timeoutMs?: number;
  /** Whole-request deadline for everything but blob transfers. Default: timeoutMs. */
  deadlineMs?: number;
  retries?: number;
  retryBaseDelayMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Told what a user should know but that does not fail the request (a loopback registry answering plain HTTP). */
  onWarning?: (message: string) => void;
  /** Called before each network attempt (tests count retries with it). */
  onAttempt?: (method: HttpMethod, url: URL) => void;
  /** How long a registry found without the referrers API is asked no more (default 10 min). */
  referrersMemoryMs?: number;
}

/** How long the client remembers that a registry has no referrers API. */
export const REFERRERS_MEMORY_MS = 10 * 60_000;

export interface CreateRegistryClientOptions extends RegistryClientOptions {
  certDir?: string;
}

export interface ClientRequest {
  method: HttpMethod;
  /** A path from the registry root (`/v2/…`) or an absolute URL (upload Locations, Link headers). */
  target: string | URL;
  /** Token scopes this request needs. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  followRedirects?: boolean;
  what: string;
  /** A blob download or upload: the idle timeout applies, not the whole-request deadline (see http.ts). */
  transfer?: boolean;
}

export class RegistryClient {
  readonly registry: string;
  readonly http: HttpClient;
  readonly auth: Authenticator;
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly tlsVerify: boolean | undefined;
  private base: Promise<URL> | undefined;
  private readonly referrersMemoryMs: number;
  /** Until when referrers lookups skip the API (it answered a plain 404): the tag-schema fallback is read directly. */
  private referrersApiMissingUntil = 0;

  constructor(options: RegistryClientOptions, tls: TlsSettings) {
    this.registry = options.registry;
    this.tlsVerify = options.tlsVerify;
    this.onProgress = options.onProgress;
    this.onWarning = options.onWarning;
    this.referrersMemoryMs = options.referrersMemoryMs ?? REFERRERS_MEMORY_MS;
    const httpOptions: ConstructorParameters<typeof HttpClient>[0] = { tls };
    if (options.timeoutMs !== undefined) httpOptions.timeoutMs = options.timeoutMs;
    if (options.deadlineMs !== undefined) httpOptions.deadlineMs = options.deadlineMs;
    if (options.retries !== undefined) httpOptions.retries = options.retries;
    if (options.retryBaseDelayMs !== undefined) httpOptions.retryBaseDelayMs = options.retryBaseDelayMs;
    if (options.signal !== undefined) httpOptions.signal = options.signal;
    if (options.onAttempt !== undefined) httpOptions.onAttempt = options.onAttempt;
    this.http = new HttpClient(httpOptions);
    const authOptions: ConstructorParameters<typeof Authenticator>[0] = {
      http: this.http,
      allowInsecureRealm: options.tlsVerify === false,
      allowLoopbackHttpRealm: options.tlsVerify === undefined,
    };
    if (options.credentials) authOptions.credentials = options.credentials;
    this.auth = new Authenticator(authOptions);
  }

  /** Loads TLS settings (certDir) and builds the client. */
  static async create(options: CreateRegistryClientOptions): Promise<RegistryClient> {
    const tlsOptions: { certDir?: string; tlsVerify?: boolean } = {};
    if (options.certDir !== undefined) tlsOptions.certDir = options.certDir;
    if (options.tlsVerify !== undefined) tlsOptions.tlsVerify = options.tlsVerify;
    return new RegistryClient(options, await loadTlsSettings(tlsOptions));
  }

  /** The client for `registry` with the SystemContext's TLS, timeout and retry settings. */
  static async fromContext(registry: string, context: SystemContext, credentials?: RegistryCredentials): Promise<RegistryClient> {
    const options: CreateRegistryClientOptions = { registry };
    if (credentials) options.credentials = credentials;
    if (context.tlsVerify !== undefined) options.tlsVerify = context.tlsVerify;
    if (context.certDir !== undefined) options.certDir = context.certDir;
    if (context.timeoutMs !== undefined) options.timeoutMs = context.timeoutMs;
    if (context.retries !== undefined) options.retries = context.retries;
    if (context.signal !== undefined) options.signal = context.signal;
    if (context.onProgress !== undefined) options.onProgress = context.onProgress;
    if (context.onWarning !== undefined) options.onWarning = context.onWarning;
    return RegistryClient.create(options);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** `https://host[:port]` (or http with tlsVerify false), found by pinging `/v2/`. */
  baseUrl(): Promise<URL> {
    if (!this.base) {
      this.base = this.ping();
      this.base.catch(() => {
        this.base = undefined;
      });
    }
    return this.base;
  }

  private async ping(): Promise<URL> {
    const host = apiHost(this.registry);
    let lastError: unknown;
    for (const scheme of schemesFor(this.tlsVerify, this.registry)) {
      const base = new URL(`${scheme}://${host}`);
      let res: HttpResponse;
      try {
        res = await this.http.send({ method: 'GET', url: new URL('/v2/', base), what: `registry ${this.registry}` });
      } catch (error) {
        lastError = error;
        if (scheme === 'https' && this.tlsVerify !== false) {
          // Verifying: plain HTTP is allowed only on loopback, and only when the server answered HTTPS in HTTP.
          if (!answeredPlainHttp(error)) throw error;
          if (!isLoopbackRegistry(this.registry) || this.tlsVerify === true) {
            throw new RegistryError('TLS', `registry ${this.registry}: the server answered HTTP to an HTTPS request; use --tls-verify=false for this registry`, { cause: error });
          }
          this.onWarning?.(`registry ${this.registry} answered HTTP, not HTTPS: using plain HTTP, as for every loopback registry (--tls-verify=true refuses it)`);
        }
        continue;
      }
      const body = await readErrorBody(res);
      if (res.status === 200) {
        this.auth.setChallenge(undefined);
        return base;
      }
      if (res.status === 401) {
        const challenge = pickChallenge(parseChallenges(headerValues(res.headers, 'www-authenticate')));
        if (!challenge) throw new RegistryError('PROTOCOL', `registry ${this.registry} answered 401 without a usable WWW-Authenticate challenge`, { status: 401 });
        this.auth.setChallenge(challenge);
        return base;
      }
      if (res.status === 404) {
        throw new RegistryError('PROTOCOL', `${host} does not serve the registry API (GET /v2/ answered 404)`, { status: 404 });
      }
      throw errorFromResponse(`registry ${this.registry}`, res.status, body);
    }
    throw lastError instanceof Error ? lastError : new RegistryError('UNREACHABLE', `cannot reach registry ${this.registry}`);
  }

  /**
   * Sends a request with the Authorization the scopes need. On a 401 the
   * challenge is re-read, the token dropped and the request sent once more
   * (when its body can be replayed). The caller reads or dumps the body.
   */
  async send(req: ClientRequest): Promise<HttpResponse> {
    const base = await this.baseUrl();
    const url = typeof req.target === 'string' ? new URL(req.target, base) : req.target;
    const sameOrigin = url.origin === base.origin;
    const replayable = req.body === undefined || typeof req.body === 'string' || Buffer.isBuffer(req.body);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      const authorization = sameOrigin ? await this.auth.authorization(req.scopes) : undefined;
      if (authorization) headers.authorization = authorization;
      const sendReq: Parameters<HttpClient['send']>[0] = { method: req.method, url, headers, what: req.what };
      if (req.body !== undefined) sendReq.body = req.body;
      if (req.followRedirects) sendReq.followRedirects = true;
      if (req.transfer) sendReq.transfer = true;
      const res = await this.http.send(sendReq);
      if (res.status !== 401 || attempt > 0 || !replayable || !sameOrigin) return res;
      const challenge = pickChallenge(parseChallenges(headerValues(res.headers, 'www-authenticate')));
      // Basic with the same credentials will fail again; only a (new) bearer challenge is worth a retry.
      if (!challenge || challenge.scheme !== 'bearer') return res;
      await res.body.dump().catch(() => undefined);
      this.auth.setChallenge(challenge);
      this.auth.invalidate(req.scopes);
    }
  }

  /**
   * Checks that the client's credentials are accepted: `/v2/` with Basic, or
   * a token from the realm for no scope, then `/v2/` with it (what `docker
   * login` does). Throws UNAUTHORIZED when they are not.
   */
  async checkLogin(): Promise<void> {
    const res = await this.send({ method: 'GET', target: '/v2/', scopes: [], what: `login to ${this.registry}` });
    const body = await readErrorBody(res);
    if (res.status !== 200) throw errorFromResponse(`login to ${this.registry}`, res.status, body);
  }

  // ---- manifests (manifests.ts) ----

  getManifest(repository: string, reference: string): Promise<ManifestBlob> {
    return getManifest(this, repository, reference);
  }

  /** HEAD of a manifest: undefined when it does not exist. */
  headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    return headManifest(this, repository, reference);
  }

  /**
   * PUT a manifest by tag or digest. When it has a `subject` and the registry
   * does not answer `OCI-Subject`, the referrers tag-schema index is updated
   * (spec: "Pushing Manifests with Subject").
   */
  putManifest(repository: string, reference: string, manifest: { bytes: Buffer; mediaType: string }): Promise<PutManifestResult> {
    return putManifest(this, repository, reference, manifest);
  }

  deleteManifest(repository: string, digest: Digest): Promise<void> {
    return deleteManifest(this, repository, digest);
  }

  // ---- blobs ----

  /** The blob's bytes, verified against the descriptor's digest and size while they stream. */
  async getBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const what = `blob ${this.registry}/${repository}@${descriptor.digest}`;
    const res = await this.send({
      method: 'GET',
      target: `/v2/${repository}/blobs/${descriptor.digest}`,
      scopes: [repositoryScope(repository, ['pull'])],
      followRedirects: true,
      transfer: true,
      what,
    });
    if (res.status !== 200) throw errorFromResponse(what, res.status, await readErrorBody(res));
    const verifier = new DigestVerifier(descriptor.digest, { size: descriptor.size, what });
    const body = res.body;
    const onProgress = this.onProgress;
    if (onProgress) {
      let transferred = 0;
      body.on('data', (chunk: Buffer) => {
        transferred += chunk.length;
        onProgress({ id: descriptor.digest, transferred, total: descriptor.size });
      });
    }
    body.on('error', (error) => {
      const code = errorCode(error);
      // The connection dropped mid-body: the blob is short, whatever the socket says.
      const cut = ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'].includes(code);
      verifier.destroy(
        cut
          ? new CoreError('TRUNCATED', `${what} is truncated: the connection ended after ${verifier.bytesSeen} of ${descriptor.size} bytes (${code})`, { cause: error })
          : networkError(error, what, res.url, res.idleTimeoutMs),
      );
    });
    // pipeline (not pipe): both ends keep an error listener and are destroyed together, so a
    // verification error after the consumer stopped reading is never an uncaught exception.
    pipeline(body, verifier, () => undefined);
    return verifier;
  }

  /** HEAD of a blob: its size, or undefined when the repository does not have it. */
  async headBlob(repository: string, digest: Digest): Promise<{ size: number } | undefined> {
    const what = `blob ${this.registry}/${repository}@${digest}`;
    const res = await this.send({
      method: 'HEAD',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, ['pull'])],
      followRedirects: true,
      what,
    });
    await res.body.dump().catch(() => undefined);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw errorFromResponse(what, res.status, undefined);
    const size = Number(header(res.headers, 'content-length'));
    return { size: Number.isSafeInteger(size) ? size : -1 };
  }

  putBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, content: Readable | Buffer, options: PutBlobOptions = {}): Promise<void> {
    return putBlob(this, repository, descriptor, content, options);
  }

  /** Cross-repository mount; true when the registry mounted it (201), false when it did not. */
  mountBlob(repository: string, digest: Digest, fromRepository: string): Promise<boolean> {
    return mountBlob(this, repository, digest, fromRepository);
  }

  // ---- listing ----

  listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    return listTags(this, repository, options);
  }

  tagPages(repository: string, options: { pageSize?: number } = {}): AsyncGenerator<string[]> {
    return tagPages(this, repository, options);
  }

  /** Repository names, page by page (`GET /v2/_catalog?n=`). */
  catalogPages(options: { pageSize?: number } = {}): AsyncGenerator<string[]> {
    return catalogPages(this, options);
  }

  referrers(repository: string, digest: Digest, options: ReferrersOptions = {}): Promise<Descriptor[]> {
    return referrers(this, repository, digest, options);
  }

  /** Whether this registry was found without the referrers API recently (lookups then read the fallback tag only). */
  get referrersApiMissing(): boolean {
    return Date.now() < this.referrersApiMissingUntil;
  }

  /** Records what a referrers request showed: the API is there (`true`) or the registry does not route it (`false`). */
  noteReferrersApi(present: boolean): void {
    this.referrersApiMissingUntil = present ? 0 : Date.now() + this.referrersMemoryMs;
  }
}

