/**
 * How every UI answer goes out. No JavaScript at all, so each carries a
 * Content-Security-Policy that allows none (`default-src 'none'`), styles
 * and images from this origin only, no <base>, no framing; plus nosniff,
 * no-referrer and DENY framing. Form posts are refused (`form-action
 * 'none'`) except on pages that hold a form of ours: the sign-in page and,
 * once signed in, the sign-out button in the header; those allow posting to
 * this origin only (`form-action 'self'`). The headers are set per answer,
 * not by a global hook, so the registry API under /v2/ is untouched.
 */
import type { FastifyReply } from 'fastify';
import { document, h, type Chrome, type PageContent } from './html.js';
import { UI_ROOT } from './paths.js';

const POLICY = (forms: string): string => `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${forms}; base-uri 'none'; frame-ancestors 'none'`;

/** Pages without a form. */
export const CONTENT_SECURITY_POLICY = POLICY("'none'");
/** Pages with a form of ours (sign-in, and the sign-out button): posts to this origin only. */
export const FORMS_CONTENT_SECURITY_POLICY = POLICY("'self'");

export function secure(reply: FastifyReply, forms = false): FastifyReply {
  return reply
    .header('content-security-policy', forms ? FORMS_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

/** A page wrapped in the document; forms are allowed when the header has the sign-out button or `forms` says so. */
export function sendPage(reply: FastifyReply, status: number, page: PageContent, chrome: Chrome = {}, forms = false): void {
  secure(reply, forms || chrome.session !== undefined)
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(document(page, chrome));
}

export function problem(reply: FastifyReply, status: number, title: string, text: string, chrome: Chrome = {}): void {
  sendPage(reply, status, { title, crumbs: [{ label: 'Repositories', href: UI_ROOT }], body: `<h1>${h(title)}</h1>\n<p id="problem">${h(text)}</p>` }, chrome);
}
