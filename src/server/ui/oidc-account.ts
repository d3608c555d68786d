/**
 * The signed-in user's own page, `/ui/account`, and for an account that
 * signs in through OIDC its **CLI secret**: OIDC users have no password, so
 * Docker clients (`docker login -u alice -p <secret>`, Basic credentials and
 * the token flow) take this secret instead, as Harbor's do. It is made on
 * this page (POST /ui/account/cli-secret, the session's form token, as
 * every form of the UI), shown once on the answer and never again (stored
 * as an HMAC, auth/robot-secrets.ts); making a new one is how the old one is
 * revoked. A new secret also ends the account's refresh tokens and its other
 * UI sessions; this browser gets a new session at once.
 */
import type { FastifyInstance } from 'fastify';
import { noteAudit } from '../audit/notes.js';
import { newCliSecret } from '../auth/oidc-accounts.js';
import type { IdentityStore } from '../metadata/identity-store.js';
import { h, type Chrome, type PageContent } from './html.js';
import { acceptForms, chromeOf, field, fromAnotherSite, loginLocation, SESSION_COOKIE, sessionOf, setCookie } from './login.js';
import { problem, secure, sendPage } from './respond.js';
import { sameToken, type Session, type SessionStore } from './session.js';

export const ACCOUNT_PATH = '/ui/account';
const CLI_SECRET_PATH = '/ui/account/cli-secret';

export interface AccountPageDeps {
  readonly sessions: SessionStore;
  readonly store: Pick<IdentityStore, 'getOidcLinkOf' | 'setCliSecret'>;
  /** The header for a session (the plugin's: its sections for this user). */
  readonly chrome: (session: Session) => Promise<Chrome>;
}

function accountPage(user: string, csrf: string, link: { issuer: string; hasSecret: boolean } | undefined, secret?: string): PageContent {
  const shown = secret
    ? `<p class="notice" id="cli-secret-notice" role="status">Your new CLI secret, shown this once: copy it now.</p>
<p><code id="cli-secret">${h(secret)}</code></p>
<p>Use it as the password of <code>docker login -u ${h(user)}</code>, <code>podman login</code> or <code>skopeo login</code>. The previous one no longer works.</p>`
    : '';
  const oidc = link
    ? `<h2>CLI secret</h2>
<p>You sign in through <code>${h(link.issuer)}</code>, so you have no password here: Docker and other clients take a CLI secret instead.</p>
<p id="cli-secret-state">${link.hasSecret ? 'You have a CLI secret. Making a new one revokes it.' : 'You have no CLI secret yet.'}</p>
${shown}
<form method="post" action="${CLI_SECRET_PATH}" id="cli-secret-form">
<input type="hidden" name="csrf" value="${h(csrf)}">
<button type="submit" id="cli-secret-submit">${link.hasSecret ? 'Make a new CLI secret' : 'Make a CLI secret'}</button>
</form>`
    : '<p>You sign in with a password: clients take the same one.</p>';
  return { title: 'Account', crumbs: [{ label: 'Account' }], body: `<h1>Account: <span id="account-name">${h(user)}</span></h1>\n${oidc}` };
}

export function accountRoutes(deps: AccountPageDeps): (app: FastifyInstance) => Promise<void> {
  const { sessions, store } = deps;
  return async (app) => {
    acceptForms(app, 'the account page');

    app.get(ACCOUNT_PATH, async (request, reply) => {
      const current = await sessionOf(request, sessions);
      if (!current || current.session.principal.kind !== 'user') {
        secure(reply).header('cache-control', 'no-store');
        return reply.redirect(loginLocation(request), 303);
      }
      const user = current.session.principal.name;
      const link = await store.getOidcLinkOf(user);
      sendPage(reply, 200, accountPage(user, current.session.csrf, link ? { issuer: link.issuer, hasSecret: link.cliSecretHash !== undefined } : undefined), await deps.chrome(current.session));
      return reply;
    });

    app.post(CLI_SECRET_PATH, async (request, reply) => {
      const current = await sessionOf(request, sessions);
      const principal = current?.session.principal;
      if (!current || principal?.kind !== 'user') {
        problem(reply, 401, 'Not signed in', 'Sign in to make a CLI secret.', { signIn: true });
        return reply;
      }
      if (fromAnotherSite(request) || !sameToken(field(request.body, 'csrf'), current.session.csrf)) {
        request.log.warn({ event: 'ui.csrf', path: CLI_SECRET_PATH, ip: request.ip }, 'CLI secret refused: the form token is missing or wrong');
        problem(reply, 403, 'Refused', 'The form did not come from this page: use the button on your account page.', chromeOf(current.session));
        return reply;
      }
      const secret = await newCliSecret(store, principal.name);
      if (secret === undefined) {
        problem(reply, 404, 'No CLI secret', 'Only accounts that sign in through an identity provider have a CLI secret.', chromeOf(current.session));
        return reply;
      }
      // The account's sessions ended with the new secret: this one carries on under a new id.
      const renewed = await sessions.create(principal, current.id);
      setCookie(reply, request, SESSION_COOKIE, renewed.id, sessions.maxAgeSeconds);
      noteAudit(request, { action: 'user.password', principal: principal.name, detail: { user: principal.name, cliSecret: true } });
      request.log.info({ event: 'ui.cli-secret', user: principal.name, ip: request.ip }, `${principal.name} made a new CLI secret`);
      const link = await store.getOidcLinkOf(principal.name);
      sendPage(reply, 200, accountPage(principal.name, renewed.session.csrf, { issuer: link?.issuer ?? '', hasSecret: true }, secret), await deps.chrome(renewed.session));
      return reply;
    });
  };
}
