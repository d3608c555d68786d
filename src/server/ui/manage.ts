/**
 * The UI's forms for running a project and the registry (pages/project-forms.ts
 * and pages/admin.ts draw them):
 *
 *   POST /ui/p/<project>/members             {user, role}: add, or change the role
 *   POST /ui/p/<project>/members/remove      {user}
 *   POST /ui/p/<project>/robots              {name, actions…, expiresInDays, description} → the secret, once
 *   POST /ui/p/<project>/robots/revoke       {robot}
 *   POST /ui/p/<project>/webhooks            {url, events…, format, secret, description} → the secret, once
 *   POST /ui/p/<project>/webhooks/remove     {webhook}
 *   POST /ui/p/<project>/webhooks/redeliver  {delivery: "<webhook>/<delivery>"}
 *   POST /ui/p/<project>/settings            {quota, untaggedRetention, denySeverity, retention (JSON), trustPolicy (JSON)}
 *   POST /ui/p/<project>/webhooks/edit      {webhook, url, events…, format, description, enabled}
 *   POST /ui/p/<project>/webhooks/rotate    {webhook} → the new secret, once
 *   POST /ui/p/<project>/visibility         {public: true|false}
 *   POST /ui/p/<project>/delete             {confirm} (the confirmation page's token: confirm.ts)
 *   GET  /ui/admin, POST /ui/admin/projects {name, public}, POST /ui/admin/users {name, password, admin}
 *   POST /ui/admin/password {user} → a generated password, once; POST /ui/admin/remove-user {user, confirm}
 *   POST /ui/admin/make-admin {user}; POST /ui/admin/remove-admin {user, confirm} (never the last administrator)
 *   GET  /ui/p/<project>/webhooks/<id>, /ui/p/<project>/delete, /ui/admin/remove-user?user=,
 *        /ui/admin/remove-admin?user= (manage-pages.ts)
 *
 * Every form acts through the admin API's own function (api/v1: setMember,
 * createRobot, putProjectSettings, …) with the caller as its principal: the
 * same permission checks, validation, log line and audit record (the UI
 * only says who the caller is in the request's facts). What the UI adds:
 * - only a UI session may post (its form token, as "Scan now": scan-now.ts
 *   and login.ts explain the three CSRF defences); credentials sent with
 *   the request are for the admin API;
 * - a project the caller may not see on the UI (not a member, not a
 *   registry administrator) is 404, before a rule is asked; so is
 *   /ui/admin for anyone but a registry administrator;
 * - POST-redirect-GET: a change answers 303 back to the page, which says
 *   what was done; a refusal answers the page again with the reason (the
 *   API's message, as text) and the status the API would have answered;
 *   a new robot or webhook answers a page with its secret, this once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRegistryAdmin } from '../auth/permissions.js';
import { principalName, type Principal } from '../auth/principal.js';
import { factsOf } from '../request-facts.js';
import { ApiError, type ActingContext, type ApiDeps } from '../api/v1/context.js';
import type { UiAccounts, UiContext } from './context.js';
import type { Chrome } from './html.js';
import { acceptForms, field, fromAnotherSite, sessionOf } from './login.js';
import { confirmed } from './confirm.js';
import { managePages, sendWebhookPage } from './manage-pages.js';
import { doneNotice, projectFormsFor } from './form-notices.js';

export { doneNotice, projectFormsFor };
import { ADMIN_FORMS, ADMIN_PATH, adminPage, USERS_SHOWN } from './pages/admin.js';
import { projectPage } from './pages/project.js';
import { PROJECT_FORMS, type ProjectForm, type ProjectForms } from './pages/project-forms.js';
import { projectPath } from './paths.js';
import { problem, secure, sendPage } from './respond.js';
import { sameToken, type Session, type SessionStore } from './session.js';
import { performAdminForm, performProjectForm, type Outcome } from './manage-actions.js';

export interface ManageDependencies {
  readonly sessions: SessionStore;
  /** The admin API's services: every form acts through them. */
  readonly act: ApiDeps;
  readonly accounts: UiAccounts;
  /** The session's principal as the store has it now (the plugin's administrator refresh). */
  readonly current: (principal: Principal) => Promise<Principal>;
  /** The caller's role on the UI's project page, undefined when it is not theirs to see (plugin.ts). */
  readonly projectRole: (principal: Principal, project: string) => Promise<string | undefined>;
  readonly context: (request: FastifyRequest) => UiContext;
  /** The page header for a session. */
  readonly chrome: (session: Session, principal: Principal) => Chrome;
}

/** Fields a refused form is filled with again: never the token, a password or a secret. */
const KEPT = ['user', 'role', 'name', 'expiresInDays', 'description', 'url', 'format', 'quota', 'untaggedRetention', 'denySeverity', 'retention', 'trustPolicy'];

function againOf(form: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of KEPT) {
    const value = field(form, key);
    if (value !== undefined) out[key] = value.slice(0, 6000);
  }
  return out;
}

interface FormCaller {
  readonly principal: Principal;
  readonly chrome: Chrome;
  readonly csrf: string;
}

export function manageRoutes(deps: ManageDependencies): (app: FastifyInstance) => Promise<void> {
  const { sessions, act, accounts } = deps;

  /** The session's caller when the form carries its token from this site; otherwise the refusal is sent. */
  async function formCaller(request: FastifyRequest, reply: FastifyReply): Promise<FormCaller | undefined> {
    const current = await sessionOf(request, sessions);
    if (!current) {
      problem(reply, 403, 'Change refused', 'Sign in to the UI to make changes here.', { signIn: true });
      return undefined;
    }
    const principal = await deps.current(current.session.principal);
    const chrome = deps.chrome(current.session, principal);
    if (fromAnotherSite(request) || !sameToken(field(request.body, 'csrf'), current.session.csrf)) {
      request.log.warn({ event: 'ui.csrf', path: request.url.split('?')[0]!.slice(0, 200), ip: request.ip }, 'form refused: the form token is missing or wrong');
      problem(reply, 403, 'Change refused', 'The form did not come from this page: reload the page and try again.', chrome);
      return undefined;
    }
    // Who acted, for the audit record the action notes (audit/http.ts reads it when the answer is sent).
    factsOf(request.raw).principal = principalName(principal);
    return { principal, chrome, csrf: current.session.csrf };
  }

  function acting(request: FastifyRequest, principal: Principal): ActingContext {
    return { ...act, principal, request };
  }

  function send(reply: FastifyReply, caller: FormCaller, outcome: Outcome, back: string): void {
    if (outcome.kind === 'page') return sendPage(reply, 200, outcome.page, caller.chrome);
    secure(reply).header('cache-control', 'no-store');
    void reply.redirect(`${outcome.location ?? back}?done=${encodeURIComponent(outcome.done)}`, 303);
  }

  async function projectForm(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const params = request.params as { project?: string; '*'?: string };
    const name = params.project ?? '';
    const action = (PROJECT_FORMS as readonly string[]).find((f) => f === params['*']) as ProjectForm | undefined;
    if (!action) return problem(reply, 404, 'Not found', 'There is no such page.');
    const caller = await formCaller(request, reply);
    if (!caller) return;
    const role = await deps.projectRole(caller.principal, name);
    if (!role) return problem(reply, 404, 'Project not found', `There is no project named "${name.slice(0, 100)}".`, caller.chrome);
    if (action === 'delete' && !confirmed(caller.csrf, `project:${name}`, field(request.body, 'confirm'))) return unconfirmed(request, reply, caller);
    try {
      send(reply, caller, await performProjectForm(acting(request, caller.principal), action, name, request.body, deps.context(request).publicName), projectPath(name));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // A webhook's forms are on its own page: the refusal is said there.
      if (action === 'webhooks/edit' || action === 'webhooks/rotate') return sendWebhookPage(deps, request, reply, caller, name, field(request.body, 'webhook') ?? '', error.status, { kind: 'error', text: error.message });
      // Someone who may not run the project (a pull member, say) gets the refusal alone: no forms to fill again.
      const forms = await projectFormsFor(deps, caller.principal, name, caller.csrf, { notice: { kind: 'error', text: error.message }, again: againOf(request.body) });
      if (!forms) return problem(reply, error.status, 'Change refused', error.message, caller.chrome);
      const page = await projectPage(deps.context(request), accounts, name, role, forms);
      if (!page) return problem(reply, 404, 'Project not found', `There is no project named "${name.slice(0, 100)}".`, caller.chrome);
      sendPage(reply, error.status, page, caller.chrome);
    }
  }

  /** A destructive form that did not come from its confirmation page. */
  function unconfirmed(request: FastifyRequest, reply: FastifyReply, caller: FormCaller): void {
    request.log.warn({ event: 'ui.unconfirmed', path: request.url.split('?')[0]!.slice(0, 200), ip: request.ip }, 'form refused: not confirmed on its page');
    problem(reply, 403, 'Change refused', 'This must be confirmed on its own page: use the link on the page and confirm there.', caller.chrome);
  }

  async function showAdmin(reply: FastifyReply, caller: FormCaller, status: number, extra: Pick<ProjectForms, 'notice' | 'again'>, usersFrom?: string): Promise<void> {
    const projects = await act.access.store.listProjects({ limit: 201 });
    const users = await act.access.store.listUsers({ ...(usersFrom !== undefined ? { last: usersFrom } : {}), limit: USERS_SHOWN + 1 });
    sendPage(reply, status, adminPage({ csrf: caller.csrf, ...extra }, projects.slice(0, 200), projects.length > 200, { users, ...(usersFrom !== undefined ? { from: usersFrom } : {}) }), caller.chrome);
  }

  async function adminForm(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const action = ADMIN_FORMS.find((f) => f === (request.params as { form?: string }).form);
    if (!action) return problem(reply, 404, 'Not found', 'There is no such page.');
    const caller = await formCaller(request, reply);
    if (!caller) return;
    if (!isRegistryAdmin(caller.principal)) return problem(reply, 404, 'Not found', 'There is no such page.', caller.chrome);
    if (action === 'remove-user' && !confirmed(caller.csrf, `user:${field(request.body, 'user') ?? ''}`, field(request.body, 'confirm'))) return unconfirmed(request, reply, caller);
    if (action === 'remove-admin' && !confirmed(caller.csrf, `admin:${field(request.body, 'user') ?? ''}`, field(request.body, 'confirm'))) return unconfirmed(request, reply, caller);
    try {
      send(reply, caller, await performAdminForm(acting(request, caller.principal), action, request.body), ADMIN_PATH);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const name = field(request.body, 'name')?.slice(0, 100) ?? '';
      await showAdmin(reply, caller, error.status, { notice: { kind: 'error', text: error.message }, again: action === 'users' ? { user: name } : { name } });
    }
  }

  const guard =
    (page: (request: FastifyRequest, reply: FastifyReply) => Promise<void>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        await page(request, reply);
      } catch (error) {
        request.log.error({ err: error }, 'ui form failed');
        if (!reply.sent) problem(reply, 500, 'Internal error', 'The change could not be made; the registry log has the details.');
      }
      return reply;
    };

  return async (app) => {
    acceptForms(app, 'the project page');
    app.post('/ui/p/:project/*', guard(projectForm));
    app.post(`${ADMIN_PATH}/:form`, guard(adminForm));
    managePages(deps, guard)(app);
    app.get(
      ADMIN_PATH,
      guard(async (request, reply) => {
        const current = await sessionOf(request, sessions);
        if (!current) {
          secure(reply).header('cache-control', 'no-store');
          void reply.redirect(`/ui/login?next=${encodeURIComponent(ADMIN_PATH)}`, 303);
          return;
        }
        const principal = await deps.current(current.session.principal);
        const chrome = deps.chrome(current.session, principal);
        if (!isRegistryAdmin(principal)) return problem(reply, 404, 'Not found', 'There is no such page.', chrome);
        const notice = doneNotice(request);
        const from = (request.query as { users?: unknown } | undefined)?.users;
        await showAdmin(reply, { principal, chrome, csrf: current.session.csrf }, 200, notice ? { notice } : {}, typeof from === 'string' ? from.slice(0, 100) : undefined);
      }),
    );
  };
}
