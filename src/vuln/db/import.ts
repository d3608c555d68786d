/**
 * Importing local files or directory trees into the advisory database, the
 * format detected per file, all in one store transaction (see
 * store/sqlite.ts): it commits whole or not at all, so an interrupted import
 * leaves the previous database intact and usable.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { describeKind, UserFileError } from '../../core/index.js';
import { importExploitFile } from '../exploit/import.js';
import { looksLikeEpssName } from '../exploit/epss.js';
import { looksLikeKev } from '../exploit/kev.js';
import { alpineSecdbSource } from '../sources/alpine-secdb.js';
import { amazonUpdateinfoSource } from '../sources/amazon-updateinfo.js';
import { debianTrackerSource } from '../sources/debian-tracker.js';
import { walkFiles } from '../sources/files.js';
import { nvdSource } from '../sources/nvd.js';
import { compressionOf, decompressedHead } from '../sources/compressed-input.js';
import { oracleOvalSource } from '../sources/oracle-oval.js';
import { osvSource } from '../sources/osv.js';
import { photonSource } from '../sources/photon.js';
import type { AdvisorySink, Source } from '../sources/source.js';
import type { AdvisoryStore } from '../store/store.js';
import { UpsertBuffer } from '../store/upsert-buffer.js';
import { DbError } from './errors.js';
import { withStore } from './paths.js';
import { SeenRecords, supersedes } from './seen-records.js';

/** `kev` (CISA's catalog) and `epss` (FIRST's scores) fill the exploitation tables (src/vuln/exploit), not advisories. */
export type InputFormat = 'osv' | 'osv-zip' | 'alpine-secdb' | 'debian-tracker' | 'nvd' | 'photon' | 'kev' | 'epss' | 'amazon-updateinfo' | 'oracle-oval';

const SOURCES: Readonly<Record<Exclude<InputFormat, 'kev' | 'epss'>, Source>> = {
  osv: osvSource,
  'osv-zip': osvSource,
  'alpine-secdb': alpineSecdbSource,
  'debian-tracker': debianTrackerSource,
  nvd: nvdSource,
  photon: photonSource,
  'amazon-updateinfo': amazonUpdateinfoSource,
  'oracle-oval': oracleOvalSource,
};

/** Oracle's ELSA OVAL: an OVAL definitions document whose start names Oracle (`Oracle Errata System`, `com.oracle.elsa`). */
function looksLikeOracleOval(text: string): boolean {
  return /<(?:[\w-]+:)?oval_definitions[\s>]/.test(text) && /oracle/i.test(text);
}

function head(path: string, bytes = 4096): Buffer {
  // O_NONBLOCK: a FIFO swapped in since the walk saw a file reads short instead of blocking.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A yum updateinfo document (Amazon Linux's ALAS), gzipped or not: its root element, from the first 4 KiB. */
function looksLikeUpdateinfo(start: Buffer): boolean {
  let text: string;
  try {
    // Z_SYNC_FLUSH: the head of a gzip stream inflates without its end.
    text = start[0] === 0x1f && start[1] === 0x8b ? gunzipSync(start, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 }).subarray(0, 4096).toString('utf8') : start.toString('utf8');
  } catch {
    return false;
  }
  return /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<updates[\s>/]/.test(text);
}

/** Which importer reads this file, from its name and first 4 KiB; undefined when none does. */
export async function detectFileFormat(path: string): Promise<InputFormat | undefined> {
  const lower = path.toLowerCase();
  const start = head(path);
  if (looksLikeEpssName(lower)) return 'epss';
  if (lower.endsWith('.zip') || (start[0] === 0x50 && start[1] === 0x4b)) return 'osv-zip';
  if (/\.xml(\.bz2|\.gz)?$/.test(lower)) {
    if (!lower.endsWith('.bz2') && looksLikeUpdateinfo(start)) return 'amazon-updateinfo';
    // Oracle's ELSA OVAL, plain, gzip or bzip2: told by the decompressed start.
    const xml = compressionOf(path) === 'none' ? start : await decompressedHead(path);
    return looksLikeOracleOval(xml.toString('utf8')) ? 'oracle-oval' : undefined;
  }
  const text = start.toString('utf8');
  if (/\.ya?ml$/.test(lower)) {
    if (/^(distroversion|reponame|packages|apkurl):/m.test(text)) return 'alpine-secdb';
    if (/^id:/m.test(text)) return 'osv';
    return undefined;
  }
  if (!lower.endsWith('.json')) return undefined;
  if (looksLikeKev(text)) return 'kev';
  if (/"(vulnerabilities|resultsPerPage)"\s*:/.test(text) || /"(sourceIdentifier|vulnStatus)"\s*:/.test(text)) return 'nvd';
  if (/"(secfixes|distroversion|apkurl)"\s*:/.test(text)) return 'alpine-secdb';
  if (/^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE|TEMP)-[^"]*"\s*:\s*\{/.test(text)) return 'debian-tracker';
  if (/"cve_id"\s*:/.test(text) && /"(res_ver|aff_ver)"\s*:/.test(text)) return 'photon';
  if (/"id"\s*:/.test(text)) return 'osv';
  return undefined;
}

export interface ImportProgress {
  readonly phase: 'import';
  readonly path: string;
  readonly format: InputFormat;
  /** Advisories processed so far in this run. */
  readonly advisories: number;
  /** Files opened so far in this run, this one included (the total is not known ahead: directories are walked as read). */
  readonly files: number;
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
  readonly beforeCommit?: (store: AdvisoryStore) => Promise<void>;
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

export async function importInto(store: AdvisoryStore, paths: readonly string[], options: ImportOptions): Promise<ImportResult> {
  const maxWarnings = options.maxWarnings ?? 1000;
  const c: Collector = { inserted: 0, updated: 0, unchanged: 0, advisories: 0, skipped: [], warnings: [], warningsDropped: 0, changedFeeds: new Set(), seenFeeds: new Set() };
  let filesRead = 0;
  const inputs: InputSummary[] = [];
  const seen = new SeenRecords();
  const writes = new UpsertBuffer(store);
  const warn = (record: string, message: string): void => {
    if (c.warnings.length < maxWarnings) c.warnings.push({ record, message });
    else c.warningsDropped++;
  };
  const sink = (path: string, format: InputFormat): AdvisorySink => ({
    async advisory(a) {
      // Two inputs with one record key: the first wins unless the later one is newer (seen-records.ts).
      const first = seen.first(a);
      if (first && !supersedes(a, first)) {
        warn(`${path}: ${a.id}`, `the same record (${a.feed}${a.scope ? ` ${a.scope}` : ''}) was already imported from ${first.file} in this import; kept that one`);
        return;
      }
      seen.remember(a, path);
      // Counted when written: at once, or with its batch on a store that writes many at a time (upsert-buffer.ts).
      await writes.add(a, (r) => {
        c[r]++;
        c.advisories++;
        c.seenFeeds.add(a.feed);
        if (r !== 'unchanged') c.changedFeeds.add(a.feed);
        if (options.onProgress && c.advisories % 1000 === 0) options.onProgress({ phase: 'import', path, format, advisories: c.advisories, files: filesRead });
      });
    },
    skip(record, reason) {
      c.skipped.push({ record, reason });
    },
    warn,
  });
  const exploitDates: Record<string, string> = {};
  store.beginBulkLoad?.(); // a first import into an empty database builds its lookup indexes once, at the end
  try {
    for (const input of paths) {
      let info;
      try {
        info = await stat(input);
      } catch (error) {
        throw new DbError('INPUT_MISSING', `cannot read ${input}: ${(error as Error).message}`, { cause: error });
      }
      // A FIFO or device would block the first read forever: refused like every file the user names.
      if (!info.isDirectory() && !info.isFile()) throw new UserFileError('FILE_NOT_REGULAR', `${input} is not a regular file or a directory (it is ${describeKind(info)})`);
      const files = info.isDirectory() ? walkFiles(input) : (async function* () { yield input; })();
      for await (const file of files) {
        if (options.signal?.aborted) throw new DbError('ABORTED', 'import aborted', { cause: options.signal.reason });
        const format = await detectFileFormat(file);
        if (!format) {
          if (!info.isDirectory() || /\.(json|ya?ml|zip|csv|csv\.gz|xml|xml\.gz|xml\.bz2)$/i.test(file)) c.skipped.push({ record: file, reason: 'not a recognised advisory format (OSV, Alpine secdb, Debian tracker, NVD API 2.0, Photon CVE data, yum updateinfo, Oracle ELSA OVAL, CISA KEV, EPSS CSV)' });
          inputs.push({ path: file, format: 'unknown', advisories: 0, skipped: 1 });
          continue;
        }
        if (format === 'kev' || format === 'epss') {
          filesRead++;
          const done = await importExploitFile(store.exploitation(), file, format, options.signal);
          for (const message of done.warnings) sink(file, format).warn(file, message);
          c.seenFeeds.add(format);
          if (done.changed) c.changedFeeds.add(format);
          if (done.dataDate && !options.dataDates?.[format]) exploitDates[format] = done.dataDate;
          inputs.push({ path: file, format, advisories: done.rows, skipped: done.skipped });
          continue;
        }
        const source = SOURCES[format];
        filesRead++;
        options.onProgress?.({ phase: 'import', path: file, format, advisories: c.advisories, files: filesRead });
        const summary = await source.import(file, sink(file, format), { ...(options.signal ? { signal: options.signal } : {}) });
        c.seenFeeds.add(source.name);
        inputs.push({ path: file, format, advisories: summary.advisories, skipped: summary.skipped });
      }
    }
    await writes.flush();
  } finally {
    seen.close();
  }
  for (const feed of c.seenFeeds) {
    const dataDate = options.dataDates?.[feed] ?? exploitDates[feed];
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
 * database at `dbPath`, creating it if needed, in one transaction. A failed
 * import into a database it created removes it again.
 */
export async function importPaths(dbPath: string, paths: readonly string[], options: ImportOptions = {}): Promise<ImportResult> {
  return withStore(dbPath, (store) => store.transaction(() => importInto(store, paths, options)));
}
