/**
 * `--format table`: for people. Findings are grouped by target — the OS
 * packages first, then each language target (the manifest, lock file or
 * binary they were found in) — and ordered by severity, then package, then
 * id. Each row has the fixed version and the link. Colour only when asked
 * (the CLI asks on a terminal, never when piped or with NO_COLOR), as marks
 * that the CLI's terminal gate turns into ANSI: with colour, the text is
 * meant for `terminalText` (src/report/terminal.ts), not for a file.
 */
import { type SeverityLevel, compareFindings, SEVERITY_ORDER, type Finding, type ScanResult, plural, VULNERABILITY } from '../../core/index.js';
import { exploitCell, hasExploitData } from '../exploit.js';
import { escapeCell, sgr, visibleLength } from '../terminal.js';
import type { ReportOptions, ReportWriter } from '../writer.js';

export interface TableWriteOptions {
  readonly color?: boolean;
  /** Show suppressed findings in their own section (default true). */
  readonly showSuppressed?: boolean;
}

const OS_CATALOGERS = new Set(['dpkg', 'apk', 'rpm']);
const STYLE: Record<string, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], magenta: [35, 39], yellow: [33, 39], blue: [34, 39], cyan: [36, 39], green: [32, 39] };
const SEVERITY_STYLE: Record<SeverityLevel, string> = { CRITICAL: 'magenta', HIGH: 'red', MEDIUM: 'yellow', LOW: 'blue', NEGLIGIBLE: 'dim', UNKNOWN: 'dim' };

/** Colour as marks that the CLI's terminal gate turns into ANSI (src/report/terminal.ts). */
function paint(on: boolean, style: string, text: string): string {
  const s = STYLE[style];
  return on && s ? `${sgr(s[0])}${text}${sgr(s[1])}` : text;
}

const visible = visibleLength;

function table(header: readonly string[], cells: readonly (readonly string[])[], color: boolean): string {
  // Package names, versions and reasons come from images and feeds: a newline in one must not forge a row.
  const rows = cells.map((row) => row.map(escapeCell));
  const widths = header.map((h, i) => {
    let width = visible(h);
    for (const r of rows) width = Math.max(width, visible(r[i] ?? ''));
    return width;
  });
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('  ')
      .trimEnd();
  return [paint(color, 'bold', line(header)), ...rows.map(line)].join('\n');
}

function groupName(f: Finding, result: ScanResult): string {
  if (OS_CATALOGERS.has(f.package.foundBy)) {
    const os = result.os ? (result.os.prettyName ?? `${result.os.id} ${result.os.versionId ?? ''}`.trim()) : 'unknown distribution';
    return `OS packages (${os})`;
  }
  return `${f.package.path} (${f.package.foundBy})`;
}

function counts(findings: readonly Finding[]): string {
  const by = new Map<SeverityLevel, number>();
  for (const f of findings) by.set(f.severity, (by.get(f.severity) ?? 0) + 1);
  return SEVERITY_ORDER.filter((s) => by.has(s))
    .map((s) => `${s}: ${by.get(s)}`)
    .join(', ');
}

function packageLabel(f: Finding): string {
  const src = f.package.source?.name;
  return src && src !== f.package.name ? `${f.package.name} (${src})` : f.package.name;
}

/** "advisories updated 2026-12-01, 5 days before the scan", from the result alone (writers have no clock). */
function databaseAge(result: ScanResult): string {
  const updated = result.database?.updatedAt;
  if (!updated) return result.database ? 'advisory database: update time unknown' : 'no advisory database recorded';
  const days = Math.floor((Date.parse(result.scannedAt) - Date.parse(updated)) / 86_400_000);
  const age = Number.isFinite(days) && days >= 0 ? (days === 0 ? 'the day of the scan' : `${plural(days, 'day')} before the scan`) : 'at an unknown time';
  return `advisories updated ${updated.slice(0, 10)}, ${age}`;
}

export function renderFindingsTable(result: ScanResult, options: TableWriteOptions = {}): string {
  const color = options.color ?? false;
  const active = result.findings.filter((f) => !f.suppressed);
  const suppressed = result.findings.filter((f) => f.suppressed);
  const out: string[] = [];
  // The title line, as the HTML and Markdown reports have one: what was scanned, against advisories of what age.
  out.push(paint(color, 'bold', `Vulnerability scan of ${result.target} (${databaseAge(result)})`));
  const os = result.os ? `${result.os.prettyName ?? `${result.os.id} ${result.os.versionId ?? ''}`.trim()}` : '';
  const identity = [result.image?.digest, os].filter((part) => part).join(' — ');
  if (identity) out.push(identity);
  const total = Object.values(result.packageCounts).reduce((a, b) => a + b, 0);
  out.push(
    `${plural(total, 'package')}, ${plural(active.length, VULNERABILITY)}${active.length ? ` (${counts(active)})` : ''}${suppressed.length ? `, ${suppressed.length} suppressed` : ''}`,
  );
  const incomplete = result.incomplete ?? [];
  if (incomplete.length > 0) {
    out.push('', paint(color, 'red', `INCOMPLETE SCAN: findings may be missing (${plural(incomplete.length, 'reason')}):`));
    for (const reason of incomplete) out.push(`  - ${reason}`);
  }
  const groups = new Map<string, Finding[]>();
  const osFirst = [...active].sort((a, b) => {
    const ao = OS_CATALOGERS.has(a.package.foundBy) ? 0 : 1;
    const bo = OS_CATALOGERS.has(b.package.foundBy) ? 0 : 1;
    return ao - bo || groupName(a, result).localeCompare(groupName(b, result));
  });
  for (const f of osFirst) {
    const key = groupName(f, result);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(f);
  }
  // EXPLOITED (CISA KEV, EPSS) and RATED BY only when the database gave exploitation data or a rating source.
  const exploited = hasExploitData(active);
  for (const [name, list] of groups) {
    list.sort(compareFindings);
    out.push('', `${paint(color, 'bold', name)}: ${list.length} (${counts(list)})`);
    const rows = list.map((f) => [
      paint(color, SEVERITY_STYLE[f.severity], f.severity),
      f.id,
      packageLabel(f),
      f.installedVersion,
      f.fixedVersion ?? (f.status === 'will-not-fix' ? '(will not fix)' : '(no fix yet)'),
      ...(exploited ? [f.kev ? paint(color, 'red', exploitCell(f)) : exploitCell(f)] : []),
      f.primaryUrl ?? '',
    ]);
    out.push(table(['SEVERITY', 'ID', 'PACKAGE', 'INSTALLED', 'FIXED IN', ...(exploited ? ['EXPLOITED'] : []), 'LINK'], rows, color));
  }
  if (suppressed.length > 0 && options.showSuppressed !== false) {
    out.push('', `${paint(color, 'bold', 'Suppressed')}: ${suppressed.length}`);
    const rows = [...suppressed]
      .sort(compareFindings)
      .map((f) => [f.id, packageLabel(f), f.installedVersion, f.suppressed!.by, f.suppressed!.justification ? `${f.suppressed!.justification}: ${f.suppressed!.reason}` : f.suppressed!.reason]);
    out.push(table(['ID', 'PACKAGE', 'INSTALLED', 'BY', 'REASON'], rows, color));
  }
  if (active.length === 0 && suppressed.length === 0) {
    out.push('', incomplete.length > 0 ? 'No vulnerabilities found in what could be read.' : paint(color, 'green', 'No vulnerabilities found.'));
  }
  return `${out.join('\n')}\n`;
}

export const tableWriter: ReportWriter = {
  format: 'table',
  mediaType: 'text/plain; charset=utf-8',
  write(result: ScanResult, options: ReportOptions = {}): string {
    return renderFindingsTable(result, { color: options.color ?? false });
  },
};
