/**
 * `portcullis lint TARGET`: hygiene checks on an image (any transport) or a
 * Dockerfile. A target is a Dockerfile when --dockerfile says so, or when it
 * is an existing file whose name contains Dockerfile/Containerfile or whose
 * first instruction is FROM/ARG (or a `# syntax=` directive); otherwise it
 * is an image name (a plain path to a layout or archive too: engine/open.ts).
 * A name that looks like a Dockerfile's but is not there is "not found", not
 * a malformed image reference.
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadIgnoreFile, type IgnoreFile } from '../../engine/ignore.js';
import { lintDockerfileFile, lintImage, loadLintConfig, type SuppressedFinding } from '../../engine/lint.js';
import { openSource } from '../../engine/index.js';
import { SEVERITIES, type HygieneFinding, type Severity, lintToSarif } from '../../hygiene/index.js';
import { findRule } from '../../hygiene/rules.js';
import { ImageError } from '../../image/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, renderTable, TransferProgress, type OutputStreams, type Painter } from '../output.js';
import { incompleteExit } from './incomplete.js';
import { parseExitCodeFlag, parseFormat, parseSeverityList, writeOutputFile } from './shared.js';
import { walkCapsOf, type WalkCapFlags } from './walk-caps.js';

export interface LintCommandOptions extends RegistryFlags, WalkCapFlags {
  dockerfile?: boolean;
  format?: string;
  output?: string;
  severity?: string;
  exitCode?: string;
  config?: string;
  ignorefile?: string;
  quiet?: boolean;
  allowIncomplete?: boolean;
  /** `--explain [RULE]`: handled before lint runs (lint-explain.ts). */
  explain?: string | boolean;
}

const FORMATS = ['table', 'json', 'sarif'] as const;
/** `Dockerfile`, `Containerfile`, `Dockerfile.dev`, `app.dockerfile`: names no image reference has. */
const DOCKERFILE_NAME = /(?:^|[.-])(?:docker|container)file(?:$|[.-])/i;



/** True when `target` names a Dockerfile on disk (by name, or by its first instruction). */
export async function looksLikeDockerfile(target: string): Promise<boolean> {
  const info = await stat(target).catch(() => undefined);
  if (!info?.isFile()) return false;
  if (/dockerfile|containerfile/i.test(basename(target))) return true;
  const handle = await open(target, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    for (const raw of head.toString('utf8').split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      if (/^#\s*syntax\s*=/i.test(line)) return true;
      if (line.startsWith('#')) continue;
      return /^(?:FROM|ARG)\s+\S/i.test(line);
    }
    return false;
  } finally {
    await handle.close();
  }
}

/** A build folder given to lint (`lint .`) is not an image: point at the Dockerfile in it, when there is one. */
function withDockerfileHint(error: unknown, target: string): unknown {
  if (!(error instanceof ImageError) || error.code !== 'PATH_UNRECOGNISED') return error;
  const inside = ['Dockerfile', 'Containerfile'].map((name) => join(target, name)).find((file) => existsSync(file));
  return inside ? new ImageError('PATH_UNRECOGNISED', `${error.message}; to lint its Dockerfile: portcullis lint ${inside}`, { cause: error }) : error;
}

function where(f: HygieneFinding): string {
  const l = f.location;
  if (l.kind === 'dockerfile') return `${l.file}:${l.line}:${l.column}`;
  const parts = [l.path ? `/${l.path}` : '', l.layer ? `layer ${l.layer.index}` : '', l.historyIndex !== undefined && !l.layer ? `history ${l.historyIndex}` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(' @ ') : 'config';
}

const SEVERITY_STYLE: Readonly<Record<Severity, Parameters<Painter>[0]>> = { CRITICAL: 'red', HIGH: 'red', MEDIUM: 'yellow', LOW: 'dim', INFO: 'dim' };

function renderTableReport(target: string, header: string, findings: readonly HygieneFinding[], suppressed: number, paint: Painter): string {
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  const summary = findings.length === 0 ? 'no findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts.map(([s, n]) => `${s} ${n}`).join(', ')})`;
  const lines = [`${paint('bold', target)}${header ? `\n${header}` : ''}`, `${summary}${suppressed ? `, ${suppressed} suppressed by the ignore file` : ''}`, ''];
  if (findings.length === 0) return `${lines.join('\n')}\n`;
  const rows = findings.map((f) => [paint(SEVERITY_STYLE[f.severity], f.severity), f.ruleId, where(f), f.message]);
  return `${lines.join('\n')}\n${renderTable(['SEVERITY', 'RULE', 'WHERE', 'MESSAGE'], rows, paint)}\nWhy and how to fix: portcullis lint --explain ${findings[0]?.ruleId ?? 'RULE'}\n`;
}

function findingJson(f: HygieneFinding): Record<string, unknown> {
  const rule = findRule(f.ruleId);
  return { ...f, ...(rule ? { title: rule.title, ...(rule.cis ? { cis: rule.cis } : {}), docs: `docs/lint-rules.md#${rule.docsAnchor}` } : {}) };
}

export async function lint(target: string, options: LintCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, FORMATS, 'table');
  const severities = parseSeverityList(options.severity, SEVERITIES);
  const exitCode = parseExitCodeFlag(options.exitCode);
  const limits = walkCapsOf(options, io.env);
  const { config } = await loadLintConfig(options.config);
  let ignore: IgnoreFile | undefined;
  if (options.ignorefile !== undefined) ignore = await loadIgnoreFile(options.ignorefile);
  else if (existsSync('.portcullisignore')) ignore = await loadIgnoreFile('.portcullisignore');

  const isDockerfile = options.dockerfile === true || (await looksLikeDockerfile(target));
  if ((isDockerfile || DOCKERFILE_NAME.test(basename(target))) && !existsSync(target)) {
    throw new ImageError('NOT_FOUND', `${target} does not exist (lint reads a Dockerfile by its path, or an image by name: oci:DIR, docker://HOST/REPO:TAG, …)`);
  }
  let findings: HygieneFinding[];
  let suppressed: SuppressedFinding[];
  let warnings: string[];
  let header = '';
  let extra: Record<string, unknown> = {};
  let incomplete: readonly string[] | undefined;
  if (isDockerfile) {
    const result = await lintDockerfileFile(target, { config, ...(ignore ? { ignore } : {}), env: io.env });
    ({ findings, suppressed, warnings } = result);
    header = 'Dockerfile';
  } else {
    const context = systemContext(options, io);
    const progress = new TransferProgress(io.stderr, !options.quiet);
    context.onProgress = progress.onProgress;
    const source = await openSource(target, context).catch((error: unknown) => {
      throw withDockerfileHint(error, target);
    });
    let result;
    try {
      result = await lintImage(source, { config, ...(ignore ? { ignore } : {}), ...(context.platform ? { platform: context.platform } : {}), env: io.env, limits });
    } finally {
      progress.stop();
      await source.close();
    }
    ({ findings, suppressed, warnings } = result);
    const img = result.image;
    header = [img.digest, img.os, img.platform, img.created ? `created ${img.created}` : ''].filter(Boolean).join(', ');
    if (result.incomplete?.length) header += `\nINCOMPLETE: the package inventory could not read everything (${result.incomplete.length} ${result.incomplete.length === 1 ? 'reason' : 'reasons'}, on stderr)`;
    extra = { image: img, ...(result.rebuild ? { rebuild: result.rebuild } : {}), ...(result.incomplete ? { incomplete: result.incomplete } : {}) };
    incomplete = result.incomplete;
  }
  if (severities) {
    const keep = new Set<string>(severities);
    findings = findings.filter((f) => keep.has(f.severity));
  }
  let text: string;
  if (format === 'json') {
    text = `${JSON.stringify(
      {
        schemaVersion: 1,
        target,
        kind: isDockerfile ? 'dockerfile' : 'image',
        ...extra,
        findings: findings.map(findingJson),
        suppressed: suppressed.map((s) => ({ ...findingJson(s.finding), suppressed: { by: s.by, reason: s.reason } })),
        warnings,
      },
      null,
      2,
    )}\n`;
  } else if (format === 'sarif') {
    text = `${JSON.stringify(lintToSarif(findings, { target, suppressed, ...(incomplete ? { incomplete } : {}) }), null, 2)}\n`;
  } else {
    text = renderTableReport(target, header, findings, suppressed.length, painter(!options.output && colorEnabled(io.stdout, io.env)));
  }
  if (options.output) await writeOutputFile(options.output, text, { human: format === 'table' });
  else io.stdout.write(text);
  if (!options.quiet) for (const w of warnings) io.stderr.write(`portcullis: warning: ${w}\n`);
  const failed = incompleteExit(incomplete, 'lint', options, io);
  if (failed !== undefined) return failed;
  if (exitCode !== 0 && findings.length > 0) {
    if (!options.quiet) io.stderr.write(`portcullis: ${findings.length} lint finding${findings.length === 1 ? ' remains' : 's remain'} after filters (exit code ${exitCode})\n`);
    return exitCode;
  }
  return ExitCode.Ok;
}

