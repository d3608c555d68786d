/**
 * Downloads for `update`: conditional requests with the validators kept in
 * the store's meta table, resumable `.part` files (HTTP Range + If-Range),
 * the Alpine secdb index crawl and NVD paging.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SqliteStore } from '../store/sqlite.js';
import { DbError } from './errors.js';
import type { Fetcher, UpdateFeed, UpdateOptions } from './update.js';

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

export function joinUrl(base: string, path: string): string {
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

function safeName(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-180);
}

export function failure(message: string, cause?: unknown): DbError {
  return new DbError('UPDATE_FAILED', message, cause === undefined ? undefined : { cause });
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DbError('ABORTED', 'update aborted'));
    }, { once: true });
  });
}

export class Downloader {
  readonly downloaded: Downloaded[] = [];
  readonly notModified: string[] = [];
  constructor(
    readonly store: SqliteStore,
    readonly dir: string,
    readonly fetcher: Fetcher,
    readonly options: UpdateOptions,
  ) {}

  async call(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.fetcher(url, { headers, ...(this.options.signal ? { signal: this.options.signal } : {}) });
    } catch (error) {
      if (this.options.signal?.aborted) throw new DbError('ABORTED', 'update aborted', { cause: error });
      throw failure(`GET ${url}: ${(error as Error).message}`, error);
    }
  }

  async text(url: string): Promise<string> {
    const res = await this.call(url, {});
    if (!res.ok) throw failure(`GET ${url}: HTTP ${res.status}`);
    return res.text();
  }

  /**
   * Conditional, resumable download of `url` into the download directory.
   * Returns undefined on 304 Not Modified.
   */
  async file(feed: UpdateFeed, url: string, name = safeName(url)): Promise<Downloaded | undefined> {
    const known = JSON.parse((await this.store.getMeta(`http:${url}`)) ?? '{}') as Validators;
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
    const res = await this.call(url, headers);
    if (res.status === 304) {
      await res.body?.cancel();
      this.notModified.push(url);
      this.options.onProgress?.({ phase: 'not-modified', feed, url });
      return undefined;
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw failure(`GET ${url}: HTTP ${res.status}`);
    }
    const validators: Validators = {};
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (etag) validators.etag = etag;
    if (lastModified) validators.lastModified = lastModified;
    const append = res.status === 206 && offset > 0;
    if (!append) offset = 0;
    await writeFile(partMeta, JSON.stringify(append ? partValidators : validators));
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? offset + length : undefined;
    if (!res.body) throw failure(`GET ${url}: no body`);
    let bytes = offset;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      this.options.onProgress?.({ phase: 'download', feed, url, bytes, ...(total !== undefined ? { total } : {}) });
    });
    try {
      await pipeline(body, createWriteStream(part, { flags: append ? 'a' : 'w' }));
    } catch (error) {
      if (this.options.signal?.aborted) throw new DbError('ABORTED', 'update aborted', { cause: error });
      throw failure(`GET ${url}: download interrupted after ${bytes} bytes (resumable): ${(error as Error).message}`, error);
    }
    if (total !== undefined && bytes !== total) throw failure(`GET ${url}: got ${bytes} of ${total} bytes (resumable)`);
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
  const last = await dl.store.getMeta('nvd:lastModEndDate');
  const end = now.toISOString();
  const incremental = last && now.getTime() - Date.parse(last) < 120 * 86_400_000;
  const files: string[] = [];
  let start = 0;
  let total = Infinity;
  for (let page = 0; start < total; page++) {
    if (page > 0) await sleep(delay, options.signal);
    const params = new URLSearchParams({ startIndex: String(start), resultsPerPage: String(perPage) });
    if (incremental) {
      params.set('lastModStartDate', last);
      params.set('lastModEndDate', end);
    }
    const url = `${base}?${params.toString()}`;
    const res = await dl.call(url, options.nvdApiKey ? { apiKey: options.nvdApiKey } : {});
    if (!res.ok) {
      await res.body?.cancel();
      throw failure(`GET ${url}: HTTP ${res.status}`);
    }
    const text = await res.text();
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
