/**
 * Signing in to the web UI through an OpenID Connect provider (`oidc.*`
 * settings; auth/oidc-client.ts speaks the protocol, auth/oidc-accounts.ts
 * picks the account):
 *
 *   GET /ui/oidc/login?next=…   starts the code flow: a record of the
 *                               sign-in (state, nonce, PKCE verifier, the
 *                               page to return to) named by a random id in
 *                               the cookie `portcullis_oidc` (HttpOnly,
 *                               SameSite=Lax: it must come back with the
 *                               provider's redirect, a cross-site top-level
 *                               GET; Path=/ui/oidc; 10 minutes), then 303 to
 *                               the provider. Past the caps of sign-ins in
 *                               progress (per client, in all:
 *                               auth/oidc-states.ts): 429 with Retry-After.
 *   GET /ui/oidc/callback       takes the record (once), checks the state,
 *                               exchanges the code, checks the ID token,
 *                               opens the account's session exactly as the
 *                               password form does (login.ts: a new id,
 *                               SameSite=Strict), and returns to the page.
 *
 * The return path went through login.ts's `safeNext` before it was stored:
 * a UI page of this origin, never another host (no open redirect), and it
 * comes back from the server's record, not from the provider's redirect.
 *
 * The last step is a page that moves on by itself (`<meta http-equiv=
 * "refresh">`, no script), not a 303: the browser arrived from the
 * provider's site, and a redirect chain that began on another site does not
 * carry SameSite=Strict cookies, so a 303 would land on a page that does not
 * see the new session. A navigation this page starts is same-site.
 *
 * Every refusal is a page with one sentence for the user, a `auth.failed`
 * log line with `via: oidc` and the reason (never a code, a token or the
 * client secret), and an audit `login` event with the method and reason.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serialize } from 'cookie';
import { noteAudit } from '../audit/notes.js';
import { accountFor, type OidcSignIn } from '../auth/oidc-accounts.js';
import { OidcFailure, type OidcFailureReason } from '../auth/oidc-client.js';
import { OIDC_REDIRECT_PATH } from '../auth/oidc-settings.js';
import { principalName } from '../auth/principal.js';
import { h } from './html.js';
import { cookiesOf, safeNext, SESSION_COOKIE, setCookie } from './login.js';
import { problem, secure } from './respond.js';
import type { SessionStore } from './session.js';

export const OIDC_LOGIN_PATH = '/ui/oidc/login';
export const OIDC_CALLBACK_PATH = OIDC_REDIRECT_PATH;
export const OIDC_COOKIE = 'portcullis_oidc';
const OIDC_COOKIE_PATH = '/ui/oidc';

export type UiOidc = OidcSignIn;

/** When a refused `too-many-sign-ins` may try again: records expire within the 10 minutes, one a few seconds at a time under a flood. */
const RETRY_AFTER_SECONDS = 60;

function statusOf(reason: OidcFailureReason): number {
  if (reason === 'provider-unreachable') return 502;
  if (reason === 'too-many-sign-ins') return 429;
  return reason === 'name-taken' || reason === 'not-onboarded' || reason === 'account-gone' ? 403 : 400;
}

function stateCookie(request: FastifyRequest, value: string, maxAge: number): string {
  return serialize(OIDC_COOKIE, value, { path: OIDC_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge });
}

/** The page that carries the browser on to `to` (same-site, so the new SameSite=Strict session cookie goes with it). */
function moveOn(reply: FastifyReply, user: string, to: string): void {
  secure(reply)
    .code(200)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${h(to)}"><title>Signed in</title></head>
<body><p id="signed-in">Signed in as ${h(user)}. <a id="continue" href="${h(to)}">Continue</a></p></body></html>`);
}

export function oidcRoutes(deps: { readonly oidc: UiOidc; readonly sessions: SessionStore }): (app: FastifyInstance) => Promise<void> {
  const { oidc, sessions } = deps;
  const settings = oidc.rp.settings;

  function refuse(request: FastifyRequest, reply: FastifyReply, failure: OidcFailure, user?: string): void {
    request.log.warn(
      { event: 'auth.failed', reason: failure.reason, via: 'oidc', ip: request.ip, ...(user !== undefined ? { user } : {}), ...(failure.detail !== undefined ? { detail: failure.detail } : {}) },
      `OIDC sign-in refused (${failure.reason})`,
    );
    noteAudit(request, { action: 'login', principal: user ?? '<anonymous>', detail: { via: 'oidc', reason: failure.reason } });
    const status = statusOf(failure.reason);
    if (status === 429) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    problem(reply, status, 'Sign-in refused', failure.userMessage, { signIn: true });
  }

  return async (app) => {
    app.get(OIDC_LOGIN_PATH, async (request, reply) => {
      const next = safeNext((request.query as { next?: unknown } | undefined)?.next);
      try {
        const { url, stateId } = await oidc.rp.begin(next, request.ip);
        reply.header('set-cookie', stateCookie(request, stateId, oidc.rp.states.ttlSeconds));
        secure(reply).header('cache-control', 'no-store');
        return reply.redirect(url, 303);
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error;
        refuse(request, reply, error);
        return reply;
      }
    });

    app.get(OIDC_CALLBACK_PATH, async (request, reply) => {
      // The record is taken whatever happens next: the cookie goes too.
      reply.header('set-cookie', stateCookie(request, '', 0));
      const callback = new URL(oidc.redirectUri());
      const query = (request.raw.url ?? '').split('?')[1];
      callback.search = query === undefined ? '' : `?${query.slice(0, 8192)}`;
      let user: string | undefined;
      try {
        const identity = await oidc.rp.complete(callback, cookiesOf(request)[OIDC_COOKIE]);
        const claimed = identity.claims[settings.usernameClaim];
        user = typeof claimed === 'string' ? claimed.slice(0, 256) : undefined;
        const signedIn = await accountFor(oidc.accounts, settings, identity);
        const name = principalName(signedIn.principal);
        // A new id, always, as for the password form: whatever session the browser had is destroyed.
        const { id } = await sessions.create(signedIn.principal, cookiesOf(request)[SESSION_COOKIE]);
        setCookie(reply, request, SESSION_COOKIE, id, sessions.maxAgeSeconds);
        noteAudit(request, { action: 'login', principal: name, detail: { via: 'oidc', ...(signedIn.created ? { created: true } : {}), ...(signedIn.adminChanged !== undefined ? { admin: signedIn.adminChanged } : {}) } });
        request.log.info({ event: 'ui.login', user: name, via: 'oidc', created: signedIn.created, ip: request.ip }, `${name} signed in to the UI through OIDC`);
        moveOn(reply, name, safeNext(identity.returnPath));
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error;
        refuse(request, reply, error, user);
      }
      return reply;
    });
  };
}

/** The sign-in page's button: "Sign in with <provider>", back to the same page afterwards. */
export function oidcButton(label: string, next: string): string {
  const href = next === '/ui/' ? OIDC_LOGIN_PATH : `${OIDC_LOGIN_PATH}?next=${encodeURIComponent(next)}`;
  return `<p class="oidc"><a id="oidc-sign-in" class="button" href="${h(href)}">Sign in with ${h(label)}</a></p>`;
}
