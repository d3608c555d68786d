/**
 * `html`: one self-contained HTML file to attach to a CI run or mail around.
 * Inline CSS only; no scripts, no external requests (a Content-Security-Policy
 * meta tag forbids them too: `default-src 'none'`), readable without
 * JavaScript. Contents:
 * - header: target, image digest, OS, scan time, database (each label whole
 *   on one line: only the values, digests and long names, may wrap);
 * - summary counts by severity (`<ul id="summary">`, `data-severity` per item);
 * - the findings table `<table id="findings">`, one `<tr data-severity>` per
 *   active finding, ordered by severity then package: id (linked to the
 *   primary URL), package, installed, fixed, status, layer (index, digest and
 *   the history command), target, title (with the description in a
 *   `<details>`), and the severity source; a `KEV` mark (CISA's dates in its
 *   title) and the EPSS score under the severity when the scan has them;
 * - suppressed findings in a second table `<table id="suppressed">` with the reason;
 * - warnings.
 * Every interpolated string is HTML-escaped; links are kept only when they
 * are absolute http(s) URLs.
 */
import type { Finding, ScanResult } from '../../core/index.js';
import { htmlEscape as h, safeHttpUrl } from '../escape.js';
import { epssLabel, kevLabel } from '../exploit.js';
import { countBySeverity, SEVERITY_ORDER, sortFindings, splitSuppressed } from '../severity.js';
import { groupByTarget } from '../targets.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

const CSS = `
:root{color-scheme:light;--crit:#8b0000;--high:#d9480f;--med:#b7791f;--low:#2b6cb0;--neg:#4a5568;--unk:#718096}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px;color:#1a202c;background:#f7fafc}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px}
.meta{color:#4a5568;margin:0 0 16px;display:flex;flex-wrap:wrap;gap:4px 16px}
.meta div{display:flex;gap:4px;min-width:0;max-width:100%}
.meta dt{font-weight:600;white-space:nowrap}
.meta dd{margin:0;min-width:0;overflow-wrap:anywhere}
#summary{display:flex;gap:8px;list-style:none;padding:0;margin:0 0 16px;flex-wrap:wrap}
#summary li{padding:8px 14px;border-radius:6px;color:#fff;min-width:110px}
#summary li b{display:block;font-size:22px}
.sev-CRITICAL{background:var(--crit)}.sev-HIGH{background:var(--high)}.sev-MEDIUM{background:var(--med)}
.sev-LOW{background:var(--low)}.sev-NEGLIGIBLE{background:var(--neg)}.sev-UNKNOWN{background:var(--unk)}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #e2e8f0}
th{background:#edf2f7;font-weight:600;position:sticky;top:0}
td.sev span.kev{background:#7a0019;margin-left:4px}
td.sev small{display:block;color:#4a5568}
td.sev span{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
td code,.meta code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
td.title{max-width:420px}
details summary{cursor:pointer;color:#2b6cb0}
details p{white-space:pre-wrap;margin:4px 0}
.none{color:#718096}
a{color:#2b6cb0}
footer{margin-top:24px;color:#718096;font-size:12px}
`;

function layerCell(f: Finding, result: ScanResult): string {
  const layer = f.layer ?? f.package.layer;
  if (!layer) return '<span class="none">–</span>';
  const short = layer.digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, '$1$2');
  const createdBy = f.layerCreatedBy ?? result.image?.layers?.[layer.index]?.createdBy;
  const command = createdBy ? `<br><code>${h(createdBy.length > 120 ? `${createdBy.slice(0, 119)}…` : createdBy)}</code>` : '';
  return `#${layer.index} <code title="${h(layer.digest)}">${h(short)}</code>${command}`;
}

function idCell(f: Finding): string {
  const url = safeHttpUrl(f.primaryUrl);
  const id = url ? `<a href="${h(url)}" rel="noreferrer noopener">${h(f.id)}</a>` : h(f.id);
  const aliases = f.aliases.length ? `<br><small>${f.aliases.map(h).join(', ')}</small>` : '';
  return id + aliases;
}

function titleCell(f: Finding): string {
  const title = f.title ? h(f.title) : '<span class="none">–</span>';
  const description = f.description ? `<details><summary>description</summary><p>${h(f.description)}</p></details>` : '';
  return title + description;
}

/** CISA KEV and EPSS under the severity: `KEV` (its dates as the title) and `EPSS 94.4% (p99.9)`. */
function exploitMarks(f: Finding): string {
  const kev = kevLabel(f);
  const epss = epssLabel(f);
  return `${kev ? ` <span class="kev" title="${h(kev)}">KEV</span>` : ''}${epss ? `<small class="epss">${h(epss)}</small>` : ''}`;
}

function row(f: Finding, result: ScanResult, target: string, extra = ''): string {
  return [
    `<tr data-severity="${h(f.severity)}" data-id="${h(f.id)}">`,
    `<td class="sev"><span class="sev-${h(f.severity)}">${h(f.severity)}</span>${exploitMarks(f)}</td>`,
    `<td class="id">${idCell(f)}</td>`,
    `<td class="pkg"><code>${h(f.package.name)}</code></td>`,
    `<td class="installed"><code>${h(f.installedVersion)}</code></td>`,
    `<td class="fixed">${f.fixedVersion ? `<code>${h(f.fixedVersion)}</code>` : '<span class="none">–</span>'}</td>`,
    `<td class="status">${h(f.status)}</td>`,
    `<td class="layer">${layerCell(f, result)}</td>`,
    `<td class="target"><code>${h(target)}</code></td>`,
    `<td class="title">${titleCell(f)}</td>`,
    `<td class="source">${h(f.severitySource)}</td>`,
    extra,
    '</tr>',
  ].join('');
}

const HEAD_CELLS = ['Severity', 'ID', 'Package', 'Installed', 'Fixed', 'Status', 'Layer', 'Target', 'Title', 'Rated by'];

export function htmlReport(result: ScanResult, options: ReportOptions = {}): string {
  const { now, tool } = resolveOptions(result, options);
  const { active, suppressed } = splitSuppressed(result.findings);
  const counts = countBySeverity(active);
  const targetOf = new Map<Finding, string>();
  for (const t of groupByTarget(result)) for (const f of t.findings) targetOf.set(f, t.name);

  const meta: Array<[string, string]> = [['Target', result.target]];
  if (result.image?.digest) meta.push(['Digest', result.image.digest]);
  if (result.image?.platform) meta.push(['Platform', result.image.platform]);
  if (result.os) meta.push(['OS', result.os.prettyName ?? `${result.os.id} ${result.os.versionId ?? ''}`.trim()]);
  meta.push(['Scanned', result.scannedAt]);
  if (result.database?.updatedAt) meta.push(['Database', result.database.updatedAt]);

  const rows = sortFindings(active).map((f) => row(f, result, targetOf.get(f) ?? ''));
  const suppressedRows = sortFindings(suppressed).map((f) =>
    row(f, result, targetOf.get(f) ?? '', `<td class="reason">${h(f.suppressed!.by)}: ${h(f.suppressed!.reason)}${f.suppressed!.justification ? ` (${h(f.suppressed!.justification)})` : ''}</td>`),
  );
  const head = (cells: string[]): string => `<thead><tr>${cells.map((c) => `<th scope="col">${h(c)}</th>`).join('')}</tr></thead>`;
  const home = safeHttpUrl(tool.informationUri);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(`Vulnerability report: ${result.target}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Vulnerability report: <code>${h(result.target)}</code></h1>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${h(k)}</dt><dd><code>${h(v)}</code></dd></div>`).join('')}</dl>
</header>
<main>
<h2>Summary: ${active.length} ${active.length === 1 ? 'finding' : 'findings'}${suppressed.length ? `, ${suppressed.length} suppressed` : ''}</h2>
<ul id="summary">${SEVERITY_ORDER.map((s) => `<li class="sev-${s}" data-severity="${s}"><b>${counts[s]}</b>${s}</li>`).join('')}</ul>
${result.incomplete?.length ? `<h2>Incomplete scan: findings may be missing</h2>\n<ul id="incomplete">${result.incomplete.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : ''}
<h2>Findings</h2>
${rows.length ? `<table id="findings">${head(HEAD_CELLS)}<tbody>\n${rows.join('\n')}\n</tbody></table>` : '<p id="no-findings">No vulnerabilities found.</p><table id="findings" hidden><tbody></tbody></table>'}
${suppressedRows.length ? `<h2>Suppressed</h2>\n<table id="suppressed">${head([...HEAD_CELLS, 'Suppressed by'])}<tbody>\n${suppressedRows.join('\n')}\n</tbody></table>` : ''}
${result.warnings.length ? `<h2>Warnings</h2>\n<ul id="warnings">${result.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : ''}
</main>
<footer>Generated by ${home ? `<a href="${h(home)}">${h(tool.name)}</a>` : h(tool.name)} ${h(tool.version)} at ${h(now.toISOString())}.</footer>
</body>
</html>
`;
}

export const htmlWriter: ReportWriter = {
  format: 'html',
  mediaType: 'text/html',
  write: (result, options) => htmlReport(result, options),
};
