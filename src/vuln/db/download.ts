/**
 * Downloads for `update`, through the shared fetcher (`http/`: caps,
 * deadlines, retries, proxies): conditional requests with the validators
 * kept in the store's meta table, resumable `.part` files (HTTP Range +
 * If-Range), the Alpine secdb index crawl and NVD paging. The limits below
 * are per response; a feed over its cap fails the update rather than filling
 * the disk or memory.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, type FetchResponse, type HttpFetcher } from '../../http/index.js';
import { DbError } from './errors.js';
import type { UpdateFeed, UpdateOptions } from './update.js';

/** A feed file on disk (OSV all.zip, a secdb JSON, the Debian tracker): the largest today are tens of MB. */
export const MAX_FEED_FILE_BYTES = 1 << 30;
/** One NVD API page (2,000 CVEs, held in memory while parsed): about 10–30 MB in practice. */
export const MAX_NVD_PAGE_BYTES = 128 << 20;
/** An HTML index page of secdb.alpinelinux.org. */
export const MAX_INDEX_BYTES = 4 << 20;
/** A feed file may take this long in all (it resumes from its `.part` file next time). */
export const FEED_FILE_DEADLINE_MS = 30 * 60_000;
/** One NVD page, retries included. */
export const NVD_PAGE_DEADLINE_MS = 5 * 60_000;

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface Downloaded {
  readonly feed: UpdateFeed;
  readonly url: string;
  readonly file: string;
  readonly validators: Validators;
}

/** Where the validators of earlier downloads are read (the store's meta table, or nothing for a new database). */
export type MetaReader = (key: string) => Promise<string | undefined>;

export function joinUrl(base: string, path: string): string {
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

function safeName(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-180);
}

export function failure(message: string, cause?: unknown): DbError {
  return new DbError('UPDATE_FAILED', message, cause === undefined ? undefined : { cause });
}

/** The first byte a 206 answer starts at, from `Content-Range: bytes START-END/TOTAL`. */
function rangeStart(res: FetchResponse): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.header('content-range')?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

export class Downloader {
  readonly downloaded: Downloaded[] = [];
  readonly notModified: string[] = [];
  constructor(
    readonly meta: MetaReader,
    readonly dir: string,
    readonly fetcher: HttpFetcher,
    readonly options: UpdateOptions,
  ) {}

  /** A fetcher or file failure as the update's error: ABORTED on Ctrl-C, else UPDATE_FAILED with the cause's own message. */
  fail(error: unknown, context?: string): DbError {
    if (error instanceof DbError) return error;
    if (this.options.signal?.aborted) return new DbError('ABORTED', 'update aborted', { cause: error });
    const message = error instanceof Error ? error.message : String(error);
    return failure(context ? `${context}: ${message}` : message, error);
  }

  async text(url: string, what: string): Promise<string> {
    try {
      return (await this.fetcher.getBytes({ url, what, maxBytes: MAX_INDEX_BYTES })).bytes.toString('utf8');
    } catch (error) {
      throw this.fail(error);
    }
  }

  /**
   * Conditional, resumable download of `url` into the download directory.
   * Returns undefined on 304 Not Modified.
   */
  async file(feed: UpdateFeed, url: string, name = safeName(url)): Promise<Downloaded | undefined> {
    const known = JSON.parse((await this.meta(`http:${url}`)) ?? '{}') as Validators;
    const final = join(this.dir, name);
    const part = `${final}.part`;
    const partMeta = `${part}.json`;
    const headers: Record<string, string> = {};
    if (known.etag) headers['if-none-match'] = known.etag;
    if (known.lastModified) headers['if-modified-since'] = known.lastModified;
    let offset = 0;
    let partValidators: Validators = {};
    try {
      partValidators = JSON.parse(await readFile(partMeta, 'utf8')) as Validators;
      offset = (await stat(part)).size;
    } catch {
      offset = 0;
    }
    const ifRange = partValidators.etag ?? partValidators.lastModified;
    if (offset > 0 && ifRange) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = ifRange;
    }
    const what = `${feed} feed`;
    let res: FetchResponse;
    try {
      res = await this.fetcher.get({ url, what, headers, accept: [200, 206, 304], maxBytes: MAX_FEED_FILE_BYTES - (offset > 0 ? offset : 0), deadlineMs: FEED_FILE_DEADLINE_MS });
    } catch (error) {
      throw this.fail(error);
    }
    if (res.status === 304) {
      res.discard();
      this.notModified.push(url);
      this.options.onProgress?.({ phase: 'not-modified', feed, url });
      return undefined;
    }
    const validators: Validators = {};
    const etag = res.header('etag');
    const lastModified = res.header('last-modified');
    if (etag) validators.etag = etag;
    if (lastModified) validators.lastModified = lastModified;
    const append = res.status === 206 && offset > 0;
    if (append && rangeStart(res) !== offset) {
      res.discard();
      await rm(part, { force: true });
      await rm(partMeta, { force: true });
      throw failure(`${what}: ${url} answered the resume from byte ${offset} with Content-Range "${res.header('content-range') ?? ''}"; the partial download was discarded`);
    }
    if (!append) offset = 0;
    await writeFile(partMeta, JSON.stringify(append ? partValidators : validators));
    const total = res.length !== undefined ? offset + res.length : undefined;
    let bytes = offset;
    res.body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      this.options.onProgress?.({ phase: 'download', feed, url, bytes, ...(total !== undefined ? { total } : {}) });
    });
    try {
      await pipeline(res.body, createWriteStream(part, { flags: append ? 'a' : 'w' }));
    } catch (error) {
      if (error instanceof HttpError && error.code === 'TOO_LARGE') {
        await rm(part, { force: true });
        await rm(partMeta, { force: true });
        throw this.fail(error);
      }
      throw this.fail(error, `download interrupted after ${bytes} bytes (resumable)`);
    }
    if (total !== undefined && bytes !== total) throw failure(`${what}: got ${bytes} of ${total} bytes of ${url} (resumable)`);
    await rename(part, final);
    await rm(partMeta, { force: true });
    const d: Downloaded = { feed, url, file: final, validators: append ? { ...partValidators } : validators };
    this.downloaded.push(d);
    return d;
  }
}

export function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
}

export async function nvdPages(dl: Downloader, base: string, options: UpdateOptions, now: Date): Promise<{ files: string[]; end: string }> {
  const perPage = options.nvdResultsPerPage ?? 2000;
  const delay = options.nvdDelayMs ?? (options.nvdApiKey ? 600 : 6000);
  const last = await dl.meta('nvd:lastModEndDate');
  const end = now.toISOString();
  const incremental = last && now.getTime() - Date.parse(last) < 120 * 86_400_000;
  const files: string[] = [];
  let start = 0;
  let total = Infinity;
  for (let page = 0; start < total; page++) {
    if (page > 0 && delay > 0) {
      try {
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch (error) {
        throw new DbError('ABORTED', 'update aborted', { cause: error });
      }
    }
    const params = new URLSearchParams({ startIndex: String(start), resultsPerPage: String(perPage) });
    if (incremental) {
      params.set('lastModStartDate', last);
      params.set('lastModEndDate', end);
    }
    const url = `${base}?${params.toString()}`;
    let text: string;
    try {
      const res = await dl.fetcher.getBytes({
        url,
        what: `NVD page ${page + 1}`,
        maxBytes: MAX_NVD_PAGE_BYTES,
        deadlineMs: NVD_PAGE_DEADLINE_MS,
        ...(options.nvdApiKey ? { headers: { apiKey: options.nvdApiKey }, credentialHeaders: ['apiKey'] } : {}),
      });
      text = res.bytes.toString('utf8');
    } catch (error) {
      throw dl.fail(error);
    }
    let doc: { totalResults?: number; resultsPerPage?: number; vulnerabilities?: unknown[] };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (error) {
      throw failure(`GET ${url}: not JSON`, error);
    }
    const file = join(dl.dir, `nvd-page-${String(page).padStart(5, '0')}.json`);
    await writeFile(file, text);
    files.push(file);
    total = typeof doc.totalResults === 'number' ? doc.totalResults : 0;
    const got = Array.isArray(doc.vulnerabilities) ? doc.vulnerabilities.length : 0;
    options.onProgress?.({ phase: 'download', feed: 'nvd', url, bytes: text.length, advisories: start + got });
    if (got === 0) break;
    start += got;
  }
  return { files, end };
}
