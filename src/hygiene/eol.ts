/**
 * End-of-life data: when each distribution release and language runtime
 * cycle stops getting security fixes. The dates are data, not code: a bundled
 * file (src/hygiene/data/eol.json, written by hand from endoflife.date and the
 * vendors' pages, with its sources and review date) and a refreshed copy in
 * the cache directory that `refreshEolData` writes from the public
 * endoflife.date API format (`GET {base}/api/{product}.json`).
 *
 * `loadEolData` answers the newer of the two (by `reviewed`); `supportEnd`
 * answers the date free security support ends for a product and version.
 * Downloads go through the shared fetcher (`http/`): each answer is capped
 * while it streams, within a deadline, retried on 429/5xx, through
 * HTTPS_PROXY when one is set.
 *
 * An entry of `hygiene` of its own (docs/architecture.md): `db update`
 * refreshes the data without loading the linters.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HttpError, HttpFetcher } from '../http/index.js';
import { defaultCacheRoot } from '../image/cache/index.js';
import BUNDLED from './data/eol.json' with { type: 'json' };
import { HygieneError } from './errors.js';

/** One release cycle as endoflife.date describes it; dates are `YYYY-MM-DD`. */
export interface EolCycle {
  readonly cycle: string;
  readonly releaseDate?: string;
  /** End of (regular) security support; `false` when not announced yet, `true` when over with no date. */
  readonly eol: string | boolean;
  /** End of the extended phase (Debian LTS, Ubuntu ESM, RHEL ELS), when there is one. */
  readonly extendedSupport?: string | boolean;
  readonly codename?: string;
  readonly lts?: boolean;
  readonly latest?: string;
}

export interface EolProduct {
  readonly name: string;
  /** The product's name on endoflife.date (`rocky-linux`, `amazon-linux`, …). */
  readonly endoflifeDate: string;
  /** The endoflife.date page and the vendor's own page(s). */
  readonly sources: readonly string[];
  /** Which field ends free security support: `eol`, or `extendedSupport` where that phase is free (Debian LTS). */
  readonly supportEnds: 'eol' | 'extendedSupport';
  readonly note?: string;
  readonly cycles: readonly EolCycle[];
}

export interface EolData {
  readonly schemaVersion: 1;
  /** When a person (or a refresh) last checked the dates: `YYYY-MM-DD`. */
  readonly reviewed: string;
  readonly note?: string;
  /** Set by refreshEolData: where the dates came from. */
  readonly refreshedFrom?: string;
  /** Keyed by our product id: os-release IDs (`debian`, `alpine`, `amzn`, …) and `nodejs`, `python`, `go`, `java`. */
  readonly products: Readonly<Record<string, EolProduct>>;
}

export interface LoadedEolData {
  readonly data: EolData;
  /** `bundled`, or the path of the refreshed copy that was used. */
  readonly from: string;
  /** Problems reading the refreshed copy (then the bundled data is used). */
  readonly warnings: readonly string[];
}

/** `<cache root>/eol/eol.json`; the cache root is PORTCULLIS_CACHE_DIR / XDG_CACHE_HOME / ~/.cache based (as the blob cache). */
export function eolCachePath(options: { cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? env.PORTCULLIS_CACHE_DIR;
  return join(defaultCacheRoot({ ...(cacheDir ? { cacheDir } : {}), env }), 'eol', 'eol.json');
}

const MAX_EOL_FILE_BYTES = 4 * 1024 * 1024;

/** The refreshed copy from the cache when it is valid and newer than the bundled data; otherwise the bundled data. */
export async function loadEolData(options: { cacheDir?: string; env?: NodeJS.ProcessEnv; path?: string } = {}): Promise<LoadedEolData> {
  const path = options.path ?? eolCachePath(options);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { data: BUNDLED_EOL_DATA, from: 'bundled', warnings: [] };
  }
  try {
    if (text.length > MAX_EOL_FILE_BYTES) throw new Error(`over ${MAX_EOL_FILE_BYTES} bytes`);
    const data = validateEolData(JSON.parse(text) as unknown, path);
    if (data.reviewed < BUNDLED_EOL_DATA.reviewed) return { data: BUNDLED_EOL_DATA, from: 'bundled', warnings: [] };
    return { data, from: path, warnings: [] };
  } catch (error) {
    return { data: BUNDLED_EOL_DATA, from: 'bundled', warnings: [`EOL data ${path} is unusable (${(error as Error).message}); using the bundled data`] };
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dateOrBool(v: unknown): string | boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && DAY.test(v)) return v;
  return undefined;
}

/** Checks the shape of an EOL data file; throws HygieneError EOL_DATA_INVALID. */
export function validateEolData(value: unknown, what: string): EolData {
  const fail = (m: string): never => {
    throw new HygieneError('EOL_DATA_INVALID', `${what}: ${m}`);
  };
  if (!isRecord(value)) return fail('not a JSON object');
  if (value.schemaVersion !== 1) fail('schemaVersion is not 1');
  if (typeof value.reviewed !== 'string' || !DAY.test(value.reviewed)) fail('reviewed is not a YYYY-MM-DD date');
  if (!isRecord(value.products)) return fail('products is not an object');
  for (const [id, p] of Object.entries(value.products)) {
    if (!isRecord(p)) return fail(`products.${id} is not an object`);
    if (typeof p.endoflifeDate !== 'string' || typeof p.name !== 'string') fail(`products.${id}: name or endoflifeDate missing`);
    if (!Array.isArray(p.sources) || p.sources.length === 0) fail(`products.${id}: sources missing`);
    if (p.supportEnds !== 'eol' && p.supportEnds !== 'extendedSupport') fail(`products.${id}: supportEnds is neither eol nor extendedSupport`);
    if (!Array.isArray(p.cycles)) return fail(`products.${id}: cycles is not an array`);
    for (const c of p.cycles) {
      if (!isRecord(c) || typeof c.cycle !== 'string' || dateOrBool(c.eol) === undefined) fail(`products.${id}: a cycle without cycle/eol`);
    }
  }
  return value as unknown as EolData;
}

export const BUNDLED_EOL_DATA: EolData = validateEolData(BUNDLED as unknown, 'bundled eol.json');

/** The cycle a version belongs to: an exact match, else the longest cycle that is a dotted prefix (`3.19.1` → `3.19`). */
export function findCycle(product: EolProduct, version: string): EolCycle | undefined {
  let best: EolCycle | undefined;
  for (const c of product.cycles) {
    if (c.cycle === version) return c;
    if (version.startsWith(`${c.cycle}.`) && (!best || c.cycle.length > best.cycle.length)) best = c;
  }
  return best;
}

export interface SupportEnd {
  readonly product: EolProduct;
  readonly cycle: EolCycle;
  /** The date free security support ends (`YYYY-MM-DD`); undefined when not announced. */
  readonly date?: string;
  /** True when the data says support is over without a date. */
  readonly ended?: boolean;
}

/** When security support ends for `productId` at `version`; undefined when the data has no such product or cycle. */
export function supportEnd(data: EolData, productId: string, version: string): SupportEnd | undefined {
  const product = data.products[productId];
  if (!product) return undefined;
  const cycle = findCycle(product, version);
  if (!cycle) return undefined;
  const value = product.supportEnds === 'extendedSupport' && cycle.extendedSupport !== undefined ? cycle.extendedSupport : cycle.eol;
  if (typeof value === 'string') return { product, cycle, date: value };
  return value === true ? { product, cycle, ended: true } : { product, cycle };
}

/** Whole days from `from` to the date `day` (negative when in the past). */
export function daysUntil(day: string, from: Date): number {
  const target = Date.parse(`${day}T00:00:00Z`);
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  return Math.round((target - start) / 86_400_000);
}

/** A warning when the EOL data was last reviewed more than a year before `now`; undefined otherwise. */
export function eolDataAgeWarning(data: EolData, now: Date, from = 'bundled'): string | undefined {
  const age = -daysUntil(data.reviewed, now);
  if (age <= 365) return undefined;
  const where = from === 'bundled' ? 'the bundled EOL data' : `the EOL data in ${from}`;
  return `${where} was last reviewed ${data.reviewed}, ${age} days ago (over a year): end-of-life findings may be missing or wrong; run 'portcullis db update' to refresh it`;
}

// ---------------------------------------------------------------------------
// Refresh from the endoflife.date API format

export interface RefreshEolOptions {
  /** Default `https://endoflife.date`. */
  readonly baseUrl?: string;
  /** The HTTP client (default: a new HttpFetcher reading proxies from `env`, closed at the end). */
  readonly fetcher?: HttpFetcher;
  /** Where to write: default eolCachePath({cacheDir, env}). */
  readonly path?: string;
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Product ids to refresh (default: every product of the bundled data). */
  readonly products?: readonly string[];
  /** The review date to record (default: today). */
  readonly now?: Date;
  readonly signal?: AbortSignal;
}

export interface RefreshEolResult {
  /** The file written. */
  readonly path: string;
  /** Product ids refreshed from the API. */
  readonly refreshed: readonly string[];
  /** Products kept from the previous data, each with why. */
  readonly failed: readonly { readonly product: string; readonly reason: string }[];
  readonly cycles: number;
}

const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Parses one `GET /api/{product}.json` answer: an array of `{cycle, eol, releaseDate, latest, lts, extendedSupport, codename…}`. */
export function parseEndoflifeCycles(text: string, what: string): EolCycle[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HygieneError('EOL_DATA_INVALID', `${what}: not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new HygieneError('EOL_DATA_INVALID', `${what}: not a JSON array of cycles`);
  const cycles: EolCycle[] = [];
  for (const item of value) {
    if (!isRecord(item)) continue;
    const cycle = typeof item.cycle === 'string' ? item.cycle : typeof item.cycle === 'number' ? String(item.cycle) : undefined;
    const eol = dateOrBool(item.eol);
    if (cycle === undefined || eol === undefined) continue;
    const ext = dateOrBool(item.extendedSupport);
    const out: { -readonly [K in keyof EolCycle]: EolCycle[K] } = { cycle, eol };
    if (typeof item.releaseDate === 'string' && DAY.test(item.releaseDate)) out.releaseDate = item.releaseDate;
    if (ext !== undefined) out.extendedSupport = ext;
    if (typeof item.codename === 'string' && item.codename !== '') out.codename = item.codename;
    if (typeof item.lts === 'boolean') out.lts = item.lts;
    else if (typeof item.lts === 'string' && DAY.test(item.lts)) out.lts = true;
    if (typeof item.latest === 'string') out.latest = item.latest;
    cycles.push(out);
  }
  if (cycles.length === 0) throw new HygieneError('EOL_DATA_INVALID', `${what}: no usable cycles`);
  return cycles;
}

/**
 * Failures that are about one product's answer (its page is missing, too
 * large, or not the API format) leave that product as it was; any other
 * (the host cannot be reached, TLS, a timeout, 5xx after retries) would fail
 * every product the same way, so the refresh stops at the first.
 */
function productOnly(error: unknown): boolean {
  if (error instanceof HttpError) return error.code === 'NOT_FOUND' || error.code === 'TOO_LARGE' || error.code === 'PROTOCOL';
  return error instanceof HygieneError;
}

/**
 * Downloads every product's cycles from `{baseUrl}/api/{product}.json` and
 * writes the merged data (product metadata from the bundled file, cycles from
 * the API, `reviewed` = today) atomically to the cache. A product whose
 * answer is missing or unusable keeps its previous cycles and is listed in
 * `failed`; when every product fails, or the host cannot be reached at all
 * (the first such failure, with its cause), nothing is written and
 * EOL_REFRESH_FAILED is thrown.
 * `portcullis db update` calls this.
 */
export async function refreshEolData(options: RefreshEolOptions = {}): Promise<RefreshEolResult> {
  const base = (options.baseUrl ?? 'https://endoflife.date').replace(/\/+$/, '');
  const fetcher = options.fetcher ?? new HttpFetcher({ env: options.env ?? process.env, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    return await refreshWith(fetcher, base, options);
  } finally {
    if (!options.fetcher) await fetcher.close();
  }
}

async function refreshWith(fetcher: HttpFetcher, base: string, options: RefreshEolOptions): Promise<RefreshEolResult> {
  const path = options.path ?? eolCachePath(options);
  const previous = (await loadEolData({ path })).data;
  const ids = options.products ?? Object.keys(BUNDLED_EOL_DATA.products);
  const products: Record<string, EolProduct> = { ...previous.products };
  const refreshed: string[] = [];
  const failed: { product: string; reason: string }[] = [];
  for (const id of ids) {
    const meta = previous.products[id] ?? BUNDLED_EOL_DATA.products[id];
    if (!meta) {
      failed.push({ product: id, reason: 'unknown product' });
      continue;
    }
    const url = `${base}/api/${encodeURIComponent(meta.endoflifeDate)}.json`;
    try {
      const response = await fetcher.getBytes({ url, what: `end-of-life dates of ${meta.name}`, maxBytes: MAX_RESPONSE_BYTES, headers: { accept: 'application/json' } });
      products[id] = { ...meta, cycles: parseEndoflifeCycles(response.bytes.toString('utf8'), url) };
      refreshed.push(id);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (!productOnly(error)) {
        throw new HygieneError('EOL_REFRESH_FAILED', `no EOL data could be downloaded from ${base}: ${(error as Error).message}`, { cause: error });
      }
      failed.push({ product: id, reason: (error as Error).message });
    }
  }
  if (refreshed.length === 0) {
    throw new HygieneError('EOL_REFRESH_FAILED', `no EOL data could be downloaded from ${base}: ${failed.map((f) => f.reason).join('; ')}`);
  }
  const now = options.now ?? new Date();
  const data: EolData = {
    schemaVersion: 1,
    reviewed: now.toISOString().slice(0, 10),
    ...(BUNDLED_EOL_DATA.note ? { note: BUNDLED_EOL_DATA.note } : {}),
    refreshedFrom: base,
    products,
  };
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const cycles = Object.values(products).reduce((n, p) => n + p.cycles.length, 0);
  return { path, refreshed, failed, cycles };
}
