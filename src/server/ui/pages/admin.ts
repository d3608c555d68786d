/**
 * Pages of the forms' results: `/ui/admin`, the registry administrators'
 * page (create a project, create a user, the projects with links, the users
 * with their password reset, administrator role and delete actions), and the
 * one-time pages that show a secret the registry keeps only as a hash or
 * sealed — a new robot's secret and a new webhook's signing secret — so
 * they are shown in the answer to the form that made them and never again
 * (the answer is `no-store`; the project page never shows them).
 *
 * Everything that came from a person (names, descriptions) is text through
 * `h`; a secret is ours (base64url or printable ASCII) and still goes
 * through `h`.
 */
import type { ProjectRecord, RobotRecord, UserRecord } from '../../metadata/identity-store.js';
import type { WebhookRecord } from '../../metadata/webhook-store.js';
import { h, table, time, type PageContent } from '../html.js';
import { projectPath, UI_ROOT } from '../paths.js';
import { noticeLine, type ProjectForms } from './project-forms.js';

export const ADMIN_PATH = '/ui/admin';
export const ADMIN_FORMS = ['projects', 'users', 'password', 'remove-user', 'make-admin', 'remove-admin'] as const;
export type AdminForm = (typeof ADMIN_FORMS)[number];

const CRUMBS = [{ label: 'Repositories', href: UI_ROOT }, { label: 'Administration', href: ADMIN_PATH }];

function adminForm(action: AdminForm, csrf: string, fields: string, button: string): string {
  return `<form method="post" action="${ADMIN_PATH}/${action}" class="manage" id="form-create-${action}"><input type="hidden" name="csrf" value="${h(csrf)}">${fields}<button type="submit" id="submit-create-${action}">${h(button)}</button></form>`;
}

/** Users shown per page of the administration page (`?users=` the last name shown, for the next). */
export const USERS_SHOWN = 100;

/** A page of accounts (up to USERS_SHOWN + 1: one more says there is a next page), `from` the name they follow. */
export interface UserList {
  readonly users: readonly UserRecord[];
  readonly from?: string;
}

function usersSection(csrf: string, list: UserList): string {
  const shown = list.users.slice(0, USERS_SHOWN);
  const rows = shown.map((u) => {
    const reset = `<form method="post" action="${ADMIN_PATH}/password" class="inline-form"><input type="hidden" name="csrf" value="${h(csrf)}"><input type="hidden" name="user" value="${h(u.name)}"><button type="submit" data-reset="${h(u.name)}">Reset password</button></form>`;
    const remove = `<a href="${h(`${ADMIN_PATH}/remove-user?user=${encodeURIComponent(u.name)}`)}" data-remove="${h(u.name)}">Delete…</a>`;
    // Making an administrator is one click; removing the role is confirmed on its own page, as deleting is.
    const role = u.admin
      ? `<a href="${h(`${ADMIN_PATH}/remove-admin?user=${encodeURIComponent(u.name)}`)}" data-demote="${h(u.name)}">Remove administrator…</a>`
      : `<form method="post" action="${ADMIN_PATH}/make-admin" class="inline-form"><input type="hidden" name="csrf" value="${h(csrf)}"><input type="hidden" name="user" value="${h(u.name)}"><button type="submit" data-promote="${h(u.name)}">Make administrator</button></form>`;
    return `<tr data-user="${h(u.name)}"><td class="name">${h(u.name)}</td><td class="admin">${u.admin ? 'registry administrator' : 'user'}</td><td>${time(u.createdAt)}</td><td>${time(u.passwordChangedAt)}</td><td>${reset} ${role} ${remove}</td></tr>`;
  });
  const last = shown[shown.length - 1];
  const next = list.users.length > USERS_SHOWN && last ? `<p><a href="${h(`${ADMIN_PATH}?users=${encodeURIComponent(last.name)}`)}" id="more-users">More users</a></p>` : '';
  const first = list.from !== undefined ? `<p><a href="${ADMIN_PATH}" id="first-users">First users</a></p>` : '';
  return `<h2>Users</h2>\n<p><small>Accounts in the registry's store (htpasswd users are the file's and are not listed). A reset password is generated and shown once. The last registry administrator keeps the role: make another user an administrator first.</small></p>${first}${table('users', ['User', 'Role', 'Created', 'Password changed', ''], rows, 'No users.')}${next}`;
}

/** The administrators' page: `projects` are the first ones (sorted), `more` when there are others. */
export function adminPage(forms: Pick<ProjectForms, 'csrf' | 'notice' | 'again'>, projects: readonly ProjectRecord[], more: boolean, users: UserList = { users: [] }): PageContent {
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
    usersSection(forms.csrf, users),
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

/** The answer to "Add webhook" (or "Rotate signing secret", `rotated`): where it posts, and its signing secret, once. */
export function webhookCreatedPage(webhook: WebhookRecord, address: string, secret: string, rotated = false): PageContent {
  const title = rotated ? 'Signing secret rotated' : 'Webhook added';
  const body = `<h1>${title}</h1>
<p class="done" id="secret-once">${h(ONCE.replace('a hash of it', 'it sealed'))} The receiver checks each delivery's signature with it.</p>
<dl class="meta" id="webhook-created"><dt>Id</dt><dd><code>${h(webhook.id)}</code></dd><dt>URL</dt><dd><code>${h(address)}</code></dd><dt>Events</dt><dd>${h(webhook.events.join(', '))}</dd>
<dt>Signing secret</dt><dd><code id="webhook-secret-once">${h(secret)}</code></dd></dl>
<p><a href="${h(projectPath(webhook.project))}" id="back-to-project">Back to project ${h(webhook.project)}</a></p>`;
  return { title, crumbs: [...CRUMBS.slice(0, 1), { label: `Project ${webhook.project}`, href: projectPath(webhook.project) }], body };
}

/** The answer to "Reset password": the generated password, once. */
export function passwordResetPage(user: string, password: string): PageContent {
  const body = `<h1>Password reset</h1>
<p class="done" id="secret-once">${h(ONCE)} Give it to ${h(user)} by a safe way; they can change it with <code>portcullis registry user passwd</code>.</p>
<dl class="meta" id="password-reset"><dt>User</dt><dd><code id="reset-user">${h(user)}</code></dd><dt>New password</dt><dd><code id="reset-password">${h(password)}</code></dd></dl>
<p><a href="${ADMIN_PATH}" id="back-to-admin">Back to administration</a></p>`;
  return { title: 'Password reset', crumbs: CRUMBS, body };
}
