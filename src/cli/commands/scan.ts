import { existsSync } from 'node:fs';
import { plural, VULNERABILITY, SEVERITY_LEVELS, appendAll } from '../../core/index.js';
import { loadIgnoreFile, type IgnoreFile } from '../../engine/ignore.js';
import { scanTarget, type ScanTarget, loadVex, type VexStatement } from '../../engine/scan.js';
import { canonicalImageName } from '../../engine/index.js';
import { cliLayerCache, type LayerCacheStore } from '../../engine/layer-cache.js';
import type { ReportWriter } from '../../report/index.js';
import { defaultDbPath } from '../../vuln/index.js';
import { parseSeverityOrder } from '../../vuln/match/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, TransferProgress, type OutputStreams } from '../output.js';
import { incompleteExit } from './incomplete.js';
import { prepareScanDatabase, type ScanDatabaseFlags } from './scan-database.js';
import { parseExitCodeFlag, parseSeverityList, writeOutputFile } from './shared.js';
import { WALK_CAP_NAMES, walkCapsOf, type WalkCapFlags } from './walk-caps.js';

export interface ScanOptions extends RegistryFlags, ScanDatabaseFlags, WalkCapFlags {
  sbom?: string;
  rootfs?: string;
  db?: string;
  offline?: boolean;
  format?: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  exitCode?: string;
  ignorefile?: string;
  vex?: string[];
  maxAge?: string;
  quiet?: boolean;
  allowIncomplete?: boolean;
  kev?: boolean;
  epssThreshold?: string;
  severitySource?: string;
}

/** `--epss-threshold`: a probability from 0 to 1 (`0.1`), or a percentage (`10%`). */
export function parseEpssThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(value);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--epss-threshold takes a probability from 0 to 1 (or a percentage such as 10%), not "${value}"`);
  return n;
}




/** The writer for `--format`, from the one list in src/report/all.ts (loaded only when asked). */
export async function reportWriter(format: string): Promise<ReportWriter> {
  const { writerFor } = await import('../../report/all.js');
  return writerFor(format);
}

export async function scan(image: string | undefined, options: ScanOptions, io: OutputStreams): Promise<number> {
  const targets = [image, options.sbom, options.rootfs].filter((t) => t !== undefined);
  if (targets.length !== 1) throw new UsageError('scan takes exactly one target: IMAGE, --sbom FILE or --rootfs DIR');
  const format = options.format ?? 'table';
  const writer = await reportWriter(format);
  const severities = parseSeverityList(options.severity, SEVERITY_LEVELS);
  const epssThreshold = parseEpssThreshold(options.epssThreshold);
  const limits = walkCapsOf(options, io.env);
  let severityOrder: string[] | undefined;
  try {
    severityOrder = options.severitySource === undefined ? undefined : parseSeverityOrder(options.severitySource);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const exploitGate = options.kev === true || epssThreshold !== undefined;
  // An exploitation gate is asked to fail: without --exit-code it exits 1 (ExitCode.Findings).
  const exitCode = options.exitCode === undefined && exploitGate ? ExitCode.Findings : parseExitCodeFlag(options.exitCode);
  let ignore: IgnoreFile | undefined;
  if (options.ignorefile !== undefined) ignore = await loadIgnoreFile(options.ignorefile);
  else if (existsSync('.portcullisignore')) ignore = await loadIgnoreFile('.portcullisignore');
  const vex: VexStatement[] = [];
  for (const file of options.vex ?? []) appendAll(vex, await loadVex(file));

  const dbPath = options.db ?? defaultDbPath(io.env);
  const maxAgeDays = await prepareScanDatabase(dbPath, options, io);

  let target: ScanTarget;
  let progress: TransferProgress | undefined;
  let layerCache: LayerCacheStore | undefined;
  if (image !== undefined) {
    const context = systemContext(options, io);
    layerCache = cliLayerCache(context);
    progress = new TransferProgress(io.stderr, !options.quiet);
    context.onProgress = progress.onProgress;
    target = { kind: 'image', name: await canonicalImageName(image), context, ...(context.platform ? { platform: context.platform } : {}) };
  } else if (options.sbom !== undefined) target = { kind: 'sbom', path: options.sbom };
  else target = { kind: 'rootfs', path: options.rootfs! };

  let outcome;
  try {
    outcome = await scanTarget(target, {
      dbPath,
      maxAgeDays,
      ...(severities ? { severities } : {}),
      ...(options.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
      ...(ignore ? { ignore } : {}),
      ...(vex.length ? { vex } : {}),
      ...(options.offline ? { offline: true } : {}),
      ...(options.kev ? { kev: true } : {}),
      ...(severityOrder ? { severityOrder } : {}),
      ...(epssThreshold !== undefined ? { epssThreshold } : {}),
      ...(layerCache ? { layerCache } : {}),
      limits,
      limitNames: WALK_CAP_NAMES,
    });
  } finally {
    progress?.stop();
  }
  const color = writer.format === 'table' && !options.output && colorEnabled(io.stdout, io.env);
  const text = writer.write(outcome.result, { color });
  if (options.output) await writeOutputFile(options.output, text, { human: writer.format === 'table' || writer.format === 'markdown' });
  else io.stdout.write(text);
  if (!options.quiet) for (const w of outcome.result.warnings) io.stderr.write(`portcullis: warning: ${w}\n`);
  const incomplete = incompleteExit(outcome.result.incomplete, 'scan', options, io);
  if (incomplete !== undefined) return incomplete;
  const failing = outcome.gate.failing;
  if (exitCode !== 0 && failing.length > 0) {
    const which = exploitGate ? ` ${[options.kev ? 'known exploited (CISA KEV)' : '', epssThreshold !== undefined ? `EPSS ≥ ${epssThreshold}` : ''].filter(Boolean).join(' or ')}` : '';
    if (!options.quiet) io.stderr.write(`portcullis: ${plural(failing.length, VULNERABILITY)}${which} ${failing.length === 1 ? 'remains' : 'remain'} after filters (exit code ${exitCode})\n`);
    return exitCode;
  }
  return ExitCode.Ok;
}

