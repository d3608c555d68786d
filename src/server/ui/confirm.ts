/**
 * Confirmations for the UI's destructive acts (deleting a project, deleting
 * a user, removing a registry administrator's role), without JavaScript: the button on the project or administration
 * page is a link to a second page, "Delete project X? [Delete]", whose form
 * carries the session's form token AND a confirmation token of its own,
 * an HMAC of what is to be deleted keyed with the session's form token. The
 * POST needs both: a form posted straight from another page (or replayed
 * for another target) lacks the right confirmation token and is refused
 * before anything is asked of the admin API.
 */
import { createHmac } from 'node:crypto';
import { h, type PageContent } from './html.js';
import { sameToken } from './session.js';

/** What is confirmed: `project:NAME`, `user:NAME` (deleting), `admin:NAME` (removing the administrator role). */
export type ConfirmTarget = `project:${string}` | `user:${string}` | `admin:${string}`;

export function confirmToken(csrf: string, target: ConfirmTarget): string {
  return createHmac('sha256', csrf).update(`portcullis-ui-confirm\0${target}`).digest('base64url');
}

/** True when `given` is the confirmation token of `target` for this session. */
export function confirmed(csrf: string, target: ConfirmTarget, given: string | undefined): boolean {
  return sameToken(given, confirmToken(csrf, target));
}

export interface Confirmation {
  readonly title: string;
  /** The question, plain text ("Delete project team?"). */
  readonly question: string;
  /** What happens, plain text. */
  readonly consequence: string;
  readonly action: string;
  /** Hidden fields the form sends besides the two tokens. */
  readonly fields: Readonly<Record<string, string>>;
  readonly button: string;
  readonly back: { readonly label: string; readonly href: string };
  readonly crumbs: PageContent['crumbs'];
}

export function confirmPage(csrf: string, target: ConfirmTarget, c: Confirmation): PageContent {
  const hidden = Object.entries(c.fields)
    .map(([name, value]) => `<input type="hidden" name="${h(name)}" value="${h(value)}">`)
    .join('');
  const body = `<h1>${h(c.question)}</h1>
<p id="consequence">${h(c.consequence)}</p>
<form method="post" action="${h(c.action)}" class="manage" id="form-confirm"><input type="hidden" name="csrf" value="${h(csrf)}"><input type="hidden" name="confirm" value="${h(confirmToken(csrf, target))}">${hidden}<button type="submit" id="submit-confirm">${h(c.button)}</button></form>
<p><a href="${h(c.back.href)}" id="cancel">${h(c.back.label)}</a></p>`;
  return { title: c.title, crumbs: c.crumbs, body };
}
