/**
 * `update` downloads first (into `<db>.downloads/`, with conditional requests
 * and HTTP Range resume of `.part` files, through the shared fetcher in
 * `http/`: caps, deadlines, retries, HTTPS_PROXY/NO_PROXY), then imports
 * everything it downloaded in one transaction, and stores the HTTP validators
 * (ETag, Last-Modified) and the NVD sync date in the same transaction, so a
 * failed update neither changes advisories nor forgets what must be fetched
 * again.
 *
 * A database that does not exist yet is created only once every download has
 * succeeded (and removed again if the import fails): offline, a first update
 * fails on the first unreachable feed with its cause and leaves no database,
 * so `scan` says "no database" rather than "empty database".
 */
import { mkdir, rmdir, rm } from 'node:fs/promises';
import { HttpFetcher, type ProxyEnv } from '../../http/index.js';
import { photonReleasesOf } from '../sources/photon.js';
import { openAdvisoryWriter } from '../store/open.js';
import type { AdvisoryStore } from '../store/store.js';
import { AMAZON_FEED } from '../sources/amazon-updateinfo.js';
import { DEFAULT_AMAZON_MIRROR_LISTS, downloadAmazon } from './amazon.js';
import { Downloader, hrefs, joinUrl, nvdPages, type MetaReader } from './download.js';
import { importInto, type ImportProgress, type ImportResult } from './import.js';
import { dbExists, defaultDbPath, defaultDownloadDir, withStore } from './paths.js';
import { LAST_CHECK_META } from './status.js';

export interface UpdateBaseUrls {
  /** OSV bucket; `<base>/<Ecosystem>/all.zip`. */
  readonly osv?: string;
  /** secdb.alpinelinux.org index (crawled: each `vX.Y` and `edge` directory, then its `.json` files). */
  readonly alpine?: string;
  /** The tracker JSON document itself. */
  readonly debian?: string;
  /** Photon's CVE metadata directory: `photon_versions.json` names the releases, then `cve_data_photon<release>.json` each. */
  readonly photon?: string;
  /** NVD CVE API 2.0 endpoint. */
  readonly nvd?: string;
  /** The CISA KEV catalog JSON itself. */
  readonly kev?: string;
  /** FIRST's EPSS scores, the gzipped CSV itself. */
  readonly epss?: string;
  /** Amazon Linux: mirror.list URLs, comma-separated (each is followed to its repository's updateinfo: db/amazon.ts). */
  readonly amazon?: string;
  /** Oracle's ELSA OVAL definitions, the file itself (`.xml.bz2`; `.xml.gz` and plain `.xml` are read too). */
  readonly oracle?: string;
}

export const DEFAULT_BASE_URLS: Required<UpdateBaseUrls> = {
  osv: 'https://osv-vulnerabilities.storage.googleapis.com',
  alpine: 'https://secdb.alpinelinux.org/',
  debian: 'https://security-tracker.debian.org/tracker/data/json',
  photon: 'https://packages.broadcom.com/photon/photon_cve_metadata/',
  nvd: 'https://services.nvd.nist.gov/rest/json/cves/2.0',
  kev: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  epss: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
  amazon: DEFAULT_AMAZON_MIRROR_LISTS.join(','),
  oracle: 'https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2',
};

/** Photon OS is not among them: osv.dev has no Photon source (its data is the `photon` feed, ../sources/photon.ts). */
export const DEFAULT_OSV_ECOSYSTEMS: readonly string[] = ['Go', 'PyPI', 'npm', 'Maven', 'crates.io', 'RubyGems', 'NuGet', 'Packagist', 'Ubuntu', 'Wolfi', 'Chainguard', 'Red Hat', 'Rocky Linux', 'AlmaLinux', 'SUSE', 'openSUSE', 'Azure Linux', 'MinimOS'];

export type UpdateFeed = 'osv' | 'alpine' | 'debian' | 'nvd' | 'photon' | 'kev' | 'epss' | 'amazon' | 'oracle';

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
  /** Feeds to update (default: the five advisory feeds; `kev` and `epss` when asked, as `db update` does by default). */
  readonly feeds?: readonly UpdateFeed[];
  readonly osvEcosystems?: readonly string[];
  /** The HTTP client (default: a new HttpFetcher reading proxies from `env`, closed at the end). */
  readonly fetcher?: HttpFetcher;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read when no fetcher is given (default process.env). */
  readonly env?: ProxyEnv;
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
 * when any download fails, with the fetcher's cause (ECONNREFUSED, ENOTFOUND,
 * a TLS reason, a timeout, an HTTP status) in the message; the database is
 * then unchanged (or still absent), and interrupted downloads resume from
 * their `.part` files next time.
 */
export async function update(dbPath: string = defaultDbPath(), options: UpdateOptions = {}): Promise<UpdateResult> {
  const base = { ...DEFAULT_BASE_URLS, ...options.baseUrls };
  const feeds = new Set<UpdateFeed>(options.feeds ?? ['osv', 'alpine', 'debian', 'nvd', 'photon']);
  const fetcher = options.fetcher ?? new HttpFetcher({ ...(options.env ? { env: options.env } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const now = (options.now ?? (() => new Date()))();
  const dir = options.downloadDir ?? defaultDownloadDir(dbPath, options.env ?? process.env);
  // An existing database is opened first: a corrupt or too new one fails before anything is downloaded.
  const existing: AdvisoryStore | undefined = dbExists(dbPath) ? await openAdvisoryWriter(dbPath) : undefined;
  const meta: MetaReader = async (key) => existing?.getMeta(key);
  const madeDir = await mkdir(dir, { recursive: true });
  try {
    const dl = new Downloader(meta, dir, fetcher, options);
    if (feeds.has('osv')) {
      for (const eco of options.osvEcosystems ?? DEFAULT_OSV_ECOSYSTEMS) {
        await dl.file('osv', joinUrl(base.osv, `${encodeURIComponent(eco)}/all.zip`), `osv-${eco.replace(/[^A-Za-z0-9.-]+/g, '_')}-all.zip`);
      }
    }
    if (feeds.has('alpine')) {
      const index = await dl.text(base.alpine, 'Alpine secdb index');
      const releases = hrefs(index).filter((h) => /^(v\d+\.\d+|edge)\/$/.test(h));
      for (const rel of releases) {
        const relUrl = joinUrl(base.alpine, rel);
        const files = hrefs(await dl.text(relUrl, `Alpine secdb ${rel} index`)).filter((h) => /^[A-Za-z0-9_-]+\.json$/.test(h));
        for (const f of files) await dl.file('alpine', `${relUrl}${f}`, `alpine-${rel.replace('/', '')}-${f}`);
      }
    }
    if (feeds.has('debian')) await dl.file('debian', base.debian, 'debian-tracker.json');
    if (feeds.has('photon')) {
      const listUrl = joinUrl(base.photon, 'photon_versions.json');
      let releases: string[];
      try {
        releases = photonReleasesOf(await dl.text(listUrl, 'Photon release list'), listUrl);
      } catch (error) {
        throw dl.fail(error, 'photon feed');
      }
      for (const rel of releases) {
        await dl.file('photon', joinUrl(base.photon, `cve_data_photon${rel}.json`), `photon-cve_data_photon${rel}.json`);
      }
    }
    if (feeds.has('amazon')) await downloadAmazon(dl, base.amazon.split(',').map((u) => u.trim()).filter(Boolean));
    // The name keeps the compression suffix of the URL (import detects the format from the decompressed start).
    if (feeds.has('oracle')) await dl.file('oracle', base.oracle, `oracle-elsa-oval${/\.xml\.(bz2|gz)$/i.exec(new URL(base.oracle).pathname)?.[0] ?? '.xml'}`);
    // Exploitation data (src/vuln/exploit): the names are what `db import` recognises them by.
    if (feeds.has('kev')) await dl.file('kev', base.kev, 'kev-known_exploited_vulnerabilities.json');
    if (feeds.has('epss')) await dl.file('epss', base.epss, 'epss_scores-current.csv.gz');
    let nvd: { files: string[]; end: string } | undefined;
    if (feeds.has('nvd')) nvd = await nvdPages(dl, base.nvd, options, now);

    const paths = [...dl.downloaded.map((d) => d.file), ...(nvd?.files ?? [])];
    const dataDates: Record<string, string> = {};
    const feedName: Record<UpdateFeed, string> = { osv: 'osv', alpine: 'alpine-secdb', debian: 'debian-tracker', nvd: 'nvd', photon: 'photon', kev: 'kev', epss: 'epss', amazon: AMAZON_FEED, oracle: 'oracle-oval' };
    for (const d of dl.downloaded) {
      if (!d.validators.lastModified) continue;
      const iso = new Date(d.validators.lastModified).toISOString();
      const feed = feedName[d.feed];
      if (!dataDates[feed] || dataDates[feed]! < iso) dataDates[feed] = iso;
    }
    const importAll = (store: AdvisoryStore): Promise<ImportResult> =>
      store.transaction(() =>
        importInto(store, paths, {
          ...(options.signal ? { signal: options.signal } : {}),
          dataDates,
          ...(options.onProgress ? { onProgress: (p: ImportProgress) => options.onProgress!({ phase: 'import', feed: 'osv', advisories: p.advisories }) } : {}),
          beforeCommit: async (s) => {
            for (const d of dl.downloaded) await s.setMeta(`http:${d.url}`, JSON.stringify(d.validators));
            if (nvd) await s.setMeta('nvd:lastModEndDate', nvd.end);
            await s.setMeta(LAST_CHECK_META, now.toISOString()); // all 304s is fresh too (status.ts)
          },
        }),
      );
    let result: ImportResult;
    if (existing) result = await importAll(existing);
    else if (paths.length > 0) result = await withStore(dbPath, importAll);
    else result = EMPTY_IMPORT; // nothing asked for, and no database to record it in
    for (const p of paths) await rm(p, { force: true });
    return { downloaded: dl.downloaded.map((d) => d.url), notModified: dl.notModified, import: result };
  } finally {
    await existing?.close();
    if (!options.fetcher) await fetcher.close();
    // A download directory made here goes when empty; `.part` files of interrupted downloads stay for the next run.
    if (madeDir !== undefined) await rmdir(dir).catch(() => undefined);
  }
}

const EMPTY_IMPORT: ImportResult = { inputs: [], inserted: 0, updated: 0, unchanged: 0, skipped: [], warnings: [], warningsDropped: 0 };
