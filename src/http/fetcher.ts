/**
 * The one HTTP fetcher for everything portcullis downloads that is not a
 * registry blob or manifest: advisory feeds (`vuln/db`), end-of-life dates
 * (`hygiene/eol.ts`), Notary metadata (`engine/notary`), and the feeds to come
 * (KEV, EPSS). Every GET it makes is bounded four ways:
 *
 * - a size cap per response (`maxBytes`, required): a Content-Length over it
 *   fails before reading, and the body stream fails at the first byte past
 *   it, so an endless body costs `maxBytes` and no more;
 * - an idle timeout (no byte for `idleTimeoutMs`: connecting, headers, and
 *   between body chunks), undici's own;
 * - a whole-request deadline (`deadlineMs`, per fetcher or per request) from
 *   the first attempt to the last body byte, retries and their pauses
 *   included: a server that trickles a byte a second cannot hold a request
 *   open for ever, and "done or failed within N" is what a caller can plan on;
 * - retries: 429, 500, 502, 503 and 504 answers and reset connections are
 *   tried again `retries` times, after exponential backoff with jitter, or
 *   after exactly the Retry-After the server asks for (a Retry-After longer
 *   than `retryMaxDelayMs` or than the deadline leaves fails at once, with
 *   the wait it asked for in the message). A refused connection or an
 *   unknown host is not retried: offline, the first request fails at once
 *   with its cause.
 *
 * Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (`proxy.ts`: curl's
 * and Go's rules). Redirects are followed for GET (at most `maxRedirects`,
 * never from https to http), and credentials (Authorization, Cookie and the
 * request's `credentialHeaders`) are dropped when a redirect leaves the
 * origin. Errors are HttpError with the network vocabulary's codes and the
 * system's own cause (ECONNREFUSED, ENOTFOUND, the TLS reason) in the message.
 *
 * Built on undici's `request` (the client the registry transport uses too,
 * with which it shares `Deadline`), not `fetch`: `request` hands back a Node
 * stream with back-pressure and gives per-request idle timeouts. The options,
 * requests and answers it takes and gives are in types.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { backoffMs, retryAfterMs } from './backoff.js';
import { Deadline, formatSeconds } from './deadline.js';
import {
  HttpError,
  RETRY_CODES,
  TIMEOUT_CODES,
  UNREACHABLE_CODES,
  codeForStatus,
  describeStatus,
  describeUrl,
  errorCode,
  isTlsCode,
} from './errors.js';
import { describeProxy, proxyFor, type ProxyEnv } from './proxy.js';
import { FETCHER_DEFAULTS, type FetchResponse, type FetchedBytes, type FetcherOptions, type GetRequest } from './types.js';

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** One header's value; repeated headers are joined with ", ". */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

interface Route {
  readonly dispatcher: Dispatcher;
  readonly proxy: URL | undefined;
  readonly variable?: string;
}

/** What one exchange needs to name itself in errors. */
interface Exchange {
  readonly req: GetRequest;
  url: URL;
  route: Route;
  readonly deadline: Deadline;
}

export class HttpFetcher {
  private readonly direct: Agent;
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly env: ProxyEnv;
  private readonly idleMs: number;
  private readonly deadlineMs: number;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRedirects: number;
  private readonly signal: AbortSignal | undefined;
  private readonly userAgent: string;
  private readonly tls: { rejectUnauthorized: boolean; ca?: string[] };

  constructor(options: FetcherOptions = {}) {
    this.idleMs = options.idleTimeoutMs ?? FETCHER_DEFAULTS.idleTimeoutMs;
    this.deadlineMs = options.deadlineMs ?? FETCHER_DEFAULTS.deadlineMs;
    this.retries = options.retries ?? FETCHER_DEFAULTS.retries;
    this.baseDelayMs = options.retryBaseDelayMs ?? FETCHER_DEFAULTS.retryBaseDelayMs;
    this.maxDelayMs = options.retryMaxDelayMs ?? FETCHER_DEFAULTS.retryMaxDelayMs;
    this.maxRedirects = options.maxRedirects ?? FETCHER_DEFAULTS.maxRedirects;
    this.signal = options.signal;
    this.userAgent = options.userAgent ?? 'portcullis';
    this.env = { ...(options.env ?? process.env) };
    this.tls = { rejectUnauthorized: options.tls?.rejectUnauthorized !== false, ...(options.tls?.ca ? { ca: [...options.tls.ca] } : {}) };
    this.direct = new Agent({ connect: { ...this.tls, timeout: this.idleMs }, headersTimeout: this.idleMs, bodyTimeout: this.idleMs });
  }

  /**
   * GET with the caps, deadline, retries, redirects and proxy above. The
   * answer's status is one of `accept`; its body must be read or discarded.
   */
  async get(req: GetRequest): Promise<FetchResponse> {
    const ex = this.start(req);
    try {
      const res = await this.exchange(ex);
      ex.deadline.watch(res.body);
      // Errors reach the reader through `body`; this keeps a discarded body's abort from being unhandled.
      res.body.on('error', () => undefined);
      const body = Readable.from(this.capped(res.body, ex), { objectMode: false });
      const length = contentLength(res.headers);
      const read = async (): Promise<Buffer> => {
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      };
      return {
        status: res.statusCode,
        url: ex.url,
        headers: res.headers,
        length,
        body,
        header: (name) => headerOf(res.headers, name),
        bytes: read,
        text: async () => (await read()).toString('utf8'),
        discard: () => {
          body.destroy();
          res.body.destroy();
        },
      };
    } catch (error) {
      ex.deadline.clear();
      throw error;
    }
  }

  /**
   * GET the whole body into memory (under `maxBytes`). A connection reset
   * while the body arrives is retried like one before the headers.
   */
  async getBytes(req: GetRequest): Promise<FetchedBytes> {
    const ex = this.start(req);
    try {
      for (let attempt = 0; ; attempt++) {
        const res = await this.exchange(ex);
        ex.deadline.bind(res.body);
        try {
          const chunks: Buffer[] = [];
          for await (const chunk of this.capped(res.body, ex)) chunks.push(chunk);
          return { status: res.statusCode, url: ex.url, headers: res.headers, bytes: Buffer.concat(chunks), header: (name) => headerOf(res.headers, name) };
        } catch (error) {
          const cause = error instanceof HttpError ? error.cause : error;
          if (attempt < this.retries && !ex.deadline.error && RETRY_CODES.has(errorCode(cause))) {
            await this.pause(backoffMs(attempt, this.baseDelayMs, this.maxDelayMs), ex);
            ex.url = new URL(req.url);
            continue;
          }
          throw error;
        }
      }
    } finally {
      ex.deadline.clear();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxies.values()].map((p) => p.close())]);
  }

  private start(req: GetRequest): Exchange {
    const url = new URL(req.url);
    const route = this.route(url);
    const ms = req.deadlineMs ?? this.deadlineMs;
    const deadline = new Deadline(
      ms,
      () => new HttpError('TIMEOUT', `${req.what}: no complete answer from ${describeUrl(url)} within ${formatSeconds(ms)}`),
      this.signal,
    );
    return { req, url, route, deadline };
  }

  private route(url: URL): Route {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpError('PROTOCOL', `${describeUrl(url)}: only http and https URLs can be fetched`);
    const { proxy, variable } = proxyFor(url, this.env);
    if (!proxy) return { dispatcher: this.direct, proxy: undefined };
    let agent = this.proxies.get(proxy.href);
    if (!agent) {
      agent = new ProxyAgent({
        uri: proxy.href,
        // http URLs as absolute-form requests to the proxy, https ones through CONNECT: what curl and Go do.
        proxyTunnel: false,
        requestTls: { ...this.tls, timeout: this.idleMs },
        proxyTls: { timeout: this.idleMs },
        headersTimeout: this.idleMs,
        bodyTimeout: this.idleMs,
      });
      this.proxies.set(proxy.href, agent);
    }
    return { dispatcher: agent, proxy, ...(variable ? { variable } : {}) };
  }

  /** Attempts, retries and redirects up to an answer the caller accepts. */
  private async exchange(ex: Exchange): Promise<Dispatcher.ResponseData> {
    const { req } = ex;
    const accept = req.accept ?? [200];
    const origin = ex.url.origin;
    let headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    for (let redirects = 0; ; redirects++) {
      const res = await this.attempts(ex, headers);
      const location = headerOf(res.headers, 'location');
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined) {
        await res.body.dump().catch(() => undefined);
        if (redirects >= this.maxRedirects) throw new HttpError('PROTOCOL', `${req.what}: more than ${this.maxRedirects} redirects from ${describeUrl(req.url)}`, { status: res.statusCode });
        let next: URL;
        try {
          next = new URL(location, ex.url);
        } catch (error) {
          throw new HttpError('PROTOCOL', `${req.what}: ${describeUrl(ex.url)} redirects to an invalid Location`, { status: res.statusCode, cause: error });
        }
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new HttpError('PROTOCOL', `${req.what}: redirect to unsupported scheme ${next.protocol}`);
        if (ex.url.protocol === 'https:' && next.protocol === 'http:') throw new HttpError('PROTOCOL', `${req.what}: refusing the redirect from https to ${describeUrl(next)}`);
        if (next.origin !== origin) headers = withoutHeaders(headers, ['authorization', 'cookie', ...(req.credentialHeaders ?? [])]);
        ex.url = next;
        ex.route = this.route(next);
        continue;
      }
      if (!accept.includes(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        throw new HttpError(codeForStatus(res.statusCode), `${req.what}: ${describeStatus(res.statusCode)} from ${describeUrl(ex.url)}`, { status: res.statusCode });
      }
      const length = contentLength(res.headers);
      if (length !== undefined && length > req.maxBytes) {
        res.body.destroy();
        throw new HttpError('TOO_LARGE', `${req.what}: ${describeUrl(ex.url)} announces ${length} bytes, over the ${req.maxBytes}-byte limit`, { status: res.statusCode });
      }
      return res;
    }
  }

  /** One URL: attempts until an answer that is not worth retrying, or the retries are spent. */
  private async attempts(ex: Exchange, headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    const { req } = ex;
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        this.signal?.throwIfAborted();
        res = await request(ex.url, {
          dispatcher: ex.route.dispatcher,
          method: 'GET',
          headers,
          signal: ex.deadline.signal,
          headersTimeout: this.idleMs,
          bodyTimeout: this.idleMs,
        });
      } catch (error) {
        if (ex.deadline.error) throw ex.deadline.error;
        if (this.signal?.aborted) throw error;
        if (attempt < this.retries && RETRY_CODES.has(errorCode(error))) {
          await this.pause(backoffMs(attempt, this.baseDelayMs, this.maxDelayMs), ex);
          continue;
        }
        throw this.failure(error, ex);
      }
      if (!RETRY_STATUSES.has(res.statusCode)) return res;
      const status = res.statusCode;
      const asked = retryAfterMs(headerOf(res.headers, 'retry-after'));
      await res.body.dump().catch(() => undefined);
      const from = `${describeStatus(status)} from ${describeUrl(ex.url)}`;
      if (attempt >= this.retries) {
        throw new HttpError(codeForStatus(status), `${req.what}: ${from}, ${attempt + 1} attempts`, { status });
      }
      const left = ex.deadline.expiresAt - Date.now();
      if (asked !== undefined && (asked > this.maxDelayMs || asked >= left)) {
        const limit = asked > this.maxDelayMs ? `the ${formatSeconds(this.maxDelayMs)} we wait at most` : `the ${formatSeconds(Math.max(0, left))} left before the deadline`;
        throw new HttpError(codeForStatus(status), `${req.what}: ${from} asks to retry after ${formatSeconds(asked)}, longer than ${limit}`, { status });
      }
      await this.pause(asked ?? backoffMs(attempt, this.baseDelayMs, this.maxDelayMs), ex);
    }
  }

  private async pause(ms: number, ex: Exchange): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: ex.deadline.signal });
    } catch (error) {
      throw ex.deadline.error ?? error;
    }
  }

  /** The body under the cap, with read failures named like request failures. */
  private async *capped(body: Readable, ex: Exchange): AsyncGenerator<Buffer> {
    let total = 0;
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        total += buf.length;
        if (total > ex.req.maxBytes) {
          throw new HttpError('TOO_LARGE', `${ex.req.what}: ${describeUrl(ex.url)} sent more than the ${ex.req.maxBytes}-byte limit`);
        }
        yield buf;
      }
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (ex.deadline.error) throw ex.deadline.error;
      if (this.signal?.aborted) throw error;
      throw this.failure(error, ex, total);
    }
  }

  /** A low-level failure as an HttpError naming the request, the URL (and proxy) and the system's cause. */
  private failure(error: unknown, ex: Exchange, received?: number): Error {
    if (error instanceof HttpError) return error;
    const { req, url, route } = ex;
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    const reason = code && !message.includes(code) ? `${code}: ${message}` : message || code;
    const where = describeUrl(url);
    const via = route.proxy ? ` through the proxy ${describeProxy(route.proxy)} (${route.variable})` : '';
    const after = received !== undefined ? ` after ${received} bytes of the body` : '';
    const tunnel = /Proxy response \((\d+)\)/.exec(message);
    if (tunnel) {
      return new HttpError('PROXY', `${req.what}: the proxy ${describeProxy(route.proxy ?? url)} (${route.variable}) refused the tunnel to ${url.host}: HTTP ${tunnel[1]}`, { cause: error });
    }
    if (/Proxy Authentication Required/.test(message)) {
      return new HttpError('PROXY', `${req.what}: the proxy ${describeProxy(route.proxy ?? url)} (${route.variable}) asks for credentials (HTTP 407)`, { cause: error });
    }
    if (isTlsCode(code)) return new HttpError('TLS', `${req.what}: TLS failure talking to ${where}${via}: ${reason}`, { cause: error });
    if (TIMEOUT_CODES.has(code)) {
      const phase = code === 'UND_ERR_BODY_TIMEOUT' ? 'stopped sending data' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'sent no answer' : 'did not accept the connection';
      return new HttpError('TIMEOUT', `${req.what}: ${where}${via} ${phase} for ${formatSeconds(this.idleMs)}${after} (${code})`, { cause: error });
    }
    if (UNREACHABLE_CODES.has(code)) {
      const target = route.proxy ? `the proxy ${describeProxy(route.proxy)} (${route.variable}) for ${where}` : where;
      return new HttpError('UNREACHABLE', `${req.what}: cannot reach ${target}${after}: ${reason}`, { cause: error });
    }
    return new HttpError('PROTOCOL', `${req.what}: GET ${where}${via} failed${after}: ${reason}`, { cause: error });
  }
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headerOf(headers, 'content-length');
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (!drop.has(key.toLowerCase())) out[key] = value;
  return out;
}
