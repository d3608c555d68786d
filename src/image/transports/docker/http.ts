/**
 * HTTP for the registry client, on one undici Agent per client: retries with
 * backoff on 429, 5xx and reset connections (only when the request body can
 * be sent again), timeouts, and redirects followed by hand so that the
 * Authorization header is dropped when a redirect leaves the origin (blob
 * GETs are commonly redirected to object storage with a signed URL, which
 * must never see our registry credentials).
 *
 * Two timeouts, because an idle timeout alone lets a registry that trickles
 * one byte a second keep a 4 MiB manifest request open for days: every
 * request is bounded by an idle timeout (no byte for `timeoutMs`: headers
 * and between body chunks), and every request that is not a blob transfer
 * (manifests, tokens, pings, tag and referrer lists, error bodies) by a
 * whole-request deadline (`deadlineMs`, from sending to the last body byte).
 * Blob downloads and uploads (`transfer: true`) have no deadline: a large
 * layer on a slow link is fine as long as bytes keep coming. The deadline
 * itself is the shared `Deadline` of `http/` (the downloaders' fetcher).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { PortcullisError } from '../../../core/errors.js';
import { Deadline, formatSeconds } from '../../../http/index.js';

export { formatSeconds };
import { RegistryError, redactUrl } from './errors.js';
import { isTlsError, type TlsSettings } from './tls.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer or string is replayable (retries allowed); a stream is sent once. */
  body?: Buffer | string | Readable;
  /** Follow 301/302/303/307/308 (GET and HEAD only). */
  followRedirects?: boolean;
  /** Names the request in error messages: "manifest example/app:latest". */
  what: string;
  /**
   * A blob download or upload: bounded by the idle timeout only, never by the
   * whole-request deadline (a big layer may take long while bytes flow).
   */
  transfer?: boolean;
}

export type ResponseBody = Dispatcher.ResponseData['body'];

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: URL;
  body: ResponseBody;
  /** The idle timeout the body is read under (for messages when it fires). */
  idleTimeoutMs?: number;
}

export interface HttpClientOptions {
  tls: TlsSettings;
  /** Idle timeout per request: for the headers and between body chunks. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Whole-request deadline for everything but blob transfers: sending,
   * headers and the complete body. Default: the idle timeout.
   */
  deadlineMs?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff delay; doubles per retry. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Upper bound for one backoff (also caps Retry-After). Default 30 s. */
  retryMaxDelayMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Test hook and diagnostics: called before every attempt that hits the network. */
  onAttempt?: (method: HttpMethod, url: URL) => void;
}

/** The default of both timeouts (`--timeout`): a registry answers a manifest or a token in well under a second. */
export const DEFAULT_TIMEOUT_MS = 60_000;

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRY_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class HttpClient {
  readonly dispatcher: Agent;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly retries: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly maxRedirects: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onAttempt: HttpClientOptions['onAttempt'];
  private readonly verifyTls: boolean;

  constructor(options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadlineMs = options.deadlineMs ?? this.timeoutMs;
    this.retries = options.retries ?? 3;
    this.baseDelay = options.retryBaseDelayMs ?? 500;
    this.maxDelay = options.retryMaxDelayMs ?? 30_000;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.signal = options.signal;
    this.onAttempt = options.onAttempt;
    this.verifyTls = options.tls.rejectUnauthorized;
    const connect: { rejectUnauthorized: boolean; ca?: string[]; cert?: Buffer; key?: Buffer; timeout: number } = {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      timeout: this.timeoutMs,
    };
    if (options.tls.ca) connect.ca = options.tls.ca;
    if (options.tls.cert && options.tls.key) {
      connect.cert = options.tls.cert;
      connect.key = options.tls.key;
    }
    this.dispatcher = new Agent({ connect, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
  }

  /** Sends the request, retrying and following redirects as configured. The caller owns the body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...(req.headers ?? {}) };
    const originalOrigin = req.url.origin;
    for (let redirects = 0; ; redirects++) {
      const res = await this.sendWithRetries({ ...req, url, headers });
      const location = header(res.headers, 'location');
      const isRedirect = [301, 302, 303, 307, 308].includes(res.status) && location !== undefined;
      if (!isRedirect || !req.followRedirects || (req.method !== 'GET' && req.method !== 'HEAD')) return res;
      await res.body.dump().catch(() => undefined);
      if (redirects >= this.maxRedirects) {
        throw new RegistryError('PROTOCOL', `${req.what}: more than ${this.maxRedirects} redirects`, { status: res.status });
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (error) {
        throw new RegistryError('PROTOCOL', `${req.what}: invalid redirect Location`, { cause: error });
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new RegistryError('PROTOCOL', `${req.what}: redirect to unsupported scheme ${next.protocol}`);
      }
      if (url.protocol === 'https:' && next.protocol === 'http:' && this.verifyTls) {
        throw new RegistryError('PROTOCOL', `${req.what}: refusing redirect from https to ${redactUrl(next)}`);
      }
      if (next.origin !== originalOrigin) {
        // Never forward registry credentials to another host (or port, or scheme).
        headers = withoutHeader(headers, 'authorization');
      }
      url = next;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async sendWithRetries(req: HttpRequest): Promise<HttpResponse> {
    const replayable = !(req.body instanceof Readable);
    for (let attempt = 0; ; attempt++) {
      const canRetry = replayable && attempt < this.retries;
      const deadline = req.transfer
        ? undefined
        : new Deadline(this.deadlineMs, () => new RegistryError('TIMEOUT', `${req.what}: no complete answer from ${redactUrl(req.url)} within the ${formatSeconds(this.deadlineMs)} timeout`), this.signal);
      let res: Dispatcher.ResponseData;
      try {
        this.signal?.throwIfAborted();
        this.onAttempt?.(req.method, req.url);
        const signal = deadline?.signal ?? this.signal ?? null;
        res = await request(req.url, {
          dispatcher: this.dispatcher,
          method: req.method,
          headers: req.headers ?? {},
          body: req.body ?? null,
          signal,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
      } catch (error) {
        deadline?.clear();
        if (deadline?.error) throw deadline.error;
        if (canRetry && RETRY_NETWORK_CODES.has(errorCode(error))) {
          await this.backoff(attempt, undefined);
          continue;
        }
        throw networkError(error, req.what, req.url, this.timeoutMs);
      }
      // The deadline runs on until the caller has read (or dropped) the body.
      deadline?.watch(res.body);
      if (canRetry && RETRY_STATUSES.has(res.statusCode)) {
        const retryAfter = header(res.headers, 'retry-after');
        await res.body.dump().catch(() => undefined);
        deadline?.clear();
        await this.backoff(attempt, retryAfter);
        continue;
      }
      return { status: res.statusCode, headers: res.headers, url: req.url, body: res.body, idleTimeoutMs: this.timeoutMs };
    }
  }

  private async backoff(attempt: number, retryAfter: string | undefined): Promise<void> {
    let delay = Math.min(this.baseDelay * 2 ** attempt, this.maxDelay);
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds) && seconds >= 0) delay = Math.min(seconds * 1000, this.maxDelay);
      else {
        const when = Date.parse(retryAfter);
        if (Number.isFinite(when)) delay = Math.min(Math.max(0, when - Date.now()), this.maxDelay);
      }
    } else {
      delay = delay / 2 + Math.random() * (delay / 2);
    }
    await sleep(delay, undefined, this.signal ? { signal: this.signal } : undefined);
  }
}

/** One header's value; repeated headers are joined with ", ". */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** All values of a header, unsplit (for WWW-Authenticate and Link). */
export function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() !== name) out[key] = value;
  return out;
}

export function errorCode(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = errorCode(error.errors[0]);
    if (inner) return inner;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}


/**
 * Maps a low-level failure (socket, TLS, timeout) to a RegistryError;
 * PortcullisErrors pass through. `idleMs`, when known, is named in an idle
 * timeout's message.
 */
export function networkError(error: unknown, what: string, url: URL, idleMs?: number): Error {
  // Registry errors and digest/size errors from a verifying stream keep their own code.
  if (error instanceof PortcullisError) return error;
  const code = errorCode(error);
  const where = redactUrl(url);
  const reason = error instanceof Error ? error.message : String(error);
  if (isTlsError(error) || (error instanceof AggregateError && error.errors.some(isTlsError))) {
    return new RegistryError('TLS', `${what}: TLS failure talking to ${where}: ${reason}`, { cause: error });
  }
  if (TIMEOUT_CODES.has(code)) {
    const idle = idleMs !== undefined ? formatSeconds(idleMs) : 'longer than the idle timeout';
    const phase = code === 'UND_ERR_BODY_TIMEOUT' ? 'stopped sending data' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'sent no answer' : 'did not accept the connection';
    return new RegistryError('TIMEOUT', `${what}: ${where} ${phase} for ${idle} (${code})`, { cause: error });
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new RegistryError('UNREACHABLE', `${what}: cannot reach ${where}: ${code}`, { cause: error });
  }
  if ((error as { name?: unknown } | null)?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return error instanceof Error ? error : new Error(String(error));
  }
  return new RegistryError('PROTOCOL', `${what}: request to ${where} failed: ${reason}`, { cause: error });
}
