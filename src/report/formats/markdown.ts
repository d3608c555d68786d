/**
 * `markdown`: a pull-request comment (GitHub/GitLab flavoured Markdown).
 * - a summary line: target, number of findings, how many have a fix;
 * - counts by severity (one table row);
 * - per target, a table ordered by severity: severity, id (linked), package,
 *   installed, fixed, status, title — inside a collapsible `<details>` when
 *   the target has more than COLLAPSE_AFTER findings (the first target with
 *   findings stays open); at most MAX_ROWS rows per target, then a count of
 *   the rest, to stay under GitHub's 65,536-character comment limit;
 * - suppressed findings counted, and listed in a closed `<details>`.
 * Cells are escaped (pipes, Markdown punctuation, HTML), links kept only
 * when they are http(s).
 */
import { appendAll, type Finding, type ScanResult } from '../../core/index.js';
import { exploitCell, hasExploitData } from '../exploit.js';
import { markdownCell as c, markdownLink } from '../escape.js';
import { countBySeverity, SEVERITY_ORDER, splitSuppressed } from '../severity.js';
import { groupByTarget } from '../targets.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

export const COLLAPSE_AFTER = 10;
export const MAX_ROWS = 100;

const ICON: Record<string, string> = {
  CRITICAL: '🟥',
  HIGH: '🟧',
  MEDIUM: '🟨',
  LOW: '🟦',
  NEGLIGIBLE: '⬜',
  UNKNOWN: '⬜',
};

/** The findings' table; an Exploited column (CISA KEV, EPSS) when the scan has such data. */
function table(findings: readonly Finding[], exploited: boolean): string[] {
  const lines = exploited
    ? ['| Severity | ID | Package | Installed | Fixed | Status | Exploited | Title |', '| --- | --- | --- | --- | --- | --- | --- | --- |']
    : ['| Severity | ID | Package | Installed | Fixed | Status | Title |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const f of findings.slice(0, MAX_ROWS)) {
    const exploitation = exploited ? ` ${c(exploitCell(f)) || '—'} |` : '';
    lines.push(
      `| ${ICON[f.severity] ?? ''} ${f.severity} | ${markdownLink(f.id, f.primaryUrl)} | ${c(f.package.name)} | ${c(f.installedVersion)} | ${f.fixedVersion ? c(f.fixedVersion) : '—'} | ${c(f.status)} |${exploitation} ${c(f.title ?? '')} |`,
    );
  }
  if (findings.length > MAX_ROWS) lines.push('', `… and ${findings.length - MAX_ROWS} more (see the full report).`);
  return lines;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function markdownReport(result: ScanResult, options: ReportOptions = {}): string {
  const { tool } = resolveOptions(result, options);
  const { active, suppressed } = splitSuppressed(result.findings);
  const counts = countBySeverity(active);
  const fixable = active.filter((f) => f.status === 'fixed' && f.fixedVersion).length;
  const out: string[] = [];
  out.push(`### Vulnerability scan: \`${result.target.replace(/`/g, "'")}\``, '');
  const incomplete = result.incomplete ?? [];
  if (incomplete.length > 0) {
    out.push(`⚠️ **Incomplete scan: findings may be missing.** ${c(incomplete.length === 1 ? '1 reason' : `${incomplete.length} reasons`)}:`, '');
    for (const reason of incomplete.slice(0, MAX_ROWS)) out.push(`- ${c(reason)}`);
    if (incomplete.length > MAX_ROWS) out.push(`- … and ${incomplete.length - MAX_ROWS} more (see the full report)`);
    out.push('');
  }
  if (active.length === 0 && incomplete.length > 0) {
    out.push(`**No vulnerabilities found in what could be read**${suppressed.length ? ` (${suppressed.length} suppressed)` : ''}.`, '');
  } else if (active.length === 0) {
    out.push(`✅ **No vulnerabilities found**${suppressed.length ? ` (${suppressed.length} suppressed)` : ''}.`, '');
  } else {
    out.push(
      `**${active.length} ${active.length === 1 ? 'vulnerability' : 'vulnerabilities'}** (${fixable} with a fix available)${suppressed.length ? `, ${suppressed.length} suppressed` : ''}.`,
      '',
    );
  }
  out.push(`| ${SEVERITY_ORDER.join(' | ')} |`, `| ${SEVERITY_ORDER.map(() => '---:').join(' | ')} |`, `| ${SEVERITY_ORDER.map((s) => counts[s]).join(' | ')} |`, '');

  let open = true;
  const exploited = hasExploitData(active);
  for (const target of groupByTarget(result, active)) {
    const heading = `${target.name} (${target.type}) — ${target.findings.length} ${target.findings.length === 1 ? 'finding' : 'findings'}`;
    if (target.findings.length > COLLAPSE_AFTER) {
      out.push(`<details${open ? ' open' : ''}>`, `<summary><b>${html(heading)}</b></summary>`, '');
      appendAll(out, table(target.findings, exploited));
      out.push('', '</details>', '');
    } else {
      out.push(`#### ${c(heading)}`, '');
      appendAll(out, table(target.findings, exploited));
      out.push('');
    }
    open = false;
  }
  if (suppressed.length) {
    out.push('<details>', `<summary>${suppressed.length} suppressed</summary>`, '', '| ID | Package | By | Reason |', '| --- | --- | --- | --- |');
    for (const f of suppressed.slice(0, MAX_ROWS)) {
      out.push(`| ${markdownLink(f.id, f.primaryUrl)} | ${c(f.package.name)} | ${c(f.suppressed!.by)} | ${c(f.suppressed!.reason)} |`);
    }
    out.push('', '</details>', '');
  }
  const home = tool.informationUri ? markdownLink(tool.name, tool.informationUri) : c(tool.name);
  out.push(`<sub>${home} ${c(tool.version)} · scanned ${c(result.scannedAt)}</sub>`, '');
  return out.join('\n');
}

export const markdownWriter: ReportWriter = {
  format: 'markdown',
  mediaType: 'text/markdown',
  write: (result, options) => markdownReport(result, options),
};
