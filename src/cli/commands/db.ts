import { pullVerifiedDb, pushDb, pushSignedDb, type PushResult, type SignedPushResult } from '../../engine/db-artifact.js';
import { readKeyFiles, type SignLayout } from '../../engine/trust/index.js';
import { signingKey } from './signing-key.js';
import { loadPolicy, openKeyStoreFromEnv, type PassphraseFlags } from './trust-shared.js';
import { refreshEolData } from '../../hygiene/eol.js';
import { dbStatus, defaultDbPath, describeLocation, importPaths, isPostgresLocation, update, type UpdateFeed, type UpdateOptions } from '../../vuln/index.js';
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
  photonUrl?: string;
  oracleUrl?: string;
  kevUrl?: string;
  epssUrl?: string;
  amazonUrl?: string;
  eolUrl?: string;
  offline?: boolean;
}

export interface DbStatusOptions extends DbCommonOptions {
  maxAge?: string;
}

export interface DbArtifactCommandOptions extends DbCommonOptions, RegistryFlags {}

export interface DbPushOptions extends DbArtifactCommandOptions, PassphraseFlags {
  sign?: boolean;
  /** The signing key (a store key id or a private key file; default the store's repository key). */
  key?: string;
  layout?: string;
}

export interface DbPullOptions extends DbArtifactCommandOptions {
  /** Public key files whose signature is required instead of the trust store's keys. */
  key?: string[];
  policy?: string;
  insecureSkipVerify?: boolean;
}

/** The loud warning of `--insecure-skip-verify`: a tampered database hides vulnerabilities without a trace. */
export function skipVerifyWarning(reference: string): string {
  return `portcullis: WARNING: --insecure-skip-verify: the advisory database from ${reference} is used WITHOUT verifying its signature; a tampered database can hide every vulnerability.\n`;
}

function dbPathOf(options: DbCommonOptions, io: OutputStreams): string {
  return options.db ?? defaultDbPath(io.env);
}

/** What output calls the database: the path, or the PostgreSQL URL without its password. */
const shown = describeLocation;


const ADVISORY_UNIT = { singular: 'advisory', plural: 'advisories' } as const;

/** What `db update` (and a first `scan`) downloads by default: every feed, exploitation data included. */
export const FEEDS: readonly UpdateFeed[] = ['osv', 'alpine', 'debian', 'nvd', 'photon', 'amazon', 'oracle', 'kev', 'epss'];
/** Not an advisory feed: the end-of-life dates `lint` uses, refreshed from the endoflife.date API format. */
const EOL_FEED = 'eol';

/**
 * The feed mirrors: the flags, else PORTCULLIS_OSV_URL, PORTCULLIS_ALPINE_URL,
 * PORTCULLIS_DEBIAN_URL, PORTCULLIS_NVD_URL, PORTCULLIS_PHOTON_URL, … PORTCULLIS_AMAZON_URL, PORTCULLIS_ORACLE_URL (so a site's mirrors, set once,
 * serve `db update` and the download a first `scan` makes), else upstream.
 */
export function feedBaseUrls(
  flags: Pick<DbUpdateOptions, 'osvUrl' | 'alpineUrl' | 'debianUrl' | 'nvdUrl' | 'photonUrl' | 'kevUrl' | 'epssUrl' | 'amazonUrl' | 'oracleUrl'>,
  env: NodeJS.ProcessEnv,
): NonNullable<UpdateOptions['baseUrls']> {
  const pick = (flag: string | undefined, name: string): string | undefined => flag || env[name] || undefined;
  const urls = {
    osv: pick(flags.osvUrl, 'PORTCULLIS_OSV_URL'),
    alpine: pick(flags.alpineUrl, 'PORTCULLIS_ALPINE_URL'),
    debian: pick(flags.debianUrl, 'PORTCULLIS_DEBIAN_URL'),
    nvd: pick(flags.nvdUrl, 'PORTCULLIS_NVD_URL'),
    photon: pick(flags.photonUrl, 'PORTCULLIS_PHOTON_URL'),
    oracle: pick(flags.oracleUrl, 'PORTCULLIS_ORACLE_URL'),
    kev: pick(flags.kevUrl, 'PORTCULLIS_KEV_URL'),
    epss: pick(flags.epssUrl, 'PORTCULLIS_EPSS_URL'),
    amazon: pick(flags.amazonUrl, 'PORTCULLIS_AMAZON_URL'),
  };
  const out: { -readonly [K in keyof typeof urls]?: string } = {};
  for (const [key, value] of Object.entries(urls) as [keyof typeof urls, string | undefined][]) if (value) out[key] = value;
  return out;
}

export async function dbUpdate(options: DbUpdateOptions, io: OutputStreams): Promise<number> {
  if (options.offline) throw new UsageError('db update downloads advisories; with --offline use "portcullis db import PATH…" or "portcullis db pull REF" from a local mirror');
  const dbPath = dbPathOf(options, io);
  const requested = options.feeds?.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of requested ?? []) {
    if (f !== EOL_FEED && !(FEEDS as readonly string[]).includes(f)) throw new UsageError(`--feeds takes a comma list of ${[...FEEDS, EOL_FEED].join(', ')}, not "${f}"`);
  }
  const refreshEol = requested === undefined || requested.includes(EOL_FEED);
  const feeds = requested?.filter((f) => f !== EOL_FEED);
  const baseUrls = feedBaseUrls(options, io.env);
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
      feeds: (feeds ?? FEEDS) as UpdateFeed[], // every feed by default, KEV and EPSS included (SQLite and PostgreSQL)
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
      dbPath: shown(dbPath),
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
      `${shown(dbPath)}: ${result.downloaded.length} downloaded, ${result.notModified.length} not modified; ${imp.inserted} inserted, ${imp.updated} updated, ${imp.unchanged} unchanged, ${imp.skipped.length} skipped\n`,
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
    writeJson(io.stdout, { dbPath: shown(dbPath), ...result });
  } else if (!options.quiet) {
    const exploit = result.inputs.filter((i) => i.format === 'kev' || i.format === 'epss').map((i) => `; ${i.format === 'kev' ? 'CISA KEV' : 'EPSS'}: ${i.advisories} CVEs`);
    io.stdout.write(`${shown(dbPath)}: ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped.length} skipped${exploit.join('')}\n`);
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
  else if (!status.exists) io.stdout.write(`${shown(dbPath)}: no advisory database\n`);
  else {
    const paint = painter(colorEnabled(io.stdout, io.env));
    io.stdout.write(`${shown(dbPath)} (schema v${status.schemaVersion}): ${plural(status.advisories, ADVISORY)}, ${status.affected} affected ${status.affected === 1 ? 'entry' : 'entries'}; last update ${status.lastUpdate ?? 'never'}\n\n`);
    // KEV and EPSS hold CVEs, not advisories: their row counts stand in the ADVISORIES column.
    const exploitRows: Record<string, number | undefined> = { kev: status.exploitation?.kev?.entries, epss: status.exploitation?.epss?.scores };
    const count = (feed: string, advisories: number): string => (feed in exploitRows ? `${exploitRows[feed] ?? 0} CVEs` : String(advisories));
    const rows = status.sources.map((s) => [s.feed, count(s.feed, s.advisories), String(s.affected), s.lastImport ?? '-', s.dataDate ?? '-', s.stale ? paint('yellow', 'stale') : 'ok']);
    io.stdout.write(renderTable(['FEED', 'ADVISORIES', 'AFFECTED', 'LAST IMPORT', 'DATA DATE', 'STATE'], rows, paint));
  }
  if (!status.exists) {
    io.stderr.write(`portcullis: warning: no advisory database at ${shown(dbPath)}: run "portcullis db update" (or "portcullis db import PATH…")\n`);
  } else if (status.stale) {
    io.stderr.write(`portcullis: warning: the advisory database is older than ${options.maxAge ?? '7d'} (last update ${status.lastUpdate ?? 'never'}): run "portcullis db update"\n`);
  }
  return ExitCode.Ok;
}

/** `db push` and `db pull` move a SQLite file; a PostgreSQL store is filled by `db import` or `db update`. */
function sqliteOnly(dbPath: string, command: string): string {
  if (isPostgresLocation(dbPath)) throw new UsageError(`db ${command} moves a SQLite database file: --db postgres://… is filled by "portcullis db update" or "portcullis db import"`);
  return dbPath;
}

export async function dbPush(reference: string, options: DbPushOptions, io: OutputStreams): Promise<number> {
  const dbPath = sqliteOnly(dbPathOf(options, io), 'push');
  const context = systemContext(options, io);
  if (!options.sign && (options.key !== undefined || options.layout !== undefined)) throw new UsageError('--key and --layout go with --sign');
  const layout = parseFormat(options.layout, ['tag', 'bundle', 'both'] as const, 'both') as SignLayout;
  const signer = options.sign ? await signingKey(options.key, options, io) : undefined;
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  const onProgress = (phase: string): void => bar.update({ phase, value: 0, unit: 'bytes' });
  const result: PushResult | SignedPushResult = await (signer ? pushSignedDb(dbPath, reference, context, { key: signer.key, layout, onProgress }) : pushDb(dbPath, reference, context, { onProgress })).finally(() => bar.stop());
  const signature = 'signature' in result ? (result as SignedPushResult).signature : undefined;
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') writeJson(io.stdout, result);
  else if (!options.quiet) {
    io.stdout.write(`pushed ${dbPath} to ${reference}@${result.manifestDigest} (${formatBytes(result.layer.size)} compressed)\n`);
    if (signature) io.stdout.write(`signed ${signature.repository}@${signature.digest} with key ${signature.keyId.slice(0, 12)} (${signature.pushed.map((p) => p.layout).join(' + ')} layout)\n`);
  }
  return ExitCode.Ok;
}

export async function dbPull(reference: string, options: DbPullOptions, io: OutputStreams): Promise<number> {
  const dbPath = sqliteOnly(dbPathOf(options, io), 'pull');
  const context = systemContext(options, io);
  if (options.insecureSkipVerify) {
    if (options.key?.length || options.policy) throw new UsageError('--insecure-skip-verify verifies nothing: it cannot go with --key or --policy');
    io.stderr.write(skipVerifyWarning(reference));
  }
  const keyFiles = await readKeyFiles(options.key ?? []);
  const loaded = options.insecureSkipVerify || (keyFiles.length > 0 && !options.policy) ? { keys: [] } : await loadPolicy(options.policy, io.env);
  const bar = new PhaseProgress(io.stderr, !options.quiet);
  const result = await pullVerifiedDb(reference, dbPath, context, {
    ...(options.insecureSkipVerify ? { skipVerify: true } : {}),
    trust: { store: openKeyStoreFromEnv(io.env), keyFiles, ...(loaded.policy ? { policy: loaded.policy } : {}), policyKeys: loaded.keys },
    onProgress: (phase, bytes) => bar.update({ phase, value: bytes ?? 0, unit: 'bytes' }),
  }).finally(() => bar.stop());
  for (const w of result.warnings) io.stderr.write(`portcullis: warning: ${w}\n`);
  if (parseFormat(options.format, ['text', 'json'] as const, 'text') === 'json') writeJson(io.stdout, result);
  else if (!options.quiet) {
    const how = result.verification ? `verified (policy ${result.verification.policy.entry})` : 'NOT verified';
    io.stdout.write(`pulled ${reference}@${result.manifestDigest} into ${dbPath} (${formatBytes(result.bytes)}), ${how}\n`);
  }
  return ExitCode.Ok;
}
