/**
 * `/ui/p/<project>`: one project of a registry with accounts —
 * its repositories, its members and their roles, its robots (actions,
 * expiry, revocation) and its webhooks (where they post, for which events,
 * whether enabled, how the last delivery went). Who may see it is the
 * plugin's question (members and registry administrators); this module only
 * reads and renders.
 *
 * Never shown: robot secrets or their hashes, webhook signing secrets, and
 * the parts of a webhook URL that may carry one (user name, password, query
 * string, fragment). Everything else is attacker-controlled text and enters
 * markup through `h`.
 *
 * Bounded: at most SHOWN rows per section, with a line saying there are
 * more (the admin API and CLI list them all, paged). The project's own
 * settings (quota, untagged retention, pull threshold, tag retention rules:
 * `PUT /api/v1/projects/{project}/settings`) are shown as stored; without
 * any, the page says the operator's defaults apply.
 *
 * Given `forms` (the caller may run the project: project-forms.ts), each
 * section is followed by its forms, and the page starts with what the last
 * form did.
 */
import type { Page } from '../../metadata/store.js';
import type { MemberRecord, RobotRecord } from '../../metadata/identity-store.js';
import type { DeliveryRecord, WebhookRecord } from '../../metadata/webhook-store.js';
import { mapLimit, type UiAccounts, type UiContext } from '../context.js';
import { h, table, time, type PageContent } from '../html.js';
import { projectPath, repositoryPath, UI_ROOT } from '../paths.js';
import { memberForms, noticeLine, robotForms, settingsForm, visibilityForms, webhookForms, type ProjectForms } from './project-forms.js';

/** Rows shown per section. */
export const SHOWN = 200;

/** The repositories of `project` (`<project>` itself and `<project>/…`), at most SHOWN + 1. */
async function repositoriesOf(ctx: UiContext, project: string): Promise<string[]> {
  const out: string[] = [];
  if (await ctx.metadata.repositoryExists(project)) out.push(project);
  let page: Page = { last: `${project}/`, limit: SHOWN + 1 };
  // Names sort after `<project>/` until the first one outside the project: read pages until then.
  for (let pages = 0; out.length <= SHOWN && pages < 4; pages++) {
    const batch = await ctx.metadata.listRepositories(page);
    const inside = batch.filter((name) => name.startsWith(`${project}/`));
    for (const name of inside) out.push(name);
    if (inside.length < batch.length || batch.length < (page.limit ?? 0)) break;
    page = { last: batch[batch.length - 1]!, limit: SHOWN + 1 };
  }
  return out;
}

/** `https://host/path`: no user name, password, query string or fragment (any of them may hold a secret). */
export function webhookAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

function more(rows: readonly unknown[], what: string): string {
  return rows.length > SHOWN ? `<p><small class="more">Only the first ${SHOWN} ${what} are shown: the admin API lists them all.</small></p>` : '';
}

function membersSection(members: readonly MemberRecord[]): string {
  const rows = members.slice(0, SHOWN).map((m) => `<tr data-member="${h(m.user)}"><td class="user">${h(m.user)}</td><td class="role" data-role="${h(m.role)}">${h(m.role)}</td></tr>`);
  return `<h2>Members</h2>\n${table('members', ['User', 'Role'], rows, 'No members: only registry administrators can use this project.')}${more(members, 'members')}`;
}

function robotState(robot: RobotRecord, now: Date): string {
  if (robot.revokedAt) return `<span class="state state-failed" data-robot-state="revoked">revoked</span> ${time(robot.revokedAt)}`;
  if (robot.expiresAt && Date.parse(robot.expiresAt) <= now.getTime()) return `<span class="state state-failed" data-robot-state="expired">expired</span>`;
  return `<span class="state state-done" data-robot-state="active">active</span>`;
}

function robotsSection(robots: readonly RobotRecord[], now: Date): string {
  const rows = robots.slice(0, SHOWN).map(
    (r) =>
      `<tr data-robot="${h(r.name)}"><td class="name"><code>${h(r.name)}</code>${r.description ? `<br><small>${h(r.description)}</small>` : ''}</td>` +
      `<td class="actions">${h(r.actions.join(', '))}</td><td class="expires">${r.expiresAt ? time(r.expiresAt) : '<span class="none">never</span>'}</td><td class="robot-state">${robotState(r, now)}</td></tr>`,
  );
  return `<h2>Robots</h2>\n${table('robots', ['Robot', 'Actions', 'Expires', 'State'], rows, 'No robot accounts.')}${more(robots, 'robots')}`;
}

function deliveryText(delivery: DeliveryRecord | undefined): string {
  if (!delivery) return '<span class="none" data-delivery="none">none yet</span>';
  const status = delivery.responseStatus !== undefined ? ` (HTTP ${delivery.responseStatus})` : '';
  const error = delivery.error ? ` title="${h(delivery.error)}"` : '';
  return `<span data-delivery="${h(delivery.state)}"${error}>${h(delivery.state)}${status}</span> <small>${time(delivery.updatedAt)}</small>`;
}

async function webhooksSection(webhooks: NonNullable<UiAccounts['webhooks']>, project: string): Promise<string> {
  const all = await webhooks.listWebhooks(project);
  const shown = all.slice(0, SHOWN);
  const last = await mapLimit(shown, 4, async (w: WebhookRecord) => (await webhooks.listDeliveries(w.id, { limit: 1 }))[0]);
  const rows = shown.map(
    (w, i) =>
      `<tr data-webhook="${h(w.id)}"><td class="url"><code>${h(webhookAddress(w.url))}</code>${w.description ? `<br><small>${h(w.description)}</small>` : ''}</td>` +
      `<td class="events">${h(w.events.join(', '))}</td><td class="format">${h(w.format)}</td>` +
      `<td class="enabled" data-enabled="${w.enabled}">${w.enabled ? 'yes' : 'no'}</td><td class="delivery">${deliveryText(last[i])}</td></tr>`,
  );
  return `<h2>Webhooks</h2>\n${table('webhooks', ['URL', 'Events', 'Format', 'Enabled', 'Last delivery'], rows, 'No webhooks.')}${more(all, 'webhooks')}`;
}

const SETTING_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['quota', 'Storage quota'],
  ['untaggedRetention', 'Untagged manifests kept for'],
  ['denySeverity', 'Pulls refused from'],
];

function settingsSection(stored: Readonly<Record<string, unknown>> | undefined): string {
  if (!stored) return '<h2>Settings</h2>\n<p id="settings" data-settings="none">None of its own: the registry\'s defaults apply (quota, retention and pull policy).</p>';
  const rows = SETTING_LABELS.map(([key, label]) => {
    const value = stored[key];
    const shown = value === undefined || value === null ? '<span class="none">the registry\'s default</span>' : h(String(value));
    return `<dt>${h(label)}</dt><dd data-setting="${h(key)}">${shown}</dd>`;
  });
  const rules = Array.isArray(stored.retention) ? (stored.retention as unknown[]) : [];
  const ruleItems = rules.slice(0, SHOWN).map((rule) => `<li><code>${h(JSON.stringify(rule))}</code></li>`);
  const retention = rules.length === 0 ? '<span class="none">every tag kept</span>' : `<ul id="retention-rules">${ruleItems.join('')}</ul>`;
  const trust = stored.trustPolicy === undefined || stored.trustPolicy === null ? '<span class="none">none of its own: the registry\'s policy</span>' : `<code>${h(JSON.stringify(stored.trustPolicy))}</code>`;
  return `<h2>Settings</h2>\n<dl class="meta" id="settings">${rows.join('')}<dt>Tags kept by</dt><dd data-setting="retention">${retention}</dd><dt>Trust policy</dt><dd data-setting="trustPolicy">${trust}</dd></dl>`;
}

/** Undefined when there is no such project. */
export async function projectPage(ctx: UiContext, accounts: UiAccounts, name: string, role: string, forms?: ProjectForms): Promise<PageContent | undefined> {
  const project = await accounts.store.getProject(name);
  if (!project) return undefined;
  const [repositories, members, robots, settings] = await Promise.all([
    repositoriesOf(ctx, name),
    accounts.store.listMembers(name, { limit: SHOWN + 1 }),
    accounts.store.listRobots(name, { limit: SHOWN + 1 }),
    accounts.store.getProjectSettings(name),
  ]);
  const repoRows = repositories.slice(0, SHOWN).map((r) => `<tr data-repository="${h(r)}"><td class="name"><a href="${h(repositoryPath(r))}">${h(r)}</a></td></tr>`);
  const sections = [
    `<h1>Project ${h(name)}</h1>${noticeLine(forms)}`,
    `<dl class="meta" id="meta"><dt>Visibility</dt><dd data-meta="Visibility">${project.public ? 'public (anyone may pull)' : 'private'}</dd><dt>Created</dt><dd data-meta="Created">${time(project.createdAt)}</dd><dt>Your role</dt><dd data-meta="Your role">${h(role)}</dd></dl>${forms ? visibilityForms(name, forms, project.public) : ''}`,
    `<h2>Repositories</h2>\n${table('project-repositories', ['Repository'], repoRows, 'No repositories yet.')}${more(repositories, 'repositories')}`,
    membersSection(members) + (forms ? memberForms(name, forms, members.slice(0, SHOWN)) : ''),
    robotsSection(robots, ctx.now) + (forms ? robotForms(name, forms, robots.slice(0, SHOWN), ctx.now) : ''),
    settingsSection(settings) + (forms ? settingsForm(name, forms, settings) : ''),
  ];
  if (accounts.webhooks) sections.push(await webhooksSection(accounts.webhooks, name));
  if (accounts.webhooks && forms?.webhooks) {
    const hooks = accounts.webhooks;
    const shown = (await hooks.listWebhooks(name)).slice(0, SHOWN);
    sections.push(webhookForms(name, forms, await mapLimit(shown, 4, async (webhook) => ({ webhook, deliveries: await hooks.listDeliveries(webhook.id, { limit: 5 }) }))));
  }
  return { title: `Project ${name}`, crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: `Project ${name}`, href: projectPath(name) }], body: sections.join('\n') };
}
