/**
 * The findings of one image as a table, ordered by severity then package (the
 * report writers' `sortFindings`), and the severity filter above it. The
 * filter is a row of plain links (`?severity=HIGH` keeps HIGH and above), so
 * it works without JavaScript and each filtered view has its own URL.
 * Each vulnerability id links to its advisory (`advisoryUrl`); aliases that
 * are CVE or GHSA ids link too. Links leave with `rel="noreferrer"`: an
 * advisory site never learns the registry's URLs or repository names.
 * A finding CISA lists as known exploited has a KEV badge beside its
 * severity; the EPSS column shows the exploitation probability (percentile in
 * the title).
 */
import type { SeverityLevel, Finding, ScanResult } from '../../core/index.js';
import { epssLabel, formatShare, kevLabel, sortFindings } from '../../report/index.js';
import { h, table } from './html.js';
import { advisoryUrl, idUrl } from './paths.js';
import { atLeast, SEVERITY_ORDER } from './severity.js';

function link(url: string | undefined, text: string): string {
  return url ? `<a href="${h(url)}" rel="noreferrer noopener">${h(text)}</a>` : h(text);
}

function idCell(f: Finding): string {
  const aliases = f.aliases.length ? `<br><small class="aliases">${f.aliases.map((a) => link(idUrl(a), a)).join(', ')}</small>` : '';
  return `<span class="vuln-id">${link(advisoryUrl(f), f.id)}</span>${aliases}`;
}

function fixedCell(f: Finding): string {
  if (f.fixedVersion) return `<code>${h(f.fixedVersion)}</code>`;
  return f.status === 'will-not-fix' ? '<span class="none">no fix</span> <small>(will not fix)</small>' : '<span class="none">no fix</span>';
}

function layerCell(f: Finding, result: ScanResult): string {
  const layer = f.layer ?? f.package.layer;
  if (!layer) return '<span class="none">–</span>';
  const short = /^[a-z0-9]+:[0-9a-f]{12}/.exec(layer.digest)?.[0] ?? layer.digest;
  const createdBy = f.layerCreatedBy ?? result.image?.layers?.[layer.index]?.createdBy;
  const command = createdBy ? `<br><small><code>${h(createdBy.length > 120 ? `${createdBy.slice(0, 119)}…` : createdBy)}</code></small>` : '';
  return `#${layer.index} <code title="${h(layer.digest)}">${h(short)}</code>${command}`;
}

function titleCell(f: Finding): string {
  const title = f.title ? h(f.title) : '<span class="none">–</span>';
  const description = f.description ? `<details><summary>description</summary><p>${h(f.description)}</p></details>` : '';
  return `<span class="title-text">${title}</span>${description}`;
}

/** The CISA KEV badge beside the severity (its dates in the title), when listed. */
function kevBadge(f: Finding): string {
  const label = kevLabel(f);
  return label ? ` <span class="badge kev" title="${h(label)}">KEV</span>` : '';
}

function epssCell(f: Finding): string {
  return f.epss ? `<span title="${h(epssLabel(f) ?? '')}">${h(formatShare(f.epss.probability))}</span>` : '<span class="none">–</span>';
}

function row(f: Finding, result: ScanResult): string {
  return [
    `<tr data-severity="${h(f.severity)}" data-id="${h(f.id)}">`,
    `<td class="sev"><span class="badge sev-${h(f.severity)}">${h(f.severity)}</span>${kevBadge(f)}</td>`,
    `<td class="id">${idCell(f)}</td>`,
    `<td class="pkg"><code>${h(f.package.name)}</code><br><small>${h(f.package.ecosystem)} · ${h(f.package.path)}</small></td>`,
    `<td class="installed"><code>${h(f.installedVersion)}</code></td>`,
    `<td class="fixed">${fixedCell(f)}</td>`,
    `<td class="epss">${epssCell(f)}</td>`,
    `<td class="layer">${layerCell(f, result)}</td>`,
    `<td class="title">${titleCell(f)}</td>`,
    '</tr>',
  ].join('');
}

/** The filter links: "all", then one per level ("HIGH+" = HIGH and above), each with how many findings it shows. */
export function filterNav(path: string, counts: Readonly<Record<SeverityLevel, number>>, threshold: SeverityLevel | undefined): string {
  const total = SEVERITY_ORDER.reduce((n, s) => n + counts[s], 0);
  const current = (on: boolean): string => (on ? ' aria-current="true"' : '');
  let cumulative = 0;
  const levels = SEVERITY_ORDER.map((s) => {
    cumulative += counts[s];
    const label = s === 'CRITICAL' ? s : `${s}+`;
    return `<a href="${h(path)}?severity=${s}" data-filter="${s}"${current(threshold === s)}>${label} <small>(${cumulative})</small></a>`;
  });
  return `<nav class="filter" aria-label="severity filter"><span>Show:</span><a href="${h(path)}" data-filter="ALL"${current(threshold === undefined)}>all <small>(${total})</small></a>${levels.join('')}</nav>`;
}

/** The table of active findings at or above `threshold`, and how many that is. */
export function findingsTable(result: ScanResult, threshold: SeverityLevel | undefined): { html: string; shown: number } {
  const shown = sortFindings(result.findings.filter((f) => !f.suppressed && atLeast(f.severity, threshold)));
  const empty = threshold ? `No findings at ${threshold} or above.` : 'No vulnerabilities found.';
  const html = table('findings', ['Severity', 'Vulnerability', 'Package', 'Installed', 'Fixed', 'EPSS', 'Layer', 'Title'], shown.map((f) => row(f, result)), empty);
  return { html, shown: shown.length };
}
