/**
 * The pieces every UI page is made of: the document shell, severity badges,
 * scan-state labels, short digests and times. Everything that comes from the
 * metadata store (repository names, tags, package names, advisory text) is
 * attacker-controlled: it enters markup only through `h` (the report writers'
 * escaper, which escapes both quote kinds, so it is safe in text and in
 * quoted attributes alike). Functions here return markup; their string
 * arguments are plain text unless the parameter is named `html`.
 */
import { htmlEscape as h } from '../../report/index.js';
import type { ScanState } from '../metadata/store.js';
import { ICON_PATH, STYLESHEET_PATH } from './static.js';
import { SEVERITY_ORDER, totalOf, type SeverityCounts } from './severity.js';
import { UI_ROOT } from './paths.js';

export { h };

export interface Crumb {
  readonly label: string;
  readonly href?: string;
}

/** A whole page. `html` is the already-escaped body. */
export function document(title: string, crumbs: readonly Crumb[], html: string): string {
  const trail = crumbs.length
    ? `<nav class="crumbs" aria-label="breadcrumb">${crumbs.map((c) => (c.href ? `<a href="${h(c.href)}">${h(c.label)}</a>` : `<span>${h(c.label)}</span>`)).join(' / ')}</nav>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(title)} · portcullis</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${ICON_PATH}" type="image/svg+xml">
</head>
<body>
<header class="top"><a href="${UI_ROOT}"><img src="${ICON_PATH}" alt="" width="16" height="16">portcullis registry</a></header>
<main>
${trail}
${html}
</main>
</body>
</html>
`;
}

/**
 * One coloured badge per severity with findings, most severe first, each with
 * `data-severity` and `data-count`; "no findings" for a clean result and a
 * dash when there are no counts at all (not scanned yet, failed).
 */
export function severityBadges(counts: SeverityCounts | undefined): string {
  if (!counts) return '<span class="none">–</span>';
  if (totalOf(counts) === 0) return '<span class="clean" data-clean="true">no findings</span>';
  const badges = SEVERITY_ORDER.filter((s) => (counts[s] ?? 0) > 0).map(
    (s) => `<span class="badge sev-${s}" data-severity="${s}" data-count="${counts[s]}" title="${counts[s]} ${s.toLowerCase()}">${counts[s]} ${s}</span>`,
  );
  return `<span class="badges">${badges.join('')}</span>`;
}

/** What the scan of an image stands at: the store's states, and `none` for no scan record. */
export type DisplayState = ScanState | 'none';

const STATE_LABEL: Record<DisplayState, string> = {
  queued: 'queued',
  scanning: 'scanning',
  done: 'done',
  failed: 'failed',
  none: 'not scanned',
  skipped: 'not an image',
};

export function stateLabel(state: DisplayState, detail?: string): string {
  const title = detail ? ` title="${h(detail)}"` : '';
  return `<span class="state state-${state}" data-state="${state}"${title}>${STATE_LABEL[state]}</span>`;
}

/** `sha256:0123456789ab` (12 hex digits), the full digest in the title. */
export function shortDigest(digest: string): string {
  const short = /^[a-z0-9]+:[0-9a-f]{12}/.exec(digest)?.[0] ?? digest;
  return `<code title="${h(digest)}">${h(short)}</code>`;
}

/** An ISO time as `2024-05-01 12:34 UTC` in a `<time>` element; a value that is not a time is shown as it is. */
export function time(iso: string | undefined): string {
  if (!iso) return '<span class="none">–</span>';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h(iso);
  const text = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<time datetime="${h(date.toISOString())}">${text}</time>`;
}

/** A table with a header row; `rows` are already markup. `empty` is shown instead when there are none. */
export function table(id: string, headings: readonly string[], rows: readonly string[], empty: string): string {
  if (!rows.length) return `<p class="none" id="${h(id)}-empty">${h(empty)}</p>`;
  const head = headings.map((c) => `<th scope="col">${h(c)}</th>`).join('');
  return `<table id="${h(id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}
