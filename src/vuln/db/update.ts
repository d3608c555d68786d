/**
 * `update` downloads first (into `<db>.downloads/`, with conditional requests
 * and HTTP Range resume of `.part` files), then imports everything it
 * downloaded in one transaction, and stores the HTTP validators (ETag,
 * Last-Modified) and the NVD sync date in the same transaction, so a failed
 * update neither changes advisories nor forgets what must be fetched again.
 */
import { mkdir, rm } from 'node:fs/promises';
import { Downloader, hrefs, joinUrl, nvdPages } from './download.js';
import { importInto, type ImportProgress, type ImportResult } from './import.js';
import { defaultDbPath, openStore } from './paths.js';

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
