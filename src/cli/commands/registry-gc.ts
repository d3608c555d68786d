/**
 * `portcullis registry gc [--dry-run]`: garbage collection of a `portcullis serve` registry, two ways.
 * - Against a running server (`--server URL`, or PORTCULLIS_SERVER): asks its admin API (`POST /api/v1/gc`) to run, and prints the
 *   report it answers. This is the way while the registry serves.
 * - Offline (an offline flag such as `--root` or `--config`): opens the data folder (or the S3 bucket and
 *   PostgreSQL database) with the same flags and configuration file `serve` takes and runs the collector in this process. The protocol is safe beside a running
 *   server on the same stores (docs/serve.md "Garbage collection"), but the server's own scheduled runs
 *   and its API are the intended way; offline is for a stopped registry (before a backup, after a crash).
 * Either way the output is the report: what went (or, with --dry-run, would go) and the bytes.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryAdminError } from './registry-admin.js';
import type { GcReport } from '../../server/index.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, writeJson, type OutputStreams } from '../output.js';
import { resolveServeSettings, toRegistryConfig } from './serve-config.js';

export interface RegistryGcOptions {
  dryRun?: boolean;
  json?: boolean;
  /** The running registry (`--server`, or its older name `--url`; default $PORTCULLIS_SERVER only when no offline flag is given). */
  server?: string;
  url?: string;
  /** Offline: serve's configuration file, for the stores and the lifecycle settings. */
  config?: string;
  creds?: string;
  root?: string;
  storage?: string;
  s3Endpoint?: string;
  s3Region?: string;
  metadata?: string;
  projectSettings?: string;
  untaggedRetention?: string;
  grace?: string;
}

/** Flags that only an offline run reads. */
const OFFLINE_FLAGS = ['config', 'root', 'storage', 's3Endpoint', 's3Region', 'metadata', 'projectSettings', 'untaggedRetention', 'grace'] as const;

/** Entries printed per list without --json. */
const SHOWN = 50;

export async function registryGc(options: RegistryGcOptions, io: OutputStreams): Promise<number> {
  if (options.server !== undefined && options.url !== undefined) throw new UsageError('--server and --url are the same option: give one');
  const offlineFlags = OFFLINE_FLAGS.some((flag) => options[flag] !== undefined);
  const server = options.server ?? options.url ?? (offlineFlags ? undefined : io.env.PORTCULLIS_SERVER);
  const report = server !== undefined ? await online(options, server, io) : await offline(options, io);
  if (options.json) writeJson(io.stdout, report);
  else io.stdout.write(describe(report));
  return ExitCode.Ok;
}

async function online(options: RegistryGcOptions, base: string, io: OutputStreams): Promise<GcReport> {
  for (const flag of OFFLINE_FLAGS) {
    if (options[flag] !== undefined) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for offline runs; with --server the server's own settings apply`);
  }
  let url: URL;
  try {
    url = new URL(`api/v1/gc${options.dryRun ? '?dryRun=true' : ''}`, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new UsageError(`--server takes the registry's address, such as http://127.0.0.1:5000, not "${base}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server takes an http:// or https:// address, not "${base}"`);
  const fromEnv = io.env.PORTCULLIS_USERNAME && io.env.PORTCULLIS_PASSWORD !== undefined ? `${io.env.PORTCULLIS_USERNAME}:${io.env.PORTCULLIS_PASSWORD}` : undefined;
  const creds = options.creds ?? io.env.PORTCULLIS_REGISTRY_CREDS ?? fromEnv;
  if (creds !== undefined && !creds.includes(':')) throw new UsageError('--creds takes USER:PASSWORD');
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: creds !== undefined ? { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } : {} });
  } catch (error) {
    throw new RegistryAdminError('UNREACHABLE', `cannot reach ${url.origin}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { errors?: Array<{ message?: string }> }).errors?.[0]?.message ?? message;
    } catch {
      // not JSON: the text itself
    }
    const code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'DENIED' : response.status === 404 ? 'NOT_FOUND' : 'SERVER';
    throw new RegistryAdminError(code, `${url.origin} refused garbage collection (${response.status}): ${message}${response.status === 404 ? ' (a portcullis serve too old for /api/v1/gc?)' : ''}`);
  }
  return JSON.parse(text) as GcReport;
}

async function offline(options: RegistryGcOptions, io: OutputStreams): Promise<GcReport> {
  if (options.creds !== undefined) throw new UsageError('--creds goes with --server');
  // The same settings serve reads (flags > environment > --config file > defaults), so the same stores.
  const settings = await resolveServeSettings(
    {
      ...(options.config !== undefined ? { config: options.config } : {}),
      ...(options.root !== undefined ? { root: options.root } : {}),
      ...(options.storage !== undefined ? { storage: options.storage } : {}),
      ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
      ...(options.s3Region !== undefined ? { s3Region: options.s3Region } : {}),
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
      ...(options.projectSettings !== undefined ? { projectSettings: options.projectSettings } : {}),
      ...(options.untaggedRetention !== undefined ? { untaggedRetention: options.untaggedRetention } : {}),
      ...(options.grace !== undefined ? { gcGrace: options.grace } : {}),
      scan: false,
    },
    io.env,
  );
  const config = await toRegistryConfig(settings, { ...io, stdout: io.stderr });
  const { openBlobStore, openMetadataStore, runGc } = await import('../../server/index.js');
  // Never create an empty registry where the user meant an existing one.
  if (config.metadataUrl === undefined && !(await exists(join(config.root, 'registry.sqlite')))) {
    throw new UsageError(`no registry in ${config.root} (no registry.sqlite): give the --root (or --config) that portcullis serve uses, or --metadata for PostgreSQL`);
  }
  const blobs = await openBlobStore(config);
  try {
    const metadata = await openMetadataStore(config);
    try {
      return await runGc(
        { blobs, metadata },
        {
          dryRun: options.dryRun === true,
          ...(config.projectSettings ? { projects: config.projectSettings } : {}),
          ...(config.gc?.untaggedRetentionMs !== undefined ? { untaggedRetentionMs: config.gc.untaggedRetentionMs } : {}),
          ...(config.gc?.graceMs !== undefined ? { graceMs: config.gc.graceMs } : {}),
        },
      );
    } finally {
      await metadata.close();
    }
  } finally {
    await blobs.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function describe(report: GcReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `Garbage collection${report.dryRun ? ' (dry run: nothing was deleted)' : ''}: ${verb} ${count(report.manifestsDeleted, 'manifest')}, ${count(report.tagsDeleted, 'tag')} and ${count(report.blobsDeleted, 'blob')} (${formatBytes(report.bytesFreed)}); ${count(report.repositories, 'repository', 'repositories')} looked at in ${(report.durationMs / 1000).toFixed(1)} s.`,
  ];
  if (report.orphansDeleted > 0) lines.push(`  ${count(report.orphansDeleted, 'blob')} of them stored without metadata (left by a crash).`);
  if (report.claimsFinished > 0) lines.push(`  Finished ${count(report.claimsFinished, 'deletion')} an interrupted run had started.`);
  if (report.skippedRepositories.length > 0) lines.push(`  Skipped (changed while being looked at; the next run retries): ${report.skippedRepositories.join(', ')}`);
  const section = (title: string, items: readonly string[], total: number): void => {
    if (total === 0) return;
    lines.push(`${title}:`);
    for (const item of items.slice(0, SHOWN)) lines.push(`  ${item}`);
    if (total > Math.min(items.length, SHOWN)) lines.push(`  … and ${total - Math.min(items.length, SHOWN)} more (--json lists up to 1,000 of each)`);
  };
  section('Manifests', report.deleted.manifests.map((m) => `${m.repository}@${m.digest} (${m.reason})`), report.manifestsDeleted);
  section('Tags', report.deleted.tags.map((t) => `${t.repository}:${t.tag} (${t.digest})`), report.tagsDeleted);
  section('Blobs', report.deleted.blobs.map((b) => `${b.digest}${b.size !== undefined ? ` ${formatBytes(b.size)}` : ''}${b.orphan ? ' (no metadata)' : ''}`), report.blobsDeleted);
  return `${lines.join('\n')}\n`;
}

function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
