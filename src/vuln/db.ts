/**
 * The advisory database as the CLI uses it: import local files, report
 * status, download updates. Every import or update is one store transaction
 * (see store/sqlite.ts): it commits whole or not at all, so an interrupted
 * import or update leaves the previous database intact and usable.
 *
 * `update` downloads first (into `<db>.downloads/`, with conditional requests
 * and HTTP Range resume of `.part` files), then imports everything it
 * downloaded in one transaction, and stores the HTTP validators (ETag,
 * Last-Modified) and the NVD sync date in the same transaction, so a failed
 * update neither changes advisories nor forgets what must be fetched again.
 */
import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PortcullisError } from '../core/errors.js';
import { alpineSecdbSource } from './sources/alpine-secdb.js';
import { debianTrackerSource } from './sources/debian-tracker.js';
import { walkFiles } from './sources/files.js';
import { nvdSource } from './sources/nvd.js';
import { osvSource } from './sources/osv.js';
import type { AdvisorySink, Source } from './sources/source.js';
import { SqliteStore } from './store/sqlite.js';
import type { SourceStatus } from './store/store.js';

export type DbErrorCode = 'UPDATE_FAILED' | 'INPUT_MISSING' | 'ABORTED';
export class DbError extends PortcullisError<DbErrorCode> {}

export type InputFormat = 'osv' | 'osv-zip' | 'alpine-secdb' | 'debian-tracker' | 'nvd';

const SOURCES: Readonly<Record<InputFormat, Source>> = {
  osv: osvSource,
  'osv-zip': osvSource,
  'alpine-secdb': alpineSecdbSource,
  'debian-tracker': debianTrackerSource,
  nvd: nvdSource,
};

/** `$PORTCULLIS_DB`, else `$XDG_CACHE_HOME/portcullis/db/advisories.sqlite`, else `~/.cache/portcullis/db/advisories.sqlite`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_DB) return env.PORTCULLIS_DB;
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'portcullis', 'db', 'advisories.sqlite');
}

export function openStore(dbPath: string = defaultDbPath()): SqliteStore {
  return new SqliteStore(dbPath);
}

function head(path: string, bytes = 4096): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Which importer reads this file, from its name and first 4 KiB; undefined when none does. */
export async function detectFileFormat(path: string): Promise<InputFormat | undefined> {
  const lower = path.toLowerCase();
  const start = head(path);
  if (lower.endsWith('.zip') || (start[0] === 0x50 && start[1] === 0x4b)) return 'osv-zip';
  const text = start.toString('utf8');
  if (/\.ya?ml$/.test(lower)) {
    if (/^(distroversion|reponame|packages|apkurl):/m.test(text)) return 'alpine-secdb';
    if (/^id:/m.test(text)) return 'osv';
    return undefined;
  }
  if (!lower.endsWith('.json')) return undefined;
  if (/"(vulnerabilities|resultsPerPage)"\s*:/.test(text) || /"(sourceIdentifier|vulnStatus)"\s*:/.test(text)) return 'nvd';
  if (/"(secfixes|distroversion|apkurl)"\s*:/.test(text)) return 'alpine-secdb';
  if (/^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE|TEMP)-[^"]*"\s*:\s*\{/.test(text)) return 'debian-tracker';
  if (/"id"\s*:/.test(text)) return 'osv';
  return undefined;
}

export interface ImportProgress {
  readonly phase: 'import';
  readonly path: string;
  readonly format: InputFormat;
  /** Advisories processed so far in this run. */
  readonly advisories: number;
}

export interface InputSummary {
  readonly path: string;
  readonly format: InputFormat | 'unknown';
  readonly advisories: number;
  readonly skipped: number;
}

export interface ImportResult {
  readonly inputs: readonly InputSummary[];
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Records skipped, each named. */
  readonly skipped: readonly { readonly record: string; readonly reason: string }[];
  readonly warnings: readonly { readonly record: string; readonly message: string }[];
  /** Warnings beyond the first `maxWarnings` are only counted. */
  readonly warningsDropped: number;
}

export interface ImportOptions {
  readonly onProgress?: (p: ImportProgress) => void;
  readonly signal?: AbortSignal;
  /** Keep at most this many warnings (default 1000). */
  readonly maxWarnings?: number;
  /** Per-feed data dates to record (from HTTP Last-Modified). */
  readonly dataDates?: Readonly<Record<string, string>>;
  /** Runs inside the import transaction after the inputs (update() stores HTTP validators here). */
  readonly beforeCommit?: (store: SqliteStore) => Promise<void>;
}

interface Collector {
  inserted: number;
  updated: number;
  unchanged: number;
  advisories: number;
  skipped: { record: string; reason: string }[];
  warnings: { record: string; message: string }[];
  warningsDropped: number;
  changedFeeds: Set<string>;
  seenFeeds: Set<string>;
}

async function importInto(store: SqliteStore, paths: readonly string[], options: ImportOptions): Promise<ImportResult> {
  const maxWarnings = options.maxWarnings ?? 1000;
  const c: Collector = { inserted: 0, updated: 0, unchanged: 0, advisories: 0, skipped: [], warnings: [], warningsDropped: 0, changedFeeds: new Set(), seenFeeds: new Set() };
  const inputs: InputSummary[] = [];
  const sink = (path: string, format: InputFormat): AdvisorySink => ({
    advisory(a) {
      const r = store.upsertSync(a);
      c[r]++;
      c.advisories++;
      c.seenFeeds.add(a.feed);
      if (r !== 'unchanged') c.changedFeeds.add(a.feed);
      if (options.onProgress && c.advisories % 1000 === 0) options.onProgress({ phase: 'import', path, format, advisories: c.advisories });
    },
    skip(record, reason) {
      c.skipped.push({ record, reason });
    },
    warn(record, message) {
      if (c.warnings.length < maxWarnings) c.warnings.push({ record, message });
      else c.warningsDropped++;
    },
  });
  for (const input of paths) {
    let info;
    try {
      info = await stat(input);
    } catch (error) {
      throw new DbError('INPUT_MISSING', `cannot read ${input}: ${(error as Error).message}`, { cause: error });
    }
    const files = info.isDirectory() ? walkFiles(input) : (async function* () { yield input; })();
    for await (const file of files) {
      if (options.signal?.aborted) throw new DbError('ABORTED', 'import aborted', { cause: options.signal.reason });
      const format = await detectFileFormat(file);
      if (!format) {
        if (!info.isDirectory() || /\.(json|ya?ml|zip)$/i.test(file)) c.skipped.push({ record: file, reason: 'not a recognised advisory format (OSV, Alpine secdb, Debian tracker, NVD API 2.0)' });
        inputs.push({ path: file, format: 'unknown', advisories: 0, skipped: 1 });
        continue;
      }
      const source = SOURCES[format];
      const summary = await source.import(file, sink(file, format), { ...(options.signal ? { signal: options.signal } : {}) });
      c.seenFeeds.add(source.name);
      inputs.push({ path: file, format, advisories: summary.advisories, skipped: summary.skipped });
    }
  }
  for (const feed of c.seenFeeds) {
    const dataDate = options.dataDates?.[feed];
    await store.markImported(feed, { changed: c.changedFeeds.has(feed), ...(dataDate ? { dataDate } : {}) });
  }
  for (const [feed, dataDate] of Object.entries(options.dataDates ?? {})) {
    if (!c.seenFeeds.has(feed)) await store.markImported(feed, { dataDate });
  }
  if (options.beforeCommit) await options.beforeCommit(store);
  return { inputs, inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, skipped: c.skipped, warnings: c.warnings, warningsDropped: c.warningsDropped };
}

/**
 * Imports files or directory trees (format detected per file) into the
 * database at `dbPath`, creating it if needed, in one transaction.
 */
export async function importPaths(dbPath: string, paths: readonly string[], options: ImportOptions = {}): Promise<ImportResult> {
  const store = openStore(dbPath);
  try {
    return await store.transaction(() => importInto(store, paths, options));
  } finally {
    await store.close();
  }
}

export interface DbStatus {
  readonly path: string;
  readonly exists: boolean;
  readonly schemaVersion?: number;
  readonly advisories: number;
  readonly affected: number;
  readonly sources: readonly (SourceStatus & { readonly stale: boolean })[];
  /** No feed imported within `maxAgeDays` (or nothing imported at all). */
  readonly stale: boolean;
  readonly lastUpdate?: string;
}

/** Per-feed counts and dates; `stale` when the newest import is older than `maxAgeDays` (default 7). */
export async function dbStatus(dbPath: string = defaultDbPath(), options: { maxAgeDays?: number; now?: Date } = {}): Promise<DbStatus> {
  const maxAgeMs = (options.maxAgeDays ?? 7) * 86_400_000;
  const now = (options.now ?? new Date()).getTime();
  try {
    await stat(dbPath);
  } catch {
    return { path: dbPath, exists: false, advisories: 0, affected: 0, sources: [], stale: true };
  }
  const store = new SqliteStore(dbPath, { readonly: true });
  try {
    const s = await store.status();
    const isStale = (d: string | undefined): boolean => !d || now - Date.parse(d) > maxAgeMs;
    const lastUpdate = s.sources.map((x) => x.lastImport).filter((d): d is string => !!d).sort().at(-1);
    return {
      path: dbPath,
      exists: true,
      schemaVersion: s.schemaVersion,
      advisories: s.advisories,
      affected: s.affected,
      sources: s.sources.map((x) => ({ ...x, stale: isStale(x.lastImport) })),
      stale: isStale(lastUpdate),
      ...(lastUpdate ? { lastUpdate } : {}),
    };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- update

/** The subset of `fetch` that `update` uses; inject one for tests or proxies. */
export type Fetcher = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

export interface UpdateBaseUrls {
  /** OSV bucket; `<base>/<Ecosystem>/all.zip`. */
  readonly osv?: string;
  /** secdb.alpinelinux.org index (crawled: each `vX.Y` and `edge` directory, then its `.json` files). */
  readonly alpine?: string;
  /** The tracker JSON document itself. */
  readonly debian?: string;
  /** NVD CVE API 2.0 endpoint. */
  readonly nvd?: string;
}

export const DEFAULT_BASE_URLS: Required<UpdateBaseUrls> = {
  osv: 'https://osv-vulnerabilities.storage.googleapis.com',
  alpine: 'https://secdb.alpinelinux.org/',
  debian: 'https://security-tracker.debian.org/tracker/data/json',
  nvd: 'https://services.nvd.nist.gov/rest/json/cves/2.0',
};

export const DEFAULT_OSV_ECOSYSTEMS: readonly string[] = ['Go', 'PyPI', 'npm', 'Maven', 'crates.io', 'RubyGems', 'NuGet', 'Packagist', 'Ubuntu', 'Wolfi', 'Chainguard', 'Red Hat', 'Rocky Linux', 'AlmaLinux'];

export type UpdateFeed = 'osv' | 'alpine' | 'debian' | 'nvd';

export interface UpdateProgress {
  readonly phase: 'download' | 'not-modified' | 'import';
  readonly feed: UpdateFeed;
  readonly url?: string;
  readonly bytes?: number;
  readonly total?: number;
  readonly advisories?: number;
}

export interface UpdateOptions {
  readonly baseUrls?: UpdateBaseUrls;
  /** Feeds to update (default: all four). */
  readonly feeds?: readonly UpdateFeed[];
  readonly osvEcosystems?: readonly string[];
  readonly fetcher?: Fetcher;
  readonly onProgress?: (p: UpdateProgress) => void;
  readonly signal?: AbortSignal;
  /** Where downloads and `.part` files live (default `<db>.downloads`). */
  readonly downloadDir?: string;
  readonly nvdApiKey?: string;
  readonly nvdResultsPerPage?: number;
  /** Pause between NVD page requests (default 6 s without an API key, 0.6 s with; NVD's rate limits). */
  readonly nvdDelayMs?: number;
  readonly now?: () => Date;
}

export interface UpdateResult {
  readonly downloaded: readonly string[];
  readonly notModified: readonly string[];
  readonly import: ImportResult;
}

interface Validators {
  etag?: string;
  lastModified?: string;
}

interface Downloaded {
  readonly feed: UpdateFeed;
  readonly url: string;
  readonly file: string;
  readonly validators: Validators;
}

function joinUrl(base: string, path: string): string {
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

function safeName(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-180);
}

function failure(message: string, cause?: unknown): DbError {
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

class Downloader {
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

function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
}

async function nvdPages(dl: Downloader, base: string, options: UpdateOptions, now: Date): Promise<{ files: string[]; end: string }> {
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

/**
 * Downloads the feeds from their official locations (or `baseUrls`) and
 * imports what changed, in one transaction. Throws DbError('UPDATE_FAILED')
 * when any download fails; the database is then unchanged, and interrupted
 * downloads resume from their `.part` files next time.
 */
export async function update(dbPath: string = defaultDbPath(), options: UpdateOptions = {}): Promise<UpdateResult> {
  const base = { ...DEFAULT_BASE_URLS, ...options.baseUrls };
  const feeds = new Set<UpdateFeed>(options.feeds ?? ['osv', 'alpine', 'debian', 'nvd']);
  const fetcher: Fetcher = options.fetcher ?? ((url, init) => fetch(url, init));
  const now = (options.now ?? (() => new Date()))();
  const dir = options.downloadDir ?? `${dbPath}.downloads`;
  await mkdir(dir, { recursive: true });
  const store = openStore(dbPath);
  try {
    const dl = new Downloader(store, dir, fetcher, options);
    if (feeds.has('osv')) {
      for (const eco of options.osvEcosystems ?? DEFAULT_OSV_ECOSYSTEMS) {
        await dl.file('osv', joinUrl(base.osv, `${encodeURIComponent(eco)}/all.zip`), `osv-${eco.replace(/[^A-Za-z0-9.-]+/g, '_')}-all.zip`);
      }
    }
    if (feeds.has('alpine')) {
      const index = await dl.text(base.alpine);
      const releases = hrefs(index).filter((h) => /^(v\d+\.\d+|edge)\/$/.test(h));
      for (const rel of releases) {
        const relUrl = joinUrl(base.alpine, rel);
        const files = hrefs(await dl.text(relUrl)).filter((h) => /^[A-Za-z0-9_-]+\.json$/.test(h));
        for (const f of files) await dl.file('alpine', `${relUrl}${f}`, `alpine-${rel.replace('/', '')}-${f}`);
      }
    }
    if (feeds.has('debian')) await dl.file('debian', base.debian, 'debian-tracker.json');
    let nvd: { files: string[]; end: string } | undefined;
    if (feeds.has('nvd')) nvd = await nvdPages(dl, base.nvd, options, now);

    const paths = [...dl.downloaded.map((d) => d.file), ...(nvd?.files ?? [])];
    const dataDates: Record<string, string> = {};
    const feedName: Record<UpdateFeed, string> = { osv: 'osv', alpine: 'alpine-secdb', debian: 'debian-tracker', nvd: 'nvd' };
    for (const d of dl.downloaded) {
      if (!d.validators.lastModified) continue;
      const iso = new Date(d.validators.lastModified).toISOString();
      const feed = feedName[d.feed];
      if (!dataDates[feed] || dataDates[feed]! < iso) dataDates[feed] = iso;
    }
    const result = await store.transaction(() =>
      importInto(store, paths, {
        ...(options.signal ? { signal: options.signal } : {}),
        dataDates,
        ...(options.onProgress ? { onProgress: (p: ImportProgress) => options.onProgress!({ phase: 'import', feed: 'osv', advisories: p.advisories }) } : {}),
        beforeCommit: async (s) => {
          for (const d of dl.downloaded) await s.setMeta(`http:${d.url}`, JSON.stringify(d.validators));
          if (nvd) await s.setMeta('nvd:lastModEndDate', nvd.end);
        },
      }),
    );
    for (const p of paths) await rm(p, { force: true });
    return { downloaded: dl.downloaded.map((d) => d.url), notModified: dl.notModified, import: result };
  } finally {
    await store.close();
  }
}
