/**
 * `portcullis registry gc [--dry-run]`: garbage collection of a `portcullis serve` registry, two ways.
 * - Against a running server (`--url`): asks its admin API (`POST /api/v1/gc`) to run, and prints the
 *   report it answers. This is the way while the registry serves.
 * - Offline (no `--url`): opens the data folder (or the S3 bucket and PostgreSQL database) with the same
 *   flags `serve` takes and runs the collector in this process. The protocol is safe beside a running
 *   server on the same stores (docs/serve.md "Garbage collection"), but the server's own scheduled runs
 *   and its API are the intended way; offline is for a stopped registry (before a backup, after a crash).
 * Either way the output is the report: what went (or, with --dry-run, would go) and the bytes.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from '../../http/index.js';
import type { GcReport } from '../../server/gc/index.js';
import { UsageError } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, writeJson, type OutputStreams } from '../output.js';
import { defaultRoot, duration, loadProjectSettings, storageConfig } from './serve.js';

export interface RegistryGcOptions {
  dryRun?: boolean;
  json?: boolean;
  url?: string;
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

/** Entries printed per list without --json. */
const SHOWN = 50;

export async function registryGc(options: RegistryGcOptions, io: OutputStreams): Promise<number> {
  const report = options.url !== undefined ? await online(options, options.url, io) : await offline(options, io);
  if (options.json) writeJson(io.stdout, report);
  else io.stdout.write(describe(report));
  return ExitCode.Ok;
}

async function online(options: RegistryGcOptions, base: string, io: OutputStreams): Promise<GcReport> {
  for (const flag of ['root', 'storage', 'metadata', 'projectSettings', 'untaggedRetention', 'grace'] as const) {
    if (options[flag] !== undefined) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for offline runs; with --url the server's own settings apply`);
  }
  let url: URL;
  try {
    url = new URL(`api/v1/gc${options.dryRun ? '?dryRun=true' : ''}`, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new UsageError(`--url takes the registry's address, such as http://127.0.0.1:5000, not "${base}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url takes an http:// or https:// address, not "${base}"`);
  const creds = options.creds ?? io.env.PORTCULLIS_REGISTRY_CREDS;
  if (creds !== undefined && !creds.includes(':')) throw new UsageError('--creds takes USER:PASSWORD');
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: creds !== undefined ? { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } : {} });
  } catch (error) {
    throw new HttpError('UNREACHABLE', `cannot reach ${url.origin}: ${(error as Error).message}`, { cause: error });
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
    throw new HttpError(code, `${url.origin} refused garbage collection (${response.status}): ${message}${response.status === 404 ? ' (a portcullis serve too old for /api/v1/gc?)' : ''}`);
  }
  return JSON.parse(text) as GcReport;
}

async function offline(options: RegistryGcOptions, io: OutputStreams): Promise<GcReport> {
  if (options.creds !== undefined) throw new UsageError('--creds goes with --url');
  const { openBlobStore, openMetadata } = await import('../../server/open.js');
  const { runGc } = await import('../../server/gc/index.js');
  const root = defaultRoot(options.root, io.env);
  const storage = storageConfig(options, io.env);
  if (options.metadata !== undefined && !/^postgres(ql)?:\/\//.test(options.metadata)) throw new UsageError('--metadata takes a postgres:// URL');
  // Never create an empty registry where the user meant an existing one.
  if (options.metadata === undefined && !(await exists(join(root, 'registry.sqlite')))) {
    throw new UsageError(`no registry in ${root} (no registry.sqlite): give the --root that portcullis serve uses, or --metadata for PostgreSQL`);
  }
  const projects = options.projectSettings !== undefined ? await loadProjectSettings(options.projectSettings) : undefined;
  const blobs = await openBlobStore({ root, storage });
  try {
    const metadata = await openMetadata({ root, ...(options.metadata !== undefined ? { metadataUrl: options.metadata } : {}) });
    try {
      return await runGc(
        { blobs, metadata },
        {
          dryRun: options.dryRun === true,
          ...(projects ? { projects } : {}),
          ...(options.untaggedRetention !== undefined ? { untaggedRetentionMs: options.untaggedRetention.trim() === '0' ? 0 : duration(options.untaggedRetention, '--untagged-retention', 1000) } : {}),
          ...(options.grace !== undefined ? { graceMs: options.grace.trim() === '0' ? 0 : duration(options.grace, '--grace', 1000) } : {}),
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
