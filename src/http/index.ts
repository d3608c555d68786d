/**
 * `http`: fetching bytes over HTTP for every downloader (advisory feeds, EOL
 * dates, Notary metadata), with size caps, deadlines, retries and proxies.
 *
 * A module of its own, one rank above `core`, rather than `core/http/`:
 * `core` is the vocabulary every module shares (and `trust` and `sbom`, which
 * never touch the network, import it), while this is I/O on undici. Being
 * its own folder lets the architecture test keep `trust` away from it, and
 * lets `image` (the registry client shares `Deadline`), `vuln`, `hygiene` and
 * `engine` all import it without an arrow pointing up.
 */
export { backoffMs, retryAfterMs } from './backoff.js';
export { Deadline, formatSeconds } from './deadline.js';
export { HttpError, describeUrl, type HttpErrorCode } from './errors.js';
export { HttpFetcher } from './fetcher.js';
export { FETCHER_DEFAULTS, type FetchResponse, type FetchedBytes, type FetcherOptions, type GetRequest, type TlsOptions } from './types.js';
export { NoProxy, describeProxy, proxyFor, type ProxyChoice, type ProxyEnv } from './proxy.js';
