/**
 * What a caller of the HTTP fetcher (fetcher.ts) writes and gets back: the
 * fetcher's options and their defaults, one GET request with its cap and
 * deadline, and the two shapes of answer (a capped stream, or the bytes).
 * Apart from the fetcher so that its contract reads on its own, without the
 * retry, redirect and proxy machinery behind it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ProxyEnv } from './proxy.js';

export interface TlsOptions {
  /** CA certificates (PEM) to trust instead of Node's defaults: pass `tls.rootCertificates` along to add to them. */
  readonly ca?: readonly string[];
  /** false: do not verify server certificates (tests, `--tls-verify=false`). Default true. */
  readonly rejectUnauthorized?: boolean;
}

export interface FetcherOptions {
  readonly tls?: TlsOptions;
  /** No byte for this long fails the request (connect, headers, between body chunks). Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Default whole-request deadline (first attempt to last body byte, retries included). Default 2 min. */
  readonly deadlineMs?: number;
  /** Attempts after the first, for 429/5xx answers and reset connections. Default 3. */
  readonly retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 500 ms. */
  readonly retryBaseDelayMs?: number;
  /** The longest pause between attempts, and the longest Retry-After honoured. Default 30 s. */
  readonly retryMaxDelayMs?: number;
  readonly maxRedirects?: number;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read (once, here). Default process.env. */
  readonly env?: ProxyEnv;
  /** Aborts every request (Ctrl-C). */
  readonly signal?: AbortSignal;
  readonly userAgent?: string;
}

export interface GetRequest {
  readonly url: string | URL;
  /** Names the request in messages: "OSV Go advisories". */
  readonly what: string;
  /** The most bytes the body may have. */
  readonly maxBytes: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** This request's whole deadline instead of the fetcher's (a large, resumable feed download). */
  readonly deadlineMs?: number;
  /** Statuses the caller handles (default [200]); any other final status throws an HttpError. */
  readonly accept?: readonly number[];
  /** Headers carrying credentials, dropped when a redirect leaves the origin (Authorization and Cookie always are). */
  readonly credentialHeaders?: readonly string[];
}

export interface FetchResponse {
  readonly status: number;
  /** The URL that answered, after redirects. */
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Content-Length, when the server sent a valid one. */
  readonly length: number | undefined;
  /** The body: capped at `maxBytes` and bound by the deadline; read it to the end or call discard(). */
  readonly body: Readable;
  header(name: string): string | undefined;
  bytes(): Promise<Buffer>;
  text(): Promise<string>;
  discard(): void;
}

export interface FetchedBytes {
  readonly status: number;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: Buffer;
  header(name: string): string | undefined;
}

export const FETCHER_DEFAULTS = {
  idleTimeoutMs: 60_000,
  deadlineMs: 120_000,
  retries: 3,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30_000,
  maxRedirects: 5,
} as const;
