/**
 * The forms a project page offers the people who may run the project
 * (its admins and registry administrators, signed in to the UI): add a
 * member or change their role, remove one, create and revoke robots, add
 * and remove webhooks, deliver a delivery again (each webhook's own page,
 * pages/webhook.ts, changes it), make the project public or private, and
 * the project's settings; registry administrators get a link to delete it
 * (a confirmation page first: confirm.ts). Plain HTML forms that post to
 * this origin (ui/manage.ts answers
 * them) and work without JavaScript; each carries the session's form token.
 *
 * Markup only: what the forms may do is decided when they are posted, by the
 * admin API's own functions. The values shown (member names, robot names,
 * the stored settings) are attacker-controlled text and enter markup
 * through `h`.
 */
import { SEVERITY_LEVELS } from '../../../core/index.js';
import type { MemberRecord, RobotRecord } from '../../metadata/identity-store.js';
import type { DeliveryRecord, WebhookRecord } from '../../metadata/webhook-store.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import { h } from '../html.js';
import { projectPath } from '../paths.js';

/** A webhook's own page: its settings, its secret, its whole delivery log (pages/webhook.ts). */
export function webhookPath(project: string, id: string): string {
  return `${projectPath(project)}/webhooks/${encodeURIComponent(id)}`;
}

/** What the page shows to someone who may run the project. */
export interface ProjectForms {
  /** The session's form token. */
  readonly csrf: string;
  /** A registry administrator: the quota field too. */
  readonly registryAdmin: boolean;
  /** Webhooks can be changed here (the registry has a webhook service). */
  readonly webhooks: boolean;
  /** A line above the page: what the last form did, or why it was refused (plain text). */
  readonly notice?: { readonly kind: 'done' | 'error'; readonly text: string };
  /** The fields of a refused form, to fill it again (never a secret or password). */
  readonly again?: Readonly<Record<string, string>>;
}

/** Where each form posts, under the project's page. */
export const PROJECT_FORMS = ['members', 'members/remove', 'robots', 'robots/revoke', 'webhooks', 'webhooks/remove', 'webhooks/redeliver', 'webhooks/edit', 'webhooks/rotate', 'settings', 'visibility', 'delete'] as const;
export type ProjectForm = (typeof PROJECT_FORMS)[number];

export function formPath(project: string, form: ProjectForm): string {
  return `${projectPath(project)}/${form}`;
}

export function form(project: string, action: ProjectForm, forms: ProjectForms, fields: string, button: string): string {
  const id = action.replace('/', '-');
  return `<form method="post" action="${h(formPath(project, action))}" class="manage" id="form-${id}"><input type="hidden" name="csrf" value="${h(forms.csrf)}">${fields}<button type="submit" id="submit-${id}">${h(button)}</button></form>`;
}

export function again(forms: ProjectForms, name: string): string {
  return h(forms.again?.[name] ?? '');
}

export function options(values: readonly string[], selected?: string): string {
  return values.map((v) => `<option value="${h(v)}"${v === selected ? ' selected' : ''}>${h(v)}</option>`).join('');
}

export function noticeLine(forms: Pick<ProjectForms, 'notice'> | undefined): string {
  if (!forms?.notice) return '';
  const { kind, text } = forms.notice;
  return kind === 'error' ? `<p class="error" id="form-error" role="alert">${h(text)}</p>` : `<p class="done" id="form-done" role="status">${h(text)}</p>`;
}

export function memberForms(project: string, forms: ProjectForms, members: readonly MemberRecord[]): string {
  const roles = ['pull', 'push', 'delete', 'admin'];
  const set = form(
    project,
    'members',
    forms,
    `<label for="member-user">User</label><input id="member-user" name="user" required maxlength="64" autocomplete="off" value="${again(forms, 'user')}">` +
      `<label for="member-role">Role</label><select id="member-role" name="role">${options(roles, forms.again?.role ?? 'pull')}</select>`,
    'Add member or change role',
  );
  const remove = members.length
    ? form(project, 'members/remove', forms, `<label for="remove-user">Member</label><select id="remove-user" name="user">${options(members.map((m) => m.user))}</select>`, 'Remove member')
    : '';
  return `<div class="forms" id="member-forms">${set}${remove}</div>`;
}

export function robotForms(project: string, forms: ProjectForms, robots: readonly RobotRecord[], now: Date): string {
  const actions = ['pull', 'push', 'delete']
    .map((a) => `<label class="check"><input type="checkbox" name="actions" value="${a}" id="robot-action-${a}"${a === 'pull' ? ' checked' : ''}> ${a}</label>`)
    .join('');
  const create = form(
    project,
    'robots',
    forms,
    `<label for="robot-name">Name</label><input id="robot-name" name="name" required maxlength="64" autocomplete="off" value="${again(forms, 'name')}">` +
      `<span class="label">Actions</span><span>${actions}</span>` +
      `<label for="robot-expiry">Expires in (days, 0 = never)</label><input id="robot-expiry" name="expiresInDays" inputmode="numeric" maxlength="4" value="${forms.again?.expiresInDays !== undefined ? again(forms, 'expiresInDays') : '90'}">` +
      `<label for="robot-description">Description</label><input id="robot-description" name="description" maxlength="1024" value="${again(forms, 'description')}">`,
    'Create robot',
  );
  const active = robots.filter((r) => !r.revokedAt && !(r.expiresAt && Date.parse(r.expiresAt) <= now.getTime())).map((r) => r.name);
  const revoke = active.length ? form(project, 'robots/revoke', forms, `<label for="revoke-robot">Robot</label><select id="revoke-robot" name="robot">${options(active)}</select>`, 'Revoke robot') : '';
  return `<div class="forms" id="robot-forms">${create}${revoke}</div>`;
}

/** Each webhook's recent deliveries, for the redeliver form (at most a few per webhook). */
export type RecentDeliveries = ReadonlyArray<{ readonly webhook: WebhookRecord; readonly deliveries: readonly DeliveryRecord[] }>;

export function webhookForms(project: string, forms: ProjectForms, recent: RecentDeliveries): string {
  const events = WEBHOOK_EVENTS.map((e) => `<label class="check"><input type="checkbox" name="events" value="${h(e)}" id="webhook-event-${h(e.replace('.', '-'))}"> ${h(e)}</label>`).join('');
  const add = form(
    project,
    'webhooks',
    forms,
    `<label for="webhook-url">URL</label><input id="webhook-url" name="url" required maxlength="2048" autocomplete="off" value="${again(forms, 'url')}">` +
      `<span class="label">Events (none: every event)</span><span>${events}</span>` +
      `<label for="webhook-format">Format</label><select id="webhook-format" name="format">${options(['portcullis', 'clair'], forms.again?.format)}</select>` +
      `<label for="webhook-secret">Signing secret (empty: generated)</label><input id="webhook-secret" name="secret" type="password" maxlength="256" autocomplete="off">` +
      `<label for="webhook-description">Description</label><input id="webhook-description" name="description" maxlength="1024" value="${again(forms, 'description')}">`,
    'Add webhook',
  );
  if (!recent.length) return `<div class="forms" id="webhook-forms">${add}</div>`;
  const hooks = recent.map(({ webhook }) => `<option value="${h(webhook.id)}">${h(webhook.id)}${webhook.description ? ` (${h(webhook.description.slice(0, 60))})` : ''}</option>`).join('');
  const remove = form(project, 'webhooks/remove', forms, `<label for="remove-webhook">Webhook</label><select id="remove-webhook" name="webhook">${hooks}</select>`, 'Remove webhook');
  const choices = recent.flatMap(({ webhook, deliveries }) => deliveries.map((d) => `<option value="${h(`${webhook.id}/${d.id}`)}">${h(`${webhook.id}: ${d.event} ${d.state} ${d.createdAt.slice(0, 16).replace('T', ' ')}`)}</option>`));
  const redeliver = choices.length ? form(project, 'webhooks/redeliver', forms, `<label for="redeliver-delivery">Delivery</label><select id="redeliver-delivery" name="delivery">${choices.join('')}</select>`, 'Deliver again') : '';
  const pages = recent.map(({ webhook }) => `<li><a href="${h(webhookPath(project, webhook.id))}" data-webhook-page="${h(webhook.id)}">${h(webhook.id)}</a>${webhook.description ? ` ${h(webhook.description.slice(0, 60))}` : ''}</li>`).join('');
  return `<div class="forms" id="webhook-forms">${add}${remove}${redeliver}</div>\n<p>Change a webhook, rotate its secret or read its whole delivery log on its page:</p><ul id="webhook-pages">${pages}</ul>`;
}

function storedText(stored: Readonly<Record<string, unknown>> | undefined, key: string): string {
  const value = stored?.[key];
  return value === undefined || value === null ? '' : String(value);
}

/** Public or private (the project's admins), and for registry administrators the way to delete it (a confirmation page first). */
export function visibilityForms(project: string, forms: ProjectForms, isPublic: boolean): string {
  const visibility = form(
    project,
    'visibility',
    forms,
    `<label for="project-visibility">Visibility</label><select id="project-visibility" name="public"><option value="false"${isPublic ? '' : ' selected'}>private (members only)</option><option value="true"${isPublic ? ' selected' : ''}>public (anyone may pull)</option></select>`,
    'Change visibility',
  );
  const remove = forms.registryAdmin ? `<p><a href="${h(`${projectPath(project)}/delete`)}" id="delete-project">Delete this project…</a> <small>(only when it holds no repositories; you confirm on the next page)</small></p>` : '';
  return `<div class="forms" id="visibility-forms">${visibility}</div>${remove}`;
}

export function settingsForm(project: string, forms: ProjectForms, stored: Readonly<Record<string, unknown>> | undefined): string {
  const rules = Array.isArray(stored?.retention) ? JSON.stringify(stored.retention, null, 1) : '';
  const trust = stored?.trustPolicy !== undefined && stored.trustPolicy !== null ? JSON.stringify(stored.trustPolicy, null, 1) : '';
  const value = (key: string, fromStore: string): string => (forms.again?.[key] !== undefined ? again(forms, key) : h(fromStore));
  const severity = forms.again?.denySeverity ?? storedText(stored, 'denySeverity');
  const quota = forms.registryAdmin
    ? `<label for="setting-quota">Storage quota (10GiB; empty: none of its own)</label><input id="setting-quota" name="quota" maxlength="32" value="${value('quota', storedText(stored, 'quota'))}">`
    : `<span class="label">Storage quota</span><span id="setting-quota-fixed">${storedText(stored, 'quota') ? h(storedText(stored, 'quota')) : 'the registry\'s default'} <small>(set by a registry administrator)</small></span>`;
  const fields =
    quota +
    `<label for="setting-untagged">Untagged manifests kept for (7d; empty: the registry's default)</label><input id="setting-untagged" name="untaggedRetention" maxlength="32" value="${value('untaggedRetention', storedText(stored, 'untaggedRetention'))}">` +
    `<label for="setting-deny">Refuse pulls from (can only tighten the registry's policy)</label><select id="setting-deny" name="denySeverity"><option value="">the registry's policy</option>${options(SEVERITY_LEVELS, severity)}</select>` +
    `<label for="setting-retention">Tag retention rules (JSON list, e.g. [{"tags":"v*","keepLast":5}]; empty: every tag kept)</label><textarea id="setting-retention" name="retention" rows="4" cols="60" maxlength="6000">${value('retention', rules)}</textarea>` +
    `<label for="setting-trust">Trust policy: requirements added to the registry's (JSON, e.g. {"keys":["root-certified"],"attestations":[{"type":"vuln","maxAge":"7d","condition":"no CRITICAL finding"}]}; empty: none of its own)</label><textarea id="setting-trust" name="trustPolicy" rows="6" cols="60" maxlength="6000">${value('trustPolicy', trust)}</textarea>`;
  return `<div class="forms" id="settings-forms">${form(project, 'settings', forms, fields, 'Save settings')}</div>`;
}
