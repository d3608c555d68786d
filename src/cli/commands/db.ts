import { pullDb, pushDb } from '../../engine/db-artifact.js';
import { refreshEolData } from '../../hygiene/eol.js';
import { dbStatus, defaultDbPath, importPaths, update, type UpdateFeed, type UpdateOptions } from '../../vuln/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { parseMaxAge, UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, renderTable, painter, colorEnabled, writeJson, PhaseProgress, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { plural, ADVISORY } from '../../core/index.js';

export interface DbCommonOptions {
  db?: string;
  quiet?: boolean;
  format?: string;
}

export interface DbUpdateOptions extends DbCommonOptions {
  feeds?: string;
  osvEcosystems?: string;
  osvUrl?: string;
  alpineUrl?: string;
  debianUrl?: string;
  nvdUrl?: string;
  kevUrl?: string;
  epssUrl?: string;
  eolUrl?: string;
  offline?: boolean;
}

export interface DbStatusOptions extends DbCommonOptions {
  maxAge?: string;
}

export interface DbArtifactCommandOptions extends DbCommonOptions, RegistryFlags {}

function dbPathOf(options: DbCommonOptions, io: OutputStreams): string {
  return options.db ?? defaultDbPath(io.env);
}

const ADVISORY_UNIT = { singular: 'advisory', plural: 'advisories' } as const;

const FEEDS: readonly UpdateFeed[] = ['osv', 'alpine', 'debian', 'nvd', 'kev', 'epss'];
/** Not an advisory feed: the end-of-life dates `lint` uses, refreshed from the endoflife.date API format. */
const EOL_FEED = 'eol';

export async function dbUpdate(options: DbUpdateOptions, io: OutputStreams): Promise<number> {
  if (options.offline) throw new UsageError('db update downloads advisories; with --offline use "portcullis db import PATH…" or "portcullis db pull REF" from a local mirror');
  const dbPath = dbPathOf(options, io);
  const requested = options.feeds?.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of requested ?? []) {
    if (f !== EOL_FEED && !(FEEDS as readonly string[]).includes(f)) throw new UsageError(`--feeds takes a comma list of ${[...FEEDS, EOL_FEED].join(', ')}, not "${f}"`);
  }
  const refreshEol = requested === undefined || requested.includes(EOL_FEED);
  const feeds = requested?.filter((f) => f !== EOL_FEED);
  const baseUrls: NonNullable<UpdateOptions['baseUrls']> = {
    ...(options.osvUrl ? { osv: options.osvUrl } : {}),
    ...(options.alpineUrl ? { alpine: options.alpineUrl } : {}),
    ...(options.debianUrl ? { debian: options.debianUrl } : {}),
    ...(options.nvdUrl ? { nvd: options.nvdUrl } : {}),
    ...(options.kevUrl ? { kev: options.kevUrl } : {}),
    ...(options.epssUrl ? { epss: options.epssUrl } : {}),
  };
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  let result;
  let eol: Awaited<ReturnType<typeof refreshEolData>> | undefined;
  try {
    if (refreshEol) {
      bar.update({ phase: 'download eol', value: 0, unit: 'bytes' });
      eol = await refreshEolData({ env: io.env, ...(options.eolUrl ? { baseUrl: options.eolUrl } : {}) });
    }
    result = await update(dbPath, {
      baseUrls,
      env: io.env,
      feeds: (feeds ?? FEEDS) as UpdateFeed[], // every feed by default, KEV and EPSS included
      ...(options.osvEcosystems ? { osvEcosystems: options.osvEcosystems.split(',').map((e) => e.trim()).filter(Boolean) } : {}),
      ...(io.env.NVD_API_KEY ? { nvdApiKey: io.env.NVD_API_KEY } : {}),
      onProgress: (p) => {
        if (p.phase === 'download') bar.update({ phase: `download ${p.feed}`, value: p.bytes ?? 0, ...(p.total !== undefined ? { total: p.total } : {}), unit: 'bytes' });
        else if (p.phase === 'import') bar.update({ phase: 'import', value: p.advisories ?? 0, unit: ADVISORY_UNIT });
      },
    });
  } finally {
    bar.stop();
  }
  const imp = result.import;
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') {
    writeJson(io.stdout, {
      dbPath,
      downloaded: result.downloaded,
      notModified: result.notModified,
      inserted: imp.inserted,
      updated: imp.updated,
      unchanged: imp.unchanged,
      skipped: imp.skipped.length,
      ...(eol ? { eol: { path: eol.path, refreshed: eol.refreshed, failed: eol.failed } } : {}),
    });
  } else if (!options.quiet) {
    io.stdout.write(
      `${dbPath}: ${result.downloaded.length} downloaded, ${result.notModified.length} not modified; ${imp.inserted} inserted, ${imp.updated} updated, ${imp.unchanged} unchanged, ${imp.skipped.length} skipped\n`,
    );
    if (eol) io.stdout.write(`${eol.path}: end-of-life dates of ${plural(eol.refreshed.length, 'product')} refreshed${eol.failed.length ? `, ${eol.failed.length} kept from before` : ''}\n`);
  }
  if (!options.quiet) reportSkips(imp.skipped, imp.warnings.length + imp.warningsDropped, io);
  return ExitCode.Ok;
}

function reportSkips(skipped: readonly { record: string; reason: string }[], warnings: number, io: OutputStreams): void {
  for (const s of skipped.slice(0, 20)) io.stderr.write(`portcullis: warning: skipped ${s.record}: ${s.reason}\n`);
  if (skipped.length > 20) io.stderr.write(`portcullis: warning: … and ${skipped.length - 20} more skipped records\n`);
  if (warnings > 0) io.stderr.write(`portcullis: ${warnings} import warnings (records kept); see --format json\n`);
}

export async function dbImport(paths: string[], options: DbCommonOptions, io: OutputStreams): Promise<number> {
  const dbPath = dbPathOf(options, io);
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  let result;
  try {
    result = await importPaths(dbPath, paths, {
      onProgress: (p) => bar.update({ phase: 'import', value: p.advisories, unit: ADVISORY_UNIT, files: p.files, detail: p.path.length > 40 ? `…${p.path.slice(-39)}` : p.path }),
    });
  } finally {
    bar.stop();
  }
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') {
    writeJson(io.stdout, { dbPath, ...result });
  } else if (!options.quiet) {
    const exploit = result.inputs.filter((i) => i.format === 'kev' || i.format === 'epss').map((i) => `; ${i.format === 'kev' ? 'CISA KEV' : 'EPSS'}: ${i.advisories} CVEs`);
    io.stdout.write(`${dbPath}: ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped.length} skipped${exploit.join('')}\n`);
  }
  if (!options.quiet) reportSkips(result.skipped, result.warnings.length + result.warningsDropped, io);
  return ExitCode.Ok;
}

export async function dbStatusCommand(options: DbStatusOptions, io: OutputStreams): Promise<number> {
  const dbPath = dbPathOf(options, io);
  const maxAgeDays = parseMaxAge(options.maxAge) ?? 7;
  const status = await dbStatus(dbPath, { maxAgeDays });
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  if (format === 'json') writeJson(io.stdout, { ...status, maxAgeDays });
  else if (!status.exists) io.stdout.write(`${dbPath}: no advisory database\n`);
  else {
    const paint = painter(colorEnabled(io.stdout, io.env));
    io.stdout.write(`${dbPath} (schema v${status.schemaVersion}): ${plural(status.advisories, ADVISORY)}, ${status.affected} affected ${status.affected === 1 ? 'entry' : 'entries'}; last update ${status.lastUpdate ?? 'never'}\n\n`);
    // KEV and EPSS hold CVEs, not advisories: their row counts stand in the ADVISORIES column.
    const exploitRows: Record<string, number | undefined> = { kev: status.exploitation?.kev?.entries, epss: status.exploitation?.epss?.scores };
    const count = (feed: string, advisories: number): string => (feed in exploitRows ? `${exploitRows[feed] ?? 0} CVEs` : String(advisories));
    const rows = status.sources.map((s) => [s.feed, count(s.feed, s.advisories), String(s.affected), s.lastImport ?? '-', s.dataDate ?? '-', s.stale ? paint('yellow', 'stale') : 'ok']);
    io.stdout.write(renderTable(['FEED', 'ADVISORIES', 'AFFECTED', 'LAST IMPORT', 'DATA DATE', 'STATE'], rows, paint));
  }
  if (!status.exists) {
    io.stderr.write(`portcullis: warning: no advisory database at ${dbPath}: run "portcullis db update" (or "portcullis db import PATH…")\n`);
  } else if (status.stale) {
    io.stderr.write(`portcullis: warning: the advisory database is older than ${options.maxAge ?? '7d'} (last update ${status.lastUpdate ?? 'never'}): run "portcullis db update"\n`);
  }
  return ExitCode.Ok;
}

export async function dbPush(reference: string, options: DbArtifactCommandOptions, io: OutputStreams): Promise<number> {
  const dbPath = dbPathOf(options, io);
  const context = systemContext(options, io);
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  const result = await pushDb(dbPath, reference, context, { onProgress: (phase) => bar.update({ phase, value: 0, unit: 'bytes' }) }).finally(() => bar.stop());
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') writeJson(io.stdout, result);
  else if (!options.quiet) io.stdout.write(`pushed ${dbPath} to ${reference}@${result.manifestDigest} (${formatBytes(result.layer.size)} compressed)\n`);
  return ExitCode.Ok;
}

export async function dbPull(reference: string, options: DbArtifactCommandOptions, io: OutputStreams): Promise<number> {
  const dbPath = dbPathOf(options, io);
  const context = systemContext(options, io);
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  const result = await pullDb(reference, dbPath, context, { onProgress: (phase, bytes) => bar.update({ phase, value: bytes ?? 0, unit: 'bytes' }) }).finally(() => bar.stop());
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') writeJson(io.stdout, result);
  else if (!options.quiet) io.stdout.write(`pulled ${reference}@${result.manifestDigest} into ${dbPath} (${formatBytes(result.bytes)})\n`);
  return ExitCode.Ok;
}
