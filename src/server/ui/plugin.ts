/**
 * The web UI of `portcullis serve` as a Fastify plugin: server-rendered HTML,
 * no JavaScript, so it runs on any Fastify instance
 * (`buildApp(services, { plugins: [uiPlugin(dependencies)] })`, or a bare
 * `Fastify()` in tests; context.ts lists what it is built from).
 *
 *   /                          redirects to /ui/
 *   /ui/                       repositories            pages/repositories.ts
 *   /ui/r/<repo>               tags                    pages/tags.ts
 *   /ui/r/<repo>/m/<digest>    one image or index      pages/image.ts (?severity=HIGH filters)
 *   …/m/<digest>/sbom.cdx.json the image's SBOM        packages.ts (also sbom.spdx.json)
 *   /ui/login, /ui/logout      sign-in and sign-out    login.ts (with authentication only)
 *   /ui/oidc/login, …/callback OIDC sign-in            oidc.ts (accounts with `oidc`)
 *   /ui/account                the user's CLI secret   oidc-account.ts (accounts with `oidc`)
 *   POST …/m/<digest>/scan     "Scan now"              scan-now.ts (sessions, a scan service)
 *   /ui/p/<project>            one project             pages/project.ts (with accounts)
 *   /ui/audit                  the audit log           pages/audit.ts (with accounts)
 *   POST /ui/p/<project>/…     a project's forms       manage.ts (accounts with `manage`, sessions)
 *   /ui/admin                  create projects, users  manage.ts (registry administrators)
 *   /ui/static/<file>          stylesheet and icon     static.ts
 *
 * Headers: respond.ts (a strict Content-Security-Policy on every answer).
 *
 * With an `auth` collaborator the UI asks it exactly what the API would ask
 * for a pull: a repository page needs pull access to that repository, the
 * list needs a signed-in caller and shows only pullable repositories. The
 * caller is the principal of their sign-in session (login.ts), or of the
 * credentials the request carries (Basic, or a Bearer token: scripts and
 * tests, held to the access the token was issued for: `tokenCovers`), or anonymous. A page an anonymous caller may not see sends them to
 * the sign-in page and back.
 *
 * With accounts, a project's page is for its members and registry
 * administrators: anyone else signed in gets the same 404 as for a project
 * that does not exist (a public project's pullers included: the page lists
 * members and robots). The audit log has the admin API's scoping.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSignedIn } from '../auth/permissions.js';
import { isProjectName, type Principal } from '../auth/principal.js';
import { ADMIN_API_SCOPE, ADMIN_API_SCOPE_NAME, grantsInclude, type AccessEntry } from '../auth/scopes.js';
import { Limiter, type UiContext, type UiDependencies } from './context.js';
import { h, type Chrome, type PageContent } from './html.js';
import { chromeOf, LOGIN_PATH, loginLocation, sessionOf, signInRoutes } from './login.js';
import { auditPage } from './pages/audit.js';
import { imagePage, type ImageActions } from './pages/image.js';
import { projectPage } from './pages/project.js';
import { repositoriesPage } from './pages/repositories.js';
import { tagsPage } from './pages/tags.js';
import { readPackages, sbomFile } from './packages.js';
import { AUDIT_PATH, parseUiPath, projectPath, UI_ROOT } from './paths.js';
import { problem, secure, sendPage } from './respond.js';
import { scanNowRoutes } from './scan-now.js';
import { doneNotice, manageRoutes, projectFormsFor } from './manage.js';
import { ADMIN_PATH } from './pages/admin.js';
import { SessionStore, type Session } from './session.js';
import { providerLabel } from '../auth/oidc-settings.js';
import { ACCOUNT_PATH, accountRoutes } from './oidc-account.js';
import { oidcButton, oidcRoutes } from './oidc.js';
import { parseSeverityFilter } from './severity.js';
import { STATIC_ASSETS } from './static.js';

export type { UiDependencies } from './context.js';
export { CONTENT_SECURITY_POLICY, FORMS_CONTENT_SECURITY_POLICY } from './respond.js';

/** Who is asking: a principal (undefined when the UI has no authentication), and the header to show them. */
/** `grants`: the access a Bearer token was issued for (absent for a session, Basic credentials or no credentials). */
type Caller = { readonly ok: true; readonly principal?: Principal; readonly grants?: readonly AccessEntry[]; readonly chrome: Chrome } | { readonly ok: false };

/**
 * Whether the caller's token (if it came with one) was issued for `action` on `name`: a token is an upper bound, as
 * on /v2/ and /api/v1/. A pull token for one repository (what clients hold, and leak into CI logs) opens that
 * repository's pages only; the project pages and the audit log, which the admin API serves, need `registry:admin:*`,
 * which stands for the account as on the admin API.
 */
function tokenCovers(caller: Extract<Caller, { ok: true }>, type: AccessEntry['type'], name: string, action: string): boolean {
  return !caller.grants || grantsInclude(caller.grants, 'registry', ADMIN_API_SCOPE_NAME, '*') || grantsInclude(caller.grants, type, name, action);
}

/**
 * A page sends its answer and returns nothing: a FastifyReply is thenable, so
 * returning one from an async function and awaiting it would wait for the
 * response to finish and yield undefined, not the reply.
 */
type Page = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Store failures become a plain 500 page; the detail goes to the log, not to the browser. */
function guarded(page: Page): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    try {
      await page(request, reply);
    } catch (error) {
      request.log.error({ err: error }, 'ui page failed');
      if (!reply.sent) problem(reply, 500, 'Internal error', 'The page could not be built; the registry log has the details.');
    }
    return reply;
  };
}

export function uiPlugin(deps: UiDependencies): (app: FastifyInstance) => Promise<void> {
  const { auth, accounts, scans } = deps;
  /**
   * A stored session's user as a principal now: an account with the store's
   * administrator flag, an htpasswd user beside the accounts (never an
   * administrator), or no one (the session ends); without accounts, the
   * htpasswd file's users are all administrators (htpasswd.ts) while their
   * line is in the current file: a user taken out of it (and the file
   * reloaded) is signed out at the next request, not when the session ends.
   * An account whose password changed after the session was opened (a reset
   * after a leak, say) is signed out too: the old password's sessions end with it.
   */
  async function resolveUser(name: string, signedInAt: number): Promise<Principal | undefined> {
    if (!accounts) return auth?.knowsUser?.(name) === true ? { kind: 'user', name, admin: true, via: 'htpasswd' } : undefined;
    const account = await accounts.store.getUser(name);
    if (account) return Date.parse(account.passwordChangedAt) > signedInAt ? undefined : { kind: 'user', name, admin: account.admin, via: 'password' };
    return accounts.manage?.access.isHtpasswdUser(name) ? { kind: 'user', name, admin: false, via: 'htpasswd' } : undefined;
  }
  const sessions = auth ? new SessionStore({ ...deps.sessions, ...(deps.sessionStore ? { store: deps.sessionStore } : {}), resolve: resolveUser }) : undefined;
  const decodes = new Limiter(2);

  function contextFor(request: FastifyRequest): UiContext {
    const { auth: _auth, sessions: _sessions, sessionStore: _sessionStore, publicName, accounts: _accounts, scans: _scans, oidc: _oidc, ...rest } = deps;
    return { ...rest, publicName: publicName?.() ?? request.host, now: new Date(), decodes };
  }

  /**
   * A session's user with the administrator flag the store has now, not the
   * one at sign-in: a demoted administrator loses the project pages, the
   * whole audit log and "Scan now" at once (roles in projects are read at
   * each request anyway). A name the store does not hold (an htpasswd user)
   * is never an administrator.
   */
  async function currentAdmin(principal: Principal): Promise<Principal> {
    if (!accounts || principal.kind !== 'user') return principal;
    const admin = (await accounts.store.getUser(principal.name))?.admin === true;
    return admin === principal.admin ? principal : { ...principal, admin };
  }

  /** The header for a session: the audit log with one, the administration page for registry administrators who may use it. */
  function sessionChrome(session: Session, principal: Principal): Chrome {
    const sections = [
      ...(accounts?.audit ? [{ label: 'Audit log', href: AUDIT_PATH }] : []),
      ...(accounts?.manage && principal.kind === 'user' && principal.admin ? [{ label: 'Administration', href: ADMIN_PATH }] : []),
      ...(deps.oidc ? [{ label: 'Account', href: ACCOUNT_PATH }] : []),
    ];
    return { ...chromeOf(session), ...(sections.length ? { sections } : {}) };
  }

  /** The caller's principal, or the refusal sent (wrong credentials, too many failures). */
  async function callerOf(request: FastifyRequest, reply: FastifyReply): Promise<Caller> {
    if (!auth || !sessions) return { ok: true, chrome: {} };
    const current = await sessionOf(request, sessions);
    if (current) {
      const principal = await currentAdmin(current.session.principal);
      return { ok: true, principal, chrome: sessionChrome(current.session, principal) };
    }
    const result = await auth.authenticate(request);
    if (result.ok) return { ok: true, principal: result.principal, ...(result.grants ? { grants: result.grants } : {}), chrome: isSignedIn(result.principal) ? {} : { signIn: true } };
    request.log.warn({ event: 'auth.failed', reason: result.reason, ...(result.user !== undefined ? { user: result.user } : {}), access: 'pull', ip: request.ip }, `authentication failed (${result.reason})`);
    if (result.reason === 'rate-limited') {
      reply.header('retry-after', String(result.retryAfterSeconds ?? 60));
      problem(reply, 429, 'Too many failed sign-ins', 'Wait a few minutes before trying again.');
    } else {
      reply.header('www-authenticate', auth.challenge(undefined, result.token ? 'invalid_token' : undefined));
      problem(reply, 401, 'Authentication failed', 'The credentials sent with this request were refused.', { signIn: true });
    }
    return { ok: false };
  }

  /** True when the caller may pull `repository` (signed in, for the list); otherwise the answer is sent. */
  async function allowed(request: FastifyRequest, reply: FastifyReply, caller: Extract<Caller, { ok: true }>, repository?: string): Promise<boolean> {
    if (!auth || !caller.principal) return true;
    const principal = caller.principal;
    const may = repository === undefined ? isSignedIn(principal) : tokenCovers(caller, 'repository', repository, 'pull') && (await auth.can(principal, 'pull', repository));
    if (may) return true;
    if (!isSignedIn(principal)) {
      secure(reply).header('cache-control', 'no-store');
      void reply.redirect(loginLocation(request), 303);
    } else {
      problem(reply, 403, 'Access denied', 'You may not pull from this repository.', caller.chrome);
    }
    return false;
  }

  /** The caller's role in `name` ("registry administrator" for one), or undefined when the project page is not theirs to see. */
  async function projectRole(principal: Principal | undefined, name: string): Promise<string | undefined> {
    if (!accounts || !principal || principal.kind !== 'user' || !isProjectName(name)) return undefined;
    if (!(await accounts.store.getProject(name))) return undefined;
    if (principal.admin) return 'registry administrator';
    return (await accounts.store.projectAccess(name, principal.name)).role;
  }

  /** A page the admin API serves: a token without its scope is refused as there (401, insufficient_scope); true otherwise. */
  function adminScoped(reply: FastifyReply, caller: Extract<Caller, { ok: true }>): boolean {
    if (tokenCovers(caller, 'registry', ADMIN_API_SCOPE_NAME, '*')) return true;
    if (auth) reply.header('www-authenticate', auth.challenge(ADMIN_API_SCOPE, 'insufficient_scope'));
    problem(reply, 401, 'Token not accepted here', `This token was not issued for this page: sign in, or ask /token for ${ADMIN_API_SCOPE}.`, caller.chrome);
    return false;
  }

  /** Anonymous callers go to the sign-in page and back; true when the caller is someone. */
  function signedIn(request: FastifyRequest, reply: FastifyReply, principal: Principal | undefined): principal is Principal {
    if (principal && isSignedIn(principal)) return true;
    secure(reply).header('cache-control', 'no-store');
    void reply.redirect(loginLocation(request), 303);
    return false;
  }

  /** What the image page offers the caller: "Scan now" to project and registry admins signed in to the UI. */
  async function imageActions(request: FastifyRequest, caller: Extract<Caller, { ok: true }>, repository: string): Promise<ImageActions> {
    const queued = (request.query as { scan?: unknown } | undefined)?.scan === 'queued';
    const csrf = caller.chrome.session?.csrf;
    const may = scans && auth && caller.principal && csrf !== undefined && (await auth.can(caller.principal, 'admin', repository));
    return { ...(queued ? { queued } : {}), ...(may ? { scanCsrf: csrf } : {}) };
  }

  const project: Page = async (request, reply) => {
    const name = (request.params as { project?: string }).project ?? '';
    const caller = await callerOf(request, reply);
    if (!caller.ok || !signedIn(request, reply, caller.principal) || !adminScoped(reply, caller)) return;
    const role = await projectRole(caller.principal, name);
    const notice = doneNotice(request);
    const forms = role && accounts?.manage ? await projectFormsFor({ act: accounts.manage }, caller.principal, name, caller.chrome.session?.csrf, notice ? { notice } : {}) : undefined;
    const page = role && accounts ? await projectPage(contextFor(request), accounts, name, role, forms) : undefined;
    if (!page) return problem(reply, 404, 'Project not found', `There is no project named "${name.slice(0, 100)}".`, caller.chrome);
    sendPage(reply, 200, page, caller.chrome);
  };

  const audit: Page = async (request, reply) => {
    const caller = await callerOf(request, reply);
    if (!caller.ok || !signedIn(request, reply, caller.principal) || !adminScoped(reply, caller)) return;
    if (!accounts?.audit) return problem(reply, 404, 'No audit log', 'This registry keeps no audit log in its store.', caller.chrome);
    const answer = await auditPage(accounts.audit, accounts.store, caller.principal, request.raw.url ?? '', new Date());
    if (!answer.ok) return problem(reply, answer.status, answer.title, answer.text, caller.chrome);
    sendPage(reply, 200, answer.page, caller.chrome, true);
  };

  const repositories: Page = async (request, reply) => {
    const caller = await callerOf(request, reply);
    if (!caller.ok || !(await allowed(request, reply, caller))) return;
    const principal = caller.principal;
    const visible = async (name: string): Promise<boolean> => !auth || !principal || (tokenCovers(caller, 'repository', name, 'pull') && auth.can(principal, 'pull', name));
    sendPage(reply, 200, await repositoriesPage(contextFor(request), visible), caller.chrome);
  };

  const repositoryOrImage: Page = async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    const path = parseUiPath(rest);
    if (path.kind === 'invalid') return problem(reply, 404, 'Not found', 'There is no such page.');
    const caller = await callerOf(request, reply);
    if (!caller.ok || !(await allowed(request, reply, caller, path.name))) return;
    const ctx = contextFor(request);
    const send = (page: PageContent | undefined, title: string, missing: string): void =>
      page ? sendPage(reply, 200, page, caller.chrome) : problem(reply, 404, title, missing, caller.chrome);
    if (path.kind === 'repository') {
      const tags = await tagsPage(ctx, path.name);
      const project = tags ? await projectRole(caller.principal, path.name.split('/')[0]!) : undefined;
      const withLink = tags && project ? { ...tags, body: `${tags.body}\n<p id="project-link">Project: <a href="${h(projectPath(path.name.split('/')[0]!))}">${h(path.name.split('/')[0]!)}</a></p>` } : tags;
      return send(withLink, 'Repository not found', `There is no repository named "${path.name}".`);
    }
    if (path.kind === 'sbom') {
      if (!(await ctx.metadata.getManifest(path.name, path.digest))) return problem(reply, 404, 'Image not found', `Repository "${path.name}" holds no manifest ${path.digest}.`, caller.chrome);
      const packages = await readPackages(ctx, path.digest);
      if (!packages.found) return problem(reply, 404, 'SBOM not available', packages.why, caller.chrome);
      // Writing an SBOM costs several times its JSON in CPU and memory: under the same limit as decoding one.
      const file = await ctx.decodes.run(async () => sbomFile(packages.packages, ctx.publicName, path.name, path.digest, path.format));
      secure(reply).code(200).header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file.fileName}"`).type(file.contentType).send(file.body);
      return;
    }
    const filter = parseSeverityFilter((request.query as { severity?: unknown } | undefined)?.severity);
    if (!filter.ok) return problem(reply, 400, 'Bad severity filter', `"${filter.value}" is not a severity: use CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN.`, caller.chrome);
    return send(await imagePage(ctx, path.name, path.digest, filter.threshold, await imageActions(request, caller, path.name)), 'Image not found', `Repository "${path.name}" holds no manifest ${path.digest}.`);
  };

  const asset: Page = async (request, reply) => {
    const name = (request.params as { file?: string }).file ?? '';
    const found = STATIC_ASSETS.get(name);
    if (!found) return problem(reply, 404, 'Not found', 'There is no such file.');
    secure(reply).code(200).header('cache-control', 'public, max-age=3600').type(found.contentType).send(found.body);
  };

  return async (app) => {
    app.get(UI_ROOT, guarded(repositories));
    if (!app.hasRoute({ method: 'GET', url: '/ui' })) app.get('/ui', async (_request, reply) => reply.redirect(UI_ROOT, 302));
    if (!app.hasRoute({ method: 'GET', url: '/' })) app.get('/', async (_request, reply) => reply.redirect(UI_ROOT, 302));
    app.get('/ui/r/*', guarded(repositoryOrImage));
    app.get('/ui/static/:file', guarded(asset));
    if (accounts) {
      app.get('/ui/p/:project', guarded(project));
      app.get(AUDIT_PATH, guarded(audit));
    }
    const oidc = deps.oidc;
    if (auth && sessions) await app.register(signInRoutes({ auth, sessions, ...(oidc ? { oidcButton: (next: string) => oidcButton(providerLabel(oidc.rp.settings), next) } : {}) }));
    else app.get(LOGIN_PATH, async (_request, reply) => reply.redirect(UI_ROOT, 303));
    if (auth && sessions && oidc) {
      await app.register(oidcRoutes({ oidc, sessions }));
      await app.register(accountRoutes({ sessions, store: oidc.accounts.store, chrome: async (session) => sessionChrome(session, await currentAdmin(session.principal)) }));
    }
    if (auth && sessions && accounts?.manage) {
      const context = { sessions, act: accounts.manage, accounts, current: currentAdmin, context: contextFor, chrome: sessionChrome };
      await app.register(manageRoutes({ ...context, projectRole: async (principal: Principal, name: string) => projectRole(principal, name) }));
    }
    if (auth && sessions && scans) await app.register(scanNowRoutes({ auth, sessions, scans, metadata: deps.metadata, current: currentAdmin }));
    app.get('/ui/*', guarded(async (_request, reply) => problem(reply, 404, 'Not found', 'There is no such page.')));
  };
}
