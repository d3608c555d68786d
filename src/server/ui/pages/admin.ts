/**
 * Pages of the forms' results: `/ui/admin`, the registry administrators'
 * page (create a project, create a user, the projects with links), and the
 * one-time pages that show a secret the registry keeps only as a hash or
 * sealed — a new robot's secret and a new webhook's signing secret — so
 * they are shown in the answer to the form that made them and never again
 * (the answer is `no-store`; the project page never shows them).
 *
 * Everything that came from a person (names, descriptions) is text through
 * `h`; a secret is ours (base64url or printable ASCII) and still goes
 * through `h`.
 */
import type { ProjectRecord, RobotRecord } from '../../metadata/identity-store.js';
import type { WebhookRecord } from '../../metadata/webhook-store.js';
import { h, table, time, type PageContent } from '../html.js';
import { projectPath, UI_ROOT } from '../paths.js';
import { noticeLine, type ProjectForms } from './project-forms.js';

export const ADMIN_PATH = '/ui/admin';
export const ADMIN_FORMS = ['projects', 'users'] as const;
export type AdminForm = (typeof ADMIN_FORMS)[number];

const CRUMBS = [{ label: 'Repositories', href: UI_ROOT }, { label: 'Administration', href: ADMIN_PATH }];

function adminForm(action: AdminForm, csrf: string, fields: string, button: string): string {
  return `<form method="post" action="${ADMIN_PATH}/${action}" class="manage" id="form-create-${action}"><input type="hidden" name="csrf" value="${h(csrf)}">${fields}<button type="submit" id="submit-create-${action}">${h(button)}</button></form>`;
}

/** The administrators' page: `projects` are the first ones (sorted), `more` when there are others. */
export function adminPage(forms: Pick<ProjectForms, 'csrf' | 'notice' | 'again'>, projects: readonly ProjectRecord[], more: boolean): PageContent {
  const again = (name: string): string => h(forms.again?.[name] ?? '');
  const project = adminForm(
    'projects',
    forms.csrf,
    `<label for="project-name">Name</label><input id="project-name" name="name" required maxlength="64" autocomplete="off" value="${again('name')}">` +
      `<span class="label">Visibility</span><label class="check"><input type="checkbox" name="public" value="true" id="project-public"> public (anyone may pull)</label>`,
    'Create project',
  );
  const user = adminForm(
    'users',
    forms.csrf,
    `<label for="user-name">User name</label><input id="user-name" name="name" required maxlength="64" autocomplete="off" value="${again('user')}">` +
      `<label for="user-password">Password (12 characters or more)</label><input id="user-password" name="password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password">` +
      `<span class="label">Role</span><label class="check"><input type="checkbox" name="admin" value="true" id="user-admin"> registry administrator</label>`,
    'Create user',
  );
  const rows = projects.map((p) => `<tr data-project="${h(p.name)}"><td class="name"><a href="${h(projectPath(p.name))}">${h(p.name)}</a></td><td>${p.public ? 'public' : 'private'}</td><td>${time(p.createdAt)}</td></tr>`);
  const body = [
    `<h1>Administration</h1>${noticeLine(forms)}`,
    `<h2>Projects</h2>\n${table('projects', ['Project', 'Visibility', 'Created'], rows, 'No projects yet.')}${more ? '<p><small class="more">Only the first projects are shown: the admin API lists them all.</small></p>' : ''}`,
    `<h2>New project</h2>\n<div class="forms">${project}</div>`,
    `<h2>New user</h2>\n<div class="forms">${user}</div>`,
  ];
  return { title: 'Administration', crumbs: CRUMBS, body: body.join('\n') };
}

const ONCE = 'Copy it now: it is shown this once, the registry keeps only a hash of it, and no page or API shows it again.';

/** The answer to "Create robot": the robot's name and secret, once. */
export function robotCreatedPage(robot: RobotRecord, secret: string, registry: string): PageContent {
  const body = `<h1>Robot created</h1>
<p class="done" id="secret-once">${h(ONCE)} If it is lost, revoke the robot and create another.</p>
<dl class="meta" id="robot-created"><dt>Name</dt><dd><code id="created-robot-name">${h(robot.name)}</code></dd><dt>Secret</dt><dd><code id="robot-secret">${h(secret)}</code></dd>
<dt>Actions</dt><dd>${h(robot.actions.join(', '))}</dd><dt>Expires</dt><dd id="robot-expires">${robot.expiresAt ? time(robot.expiresAt) : '<span class="none">never</span>'}</dd></dl>
<p>Sign in with it: <code>docker login -u '${h(robot.name)}' ${h(registry)}</code> and paste the secret as the password.</p>
<p><a href="${h(projectPath(robot.project))}" id="back-to-project">Back to project ${h(robot.project)}</a></p>`;
  return { title: 'Robot created', crumbs: [...CRUMBS.slice(0, 1), { label: `Project ${robot.project}`, href: projectPath(robot.project) }], body };
}

/** The answer to "Add webhook": where it posts, and its signing secret, once. */
export function webhookCreatedPage(webhook: WebhookRecord, address: string, secret: string): PageContent {
  const body = `<h1>Webhook added</h1>
<p class="done" id="secret-once">${h(ONCE.replace('a hash of it', 'it sealed'))} The receiver checks each delivery's signature with it.</p>
<dl class="meta" id="webhook-created"><dt>Id</dt><dd><code>${h(webhook.id)}</code></dd><dt>URL</dt><dd><code>${h(address)}</code></dd><dt>Events</dt><dd>${h(webhook.events.join(', '))}</dd>
<dt>Signing secret</dt><dd><code id="webhook-secret-once">${h(secret)}</code></dd></dl>
<p><a href="${h(projectPath(webhook.project))}" id="back-to-project">Back to project ${h(webhook.project)}</a></p>`;
  return { title: 'Webhook added', crumbs: [...CRUMBS.slice(0, 1), { label: `Project ${webhook.project}`, href: projectPath(webhook.project) }], body };
}
