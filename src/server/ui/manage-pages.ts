/**
 * The pages the UI's forms need beyond the project and administration
 * pages (manage.ts registers them beside its forms):
 *
 *   GET /ui/p/<project>/webhooks/<id>[?before=SEQ]  a webhook: its forms and delivery log (pages/webhook.ts)
 *   GET /ui/p/<project>/delete                      "Delete project X?" (confirm.ts)
 *   GET /ui/admin/remove-user?user=NAME             "Delete user X?"
 *   GET /ui/admin/remove-admin?user=NAME            "Remove X as registry administrator?"
 *
 * Held to the same rules as the forms: a UI session (anonymous callers go
 * to the sign-in page), a project the caller may not see answers 404, the
 * administration pages 404 for anyone but a registry administrator, and a
 * webhook is read through the admin API's own check (webhookOf: 404 for
 * another project's, 403 without the project's admin role). The pages only
 * offer; what is done is decided when their forms are posted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/v1/context.js';
import { webhookOf } from '../api/v1/webhooks.js';
import { isRegistryAdmin } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { confirmPage, type Confirmation } from './confirm.js';
import type { Chrome } from './html.js';
import { loginLocation, sessionOf } from './login.js';
import { doneNotice, projectFormsFor } from './form-notices.js';
import type { ManageDependencies } from './manage.js';
import { ADMIN_PATH } from './pages/admin.js';
import type { ProjectForms } from './pages/project-forms.js';
import { DELIVERIES_SHOWN, webhookPage } from './pages/webhook.js';
import { projectPath, UI_ROOT } from './paths.js';
import { problem, secure, sendPage } from './respond.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
type Guard = (page: Handler) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

interface Viewer {
  readonly principal: Principal;
  readonly chrome: Chrome;
  readonly csrf: string;
}

/** The webhook's page for `viewer` (status and notice as given), or the API's refusal as a page. */
export async function sendWebhookPage(deps: ManageDependencies, request: FastifyRequest, reply: FastifyReply, viewer: Viewer, project: string, id: string, status: number, notice?: ProjectForms['notice']): Promise<void> {
  const webhooks = deps.act.webhooks;
  if (!webhooks) return problem(reply, 404, 'Not found', 'This registry has no webhooks.', viewer.chrome);
  const before = (request.query as { before?: unknown } | undefined)?.before;
  if (before !== undefined && (typeof before !== 'string' || !/^\d{1,15}$/.test(before))) return problem(reply, 400, 'Bad request', '"before" must be the sequence number of a delivery.', viewer.chrome);
  try {
    const webhook = await webhookOf({ ...deps.act, principal: viewer.principal, request }, webhooks, project, id);
    const forms = await projectFormsFor(deps, viewer.principal, project, viewer.csrf, notice ? { notice } : {});
    if (!forms) return problem(reply, 403, 'Access denied', `Managing project ${project} needs its admin role.`, viewer.chrome);
    const deliveries = await webhooks.store.listDeliveries(webhook.id, { ...(before !== undefined ? { before: Number(before) } : {}), limit: DELIVERIES_SHOWN + 1 });
    sendPage(reply, status, webhookPage(webhook, deliveries, forms, before !== undefined), viewer.chrome);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // After a form (`notice` says why it was refused) the refusal reads as the other forms' do.
    problem(reply, error.status, notice?.kind === 'error' ? 'Change refused' : error.status === 404 ? 'Not found' : 'Access denied', error.message, viewer.chrome);
  }
}

export function managePages(deps: ManageDependencies, guard: Guard): (app: FastifyInstance) => void {
  /** The signed-in viewer, or undefined when the caller was sent to sign in. */
  async function viewerOf(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined> {
    const current = await sessionOf(request, deps.sessions);
    if (!current) {
      secure(reply).header('cache-control', 'no-store');
      void reply.redirect(loginLocation(request), 303);
      return undefined;
    }
    const principal = await deps.current(current.session.principal);
    return { principal, chrome: deps.chrome(current.session, principal), csrf: current.session.csrf };
  }

  /** The viewer when they may see `project` (404 sent otherwise). */
  async function projectViewer(request: FastifyRequest, reply: FastifyReply, project: string): Promise<Viewer | undefined> {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return undefined;
    if (await deps.projectRole(viewer.principal, project)) return viewer;
    problem(reply, 404, 'Project not found', `There is no project named "${project.slice(0, 100)}".`, viewer.chrome);
    return undefined;
  }

  const webhook: Handler = async (request, reply) => {
    const { project = '', webhook: id = '' } = request.params as { project?: string; webhook?: string };
    const viewer = await projectViewer(request, reply, project);
    if (viewer) await sendWebhookPage(deps, request, reply, viewer, project, id, 200, doneNotice(request));
  };

  const deleteProject: Handler = async (request, reply) => {
    const project = (request.params as { project?: string }).project ?? '';
    const viewer = await projectViewer(request, reply, project);
    if (!viewer) return;
    if (!isRegistryAdmin(viewer.principal)) return problem(reply, 403, 'Access denied', 'Deleting projects needs a registry administrator.', viewer.chrome);
    const page = confirmPage(viewer.csrf, `project:${project}`, {
      title: `Delete project ${project}`,
      question: `Delete project ${project}?`,
      consequence: 'Its members, robots, webhooks and settings go with it. A project that still holds repositories is not deleted: delete them first.',
      action: `${projectPath(project)}/delete`,
      fields: {},
      button: 'Delete',
      back: { label: `Back to project ${project}`, href: projectPath(project) },
      crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: `Project ${project}`, href: projectPath(project) }],
    });
    sendPage(reply, 200, page, viewer.chrome);
  };

  /** A confirmation page about a user of the store (`?user=`): registry administrators only, 404 for another caller or user. */
  const userConfirmation =
    (kind: 'user' | 'admin', page: (user: string, self: boolean) => Omit<Confirmation, 'fields' | 'back' | 'crumbs'>): Handler =>
    async (request, reply) => {
      const viewer = await viewerOf(request, reply);
      if (!viewer) return;
      if (!isRegistryAdmin(viewer.principal)) return problem(reply, 404, 'Not found', 'There is no such page.', viewer.chrome);
      const user = (request.query as { user?: unknown } | undefined)?.user;
      if (typeof user !== 'string' || user === '' || !(await deps.act.access.store.getUser(user))) return problem(reply, 404, 'Not found', 'There is no such user.', viewer.chrome);
      const self = viewer.principal.kind === 'user' && viewer.principal.name === user;
      const content = confirmPage(viewer.csrf, `${kind}:${user}`, {
        ...page(user, self),
        fields: { user },
        back: { label: 'Back to administration', href: ADMIN_PATH },
        crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: 'Administration', href: ADMIN_PATH }],
      });
      sendPage(reply, 200, content, viewer.chrome);
    };

  const removeUser = userConfirmation('user', (user) => ({
    title: `Delete user ${user}`,
    question: `Delete user ${user}?`,
    consequence: 'They can no longer sign in, and their roles in every project go with them. The last registry administrator is not deleted.',
    action: `${ADMIN_PATH}/remove-user`,
    button: 'Delete',
  }));

  const removeAdmin = userConfirmation('admin', (user, self) => ({
    title: `Remove administrator ${user}`,
    question: `Remove ${user} as registry administrator?`,
    consequence:
      (self ? 'You lose the administration page and every registry-wide right at once; ' : `${user} loses the administration page and every registry-wide right from their next request on (signed-in sessions too); `) +
      'roles in projects stay. The last registry administrator keeps the role: make another user an administrator first.',
    action: `${ADMIN_PATH}/remove-admin`,
    button: 'Remove administrator',
  }));

  return (app) => {
    app.get('/ui/p/:project/webhooks/:webhook', guard(webhook));
    app.get('/ui/p/:project/delete', guard(deleteProject));
    app.get(`${ADMIN_PATH}/remove-user`, guard(removeUser));
    app.get(`${ADMIN_PATH}/remove-admin`, guard(removeAdmin));
  };
}
