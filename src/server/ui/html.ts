/**
 * The pieces every UI page is made of: the document shell, severity badges,
 * scan-state labels, short digests and times. Everything that comes from the
 * metadata store (repository names, tags, package names, advisory text,
 * layer commands) is attacker-controlled: it enters markup only through `h`,
 * which first makes invisible and direction-changing characters visible
 * (`visible`), then applies the report writers' escaper (both quote kinds,
 * so it is safe in text and in quoted attributes alike). Functions here
 * return markup; their string arguments are plain text unless the parameter
 * is named `html`.
 */
import { htmlEscape } from '../../report/index.js';
import type { ScanState } from '../metadata/store.js';
import { ICON_PATH, STYLESHEET_PATH } from './static.js';
import { SEVERITY_ORDER, totalOf, type SeverityCounts } from './severity.js';
import { UI_ROOT } from './paths.js';

/**
 * C0 controls but tab and newline, DEL, C1 controls, and the bidirectional
 * overrides and isolates (a "Trojan Source" string reads differently from
 * what it is): each shown as its code, `\u{1b}`, so a terminal escape or a
 * reversed command is seen for what it is rather than acted on or hidden.
 */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Text → markup: visible, then escaped. */
export function h(text: string): string {
  return htmlEscape(visible(text));
}

export interface Crumb {
  readonly label: string;
  readonly href?: string;
}

/** What a page handler returns: the plugin wraps it in the document with the caller's header. */
export interface PageContent {
  readonly title: string;
  readonly crumbs: readonly Crumb[];
  /** Already-escaped body markup. */
  readonly body: string;
}

/** The header's right side: who is signed in (with the sign-out form), or a sign-in link. */
export interface Chrome {
  /** The signed-in user's name, with the session's form token for the sign-out button. */
  readonly session?: { readonly user: string; readonly csrf: string };
  /** Show a "Sign in" link (authentication is on and nobody is signed in). */
  readonly signIn?: boolean;
  /** Sections after Repositories: the audit log, with accounts and a signed-in user. */
  readonly sections?: ReadonlyArray<{ readonly label: string; readonly href: string }>;
}

/**
 * The sections of the UI, in the header: Repositories always, then what the
 * chrome adds (the audit log with accounts). Project pages are reached from
 * their repositories' pages.
 */
const SECTIONS: ReadonlyArray<{ readonly label: string; readonly href: string }> = [{ label: 'Repositories', href: UI_ROOT }];

function header(chrome: Chrome): string {
  const sections = [...SECTIONS, ...(chrome.sections ?? [])].map((s) => `<a href="${h(s.href)}">${h(s.label)}</a>`).join('');
  let account = '';
  if (chrome.session) {
    account =
      `<form class="account" method="post" action="/ui/logout"><span id="signed-in-as">${h(chrome.session.user)}</span>` +
      `<input type="hidden" name="csrf" value="${h(chrome.session.csrf)}"><button type="submit" id="sign-out">Sign out</button></form>`;
  } else if (chrome.signIn) {
    account = `<a class="account" id="sign-in" href="/ui/login">Sign in</a>`;
  }
  return `<header class="top"><a class="home" href="${UI_ROOT}"><img src="${ICON_PATH}" alt="" width="16" height="16">portcullis registry</a><nav class="sections" aria-label="sections">${sections}</nav>${account}</header>`;
}

/** A whole page. `page.body` is already-escaped markup. */
export function document(page: PageContent, chrome: Chrome = {}): string {
  const { title, crumbs, body: html } = page;
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
${header(chrome)}
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
 * dash when there are no counts at all (not scanned yet, failed). "No
 * findings" is green only when `served`: an image that pulls refuse (unsigned,
 * say) is never shown in the colour of "fine".
 */
export function severityBadges(counts: SeverityCounts | undefined, served = true): string {
  if (!counts) return '<span class="none">–</span>';
  if (totalOf(counts) === 0) return served ? '<span class="clean" data-clean="true">no findings</span>' : '<span class="none" data-clean="refused">no findings</span>';
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

/** How long ago `iso` was, in the largest whole unit (`3 days ago`), in a `<time>` with the full time as its title. */
export function ago(iso: string, now: Date): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return h(iso);
  const seconds = Math.max(0, Math.floor((now.getTime() - then.getTime()) / 1000));
  const units: ReadonlyArray<readonly [number, string]> = [
    [86_400 * 365, 'year'],
    [86_400 * 30, 'month'],
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  const unit = units.find(([size]) => seconds >= size);
  const text = unit ? `${Math.floor(seconds / unit[0])} ${unit[1]}${Math.floor(seconds / unit[0]) === 1 ? '' : 's'} ago` : 'just now';
  const full = `${then.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<time datetime="${h(then.toISOString())}" title="${full}">${text}</time>`;
}
