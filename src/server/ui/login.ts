/**
 * Signing in to the web UI with a form, for registries with authentication
 * (htpasswd or accounts). Browsers cannot answer the token service's Bearer
 * challenge, so the UI has its own sign-in: `POST /ui/login` checks the user
 * name and password through the same `AccessControl.authenticate` as every
 * API request (as Basic credentials), so login rate limits and lockouts
 * apply unchanged, then opens a session (session.ts: kept in the metadata store) under a
 * new id — whatever session id the browser had before is destroyed, so an
 * id planted before sign-in is worth nothing after it. `POST /ui/logout`
 * ends it.
 *
 * Cross-site request forgery, three ways, each enough on its own:
 * - the sign-in form carries a token that must equal the one in a cookie set
 *   with the form (double submit); the sign-out form carries the session's
 *   own token;
 * - every cookie is `SameSite=Strict` (and `HttpOnly`, `Path=/ui`, and
 *   `Secure` when served over TLS), so another site's form posts without it;
 * - a post whose `Sec-Fetch-Site` says it came from another site is refused.
 * Form bodies are `application/x-www-form-urlencoded`, at most 8 KiB.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseCookies, serialize } from 'cookie';
import { principalName } from '../auth/principal.js';
import type { AccessControl } from '../services.js';
import { h, type Chrome, type PageContent } from './html.js';
import { UI_ROOT } from './paths.js';
import { problem, secure, sendPage } from './respond.js';
import { newToken, sameToken, type Session, type SessionStore } from './session.js';

export const SESSION_COOKIE = 'portcullis_session';
export const LOGIN_COOKIE = 'portcullis_login';
export const LOGIN_PATH = '/ui/login';
export const LOGOUT_PATH = '/ui/logout';
const COOKIE_PATH = '/ui';
const MAX_FORM_BYTES = 8 * 1024;
const MAX_COOKIE_HEADER = 8 * 1024;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface SignInDependencies {
  readonly auth: AccessControl;
  readonly sessions: SessionStore;
  /** With OIDC sign-in: the button beside the form (ui/oidc.ts `oidcButton`), given the page to return to. */
  readonly oidcButton?: (next: string) => string;
}

/** Our cookies from the request (a header too long to be ours is ignored). */
export function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return {};
  return parseCookies(header);
}

/** The live session the request's cookie names, with its id. */
export async function sessionOf(request: FastifyRequest, sessions: SessionStore): Promise<{ id: string; session: Session } | undefined> {
  const id = cookiesOf(request)[SESSION_COOKIE];
  const session = await sessions.get(id);
  return session && id ? { id, session } : undefined;
}

export function chromeOf(session: Session | undefined): Chrome {
  return session ? { session: { user: principalName(session.principal), csrf: session.csrf } } : { signIn: true };
}

export function setCookie(reply: FastifyReply, request: FastifyRequest, name: string, value: string, maxAge: number): void {
  const cookie = serialize(name, value, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', maxAge });
  const previous = reply.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous.map(String) : [String(previous)];
  list.push(cookie);
  reply.header('set-cookie', list);
}

/**
 * Where to go after signing in: a UI page of this origin, or the UI's start.
 * Anything else (another host, `//host`, a backslash, a control character)
 * would make the form an open redirect.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return UI_ROOT;
  if (!value.startsWith('/ui/') || value.startsWith(LOGIN_PATH) || /[\\\u0000-\u001f\u007f]/.test(value)) return UI_ROOT;
  return value;
}

/** The sign-in page's address for a page that needs it: back to that page afterwards. */
export function loginLocation(request: FastifyRequest): string {
  const next = safeNext(request.url);
  return next === UI_ROOT ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
}

function loginPage(csrf: string, next: string, error?: string, user?: string, oidcButton?: (next: string) => string): PageContent {
  const message = error ? `<p class="error" id="login-error" role="alert">${h(error)}</p>` : '';
  const body = `<h1>Sign in</h1>
${message}
<form method="post" action="${LOGIN_PATH}" id="login" class="login">
<input type="hidden" name="csrf" value="${h(csrf)}">
<input type="hidden" name="next" value="${h(next)}">
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required maxlength="256" value="${h(user ?? '')}"${user ? '' : ' autofocus'}>
<label for="password">Password</label><input id="password" type="password" name="password" autocomplete="current-password" required maxlength="1024"${user ? ' autofocus' : ''}>
<button type="submit" id="sign-in-submit">Sign in</button>
</form>
<p><small>The same user name and password as for <code>docker login</code>. Robot accounts and tokens are for clients, not for this page.</small></p>${oidcButton ? `\n${oidcButton(next)}` : ''}`;
  return { title: 'Sign in', crumbs: [], body };
}

/** The form token for the sign-in page: the browser's current one when it has one, so two open tabs both work. */
function loginToken(request: FastifyRequest, reply: FastifyReply): string {
  const current = cookiesOf(request)[LOGIN_COOKIE];
  const token = current && TOKEN.test(current) ? current : newToken();
  setCookie(reply, request, LOGIN_COOKIE, token, 3600);
  return token;
}

function showLogin(request: FastifyRequest, reply: FastifyReply, status: number, next: string, error?: string, user?: string, oidcButton?: (next: string) => string): void {
  sendPage(reply, status, loginPage(loginToken(request, reply), next, error, user, oidcButton), {}, true);
}

/**
 * Form bodies for the routes of an encapsulated plugin: only
 * `application/x-www-form-urlencoded`, at most MAX_FORM_BYTES, parsed as
 * URLSearchParams; another type, too large, or malformed is a page, not
 * Fastify's JSON error.
 */
export function acceptForms(app: FastifyInstance, from: string): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_request, body, done) => {
    done(null, new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')));
  });
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const status = error.statusCode === 413 || error.statusCode === 415 ? error.statusCode : 400;
    problem(reply, status, 'Bad request', `The form could not be read: send it from ${from}.`);
  });
}

export function fromAnotherSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return typeof site === 'string' && site !== 'same-origin' && site !== 'none';
}

export function field(form: unknown, name: string): string | undefined {
  return form instanceof URLSearchParams ? (form.get(name) ?? undefined) : undefined;
}

export function signInRoutes(deps: SignInDependencies): (app: FastifyInstance) => Promise<void> {
  const { auth, sessions } = deps;
  const show = (request: FastifyRequest, reply: FastifyReply, status: number, next: string, error?: string, user?: string): void =>
    showLogin(request, reply, status, next, error, user, deps.oidcButton);

  return async (app) => {
    acceptForms(app, 'the sign-in page');

    app.get(LOGIN_PATH, async (request, reply) => {
      const next = safeNext((request.query as { next?: unknown } | undefined)?.next);
      if (await sessionOf(request, sessions)) return reply.redirect(next, 303);
      show(request, reply, 200, next);
      return reply;
    });

    app.post(LOGIN_PATH, async (request, reply) => {
      const form = request.body;
      const next = safeNext(field(form, 'next'));
      const token = cookiesOf(request)[LOGIN_COOKIE];
      if (fromAnotherSite(request) || !sameToken(field(form, 'csrf'), token)) {
        request.log.warn({ event: 'ui.csrf', path: LOGIN_PATH, ip: request.ip }, 'sign-in refused: the form token is missing or wrong');
        show(request, reply, 403, next, 'The sign-in form expired or did not come from this page: try again.');
        return reply;
      }
      const user = field(form, 'username') ?? '';
      const password = field(form, 'password') ?? '';
      if (!user || !password || user.includes(':') || user.length > 256 || password.length > 1024) {
        show(request, reply, 400, next, 'Enter your user name and password.', user.slice(0, 256));
        return reply;
      }
      const authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
      const result = await auth.authenticate({ headers: { authorization }, ip: request.ip });
      if (!result.ok) {
        request.log.warn({ event: 'auth.failed', reason: result.reason, user, via: 'ui-login', ip: request.ip, ...(result.retryAfterSeconds !== undefined ? { retryAfter: result.retryAfterSeconds } : {}) }, `authentication failed (${result.reason})`);
        if (result.reason === 'rate-limited') {
          reply.header('retry-after', String(result.retryAfterSeconds ?? 60));
          show(request, reply, 429, next, 'Too many failed sign-ins: wait a few minutes before trying again.', user);
        } else {
          show(request, reply, 401, next, 'Wrong user name or password.', user);
        }
        return reply;
      }
      const principal = result.principal;
      // Sessions are for people: robots (and the registry's own token) use their credentials with clients.
      if (principal.kind === 'robot') {
        show(request, reply, 403, next, 'Robot accounts sign in with clients (docker login), not on this page.', user);
        return reply;
      }
      if (principal.kind !== 'user') {
        show(request, reply, 401, next, 'Wrong user name or password.', user);
        return reply;
      }
      // A new id, always: the one the browser brought (if any) is destroyed, never promoted.
      const { id } = await sessions.create(principal, cookiesOf(request)[SESSION_COOKIE]);
      setCookie(reply, request, SESSION_COOKIE, id, sessions.maxAgeSeconds);
      setCookie(reply, request, LOGIN_COOKIE, '', 0);
      request.log.info({ event: 'ui.login', user: principalName(principal), ip: request.ip }, `${principalName(principal)} signed in to the UI`);
      secure(reply).header('cache-control', 'no-store');
      return reply.redirect(next, 303);
    });

    app.post(LOGOUT_PATH, async (request, reply) => {
      const current = await sessionOf(request, sessions);
      if (current) {
        if (fromAnotherSite(request) || !sameToken(field(request.body, 'csrf'), current.session.csrf)) {
          request.log.warn({ event: 'ui.csrf', path: LOGOUT_PATH, ip: request.ip }, 'sign-out refused: the form token is missing or wrong');
          problem(reply, 403, 'Sign-out refused', 'The sign-out form did not come from this page: use the Sign out button.', chromeOf(current.session));
          return reply;
        }
        await sessions.destroy(current.id);
        request.log.info({ event: 'ui.logout', user: principalName(current.session.principal), ip: request.ip }, `${principalName(current.session.principal)} signed out of the UI`);
      }
      setCookie(reply, request, SESSION_COOKIE, '', 0);
      secure(reply).header('cache-control', 'no-store');
      return reply.redirect(LOGIN_PATH, 303);
    });
  };
}
