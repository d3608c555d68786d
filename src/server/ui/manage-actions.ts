/**
 * What each UI form does (manage.ts routes them): its fields turned into the
 * body the admin API's function takes, then that function — so a form is
 * held to the API's validation and permission rules, and writes its audit
 * record, without a rule of its own. The translation is all that is here:
 * checkboxes become lists, a number field a number (anything else is passed
 * on for the API's message), empty fields "not given", and the settings'
 * retention rules, a JSON list in a text area, are parsed (a parse error is
 * the form's INVALID).
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type ActingContext } from '../api/v1/context.js';
import { removeMember, setMember } from '../api/v1/members.js';
import { putProjectSettings } from '../api/v1/project-settings.js';
import { createProject, deleteProject, setProjectVisibility } from '../api/v1/projects.js';
import { createRobot, revokeRobot } from '../api/v1/robots.js';
import { createUser, deleteUser, setUserAdmin, setUserPassword } from '../api/v1/users.js';
import { changeWebhook, CLAIR_EVENTS, createWebhook, deleteWebhook, redeliver } from '../api/v1/webhooks.js';
import { WEBHOOK_EVENTS } from '../webhooks/events.js';
import type { PageContent } from './html.js';
import { field } from './login.js';
import { UI_ROOT } from './paths.js';
import { ADMIN_PATH, passwordResetPage, robotCreatedPage, webhookCreatedPage, type AdminForm } from './pages/admin.js';
import { webhookAddress } from './pages/project.js';
import { webhookPath, type ProjectForm } from './pages/project-forms.js';

/** A change done (redirect back, `?done=` saying it; `location` when not back), or a page to answer with. */
export type Outcome = { readonly kind: 'done'; readonly done: string; readonly location?: string } | { readonly kind: 'page'; readonly page: PageContent };

function given(form: unknown, name: string): string | undefined {
  const value = field(form, name);
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function all(form: unknown, name: string): string[] {
  return form instanceof URLSearchParams ? form.getAll(name).slice(0, 20) : [];
}

/** `12` → 12; another text is passed on as it is, for the API's own message. */
function wholeNumber(text: string | undefined): number | string | undefined {
  return text !== undefined && /^\d{1,6}$/.test(text) ? Number(text) : text;
}

function retentionOf(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('INVALID', 'retention: the rules are not JSON (a list such as [{"tags":"v*","keepLast":5}])');
  }
}

/** The trust policy text area: a JSON object (one policy entry without match/action), empty for none of its own. */
function trustPolicyOf(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('INVALID', 'trustPolicy: not JSON (an object such as {"keys":["root-certified"],"attestations":[{"type":"vuln","maxAge":"7d","condition":"no CRITICAL finding"}]})');
  }
}

function needed(value: string | undefined, what: string): string {
  if (value === undefined) throw new ApiError('INVALID', `${what} is missing`);
  return value;
}

function webhookService(ctx: ActingContext): NonNullable<ActingContext['webhooks']> {
  if (!ctx.webhooks) throw new ApiError('NOT_FOUND', 'this registry has no webhooks');
  return ctx.webhooks;
}

export async function performProjectForm(ctx: ActingContext, action: ProjectForm, project: string, form: unknown, registry: string): Promise<Outcome> {
  switch (action) {
    case 'members':
      await setMember(ctx, project, needed(given(form, 'user'), 'the user'), given(form, 'role'));
      return { kind: 'done', done: 'member.set' };
    case 'members/remove':
      await removeMember(ctx, project, needed(given(form, 'user'), 'the member'));
      return { kind: 'done', done: 'member.removed' };
    case 'robots': {
      const description = given(form, 'description');
      const days = wholeNumber(given(form, 'expiresInDays'));
      const body = { name: given(form, 'name') ?? '', actions: all(form, 'actions'), ...(days !== undefined ? { expiresInDays: days } : {}), ...(description !== undefined ? { description } : {}) };
      const { robot, secret } = await createRobot(ctx, project, body);
      return { kind: 'page', page: robotCreatedPage(robot, secret, registry) };
    }
    case 'robots/revoke':
      await revokeRobot(ctx, project, needed(given(form, 'robot'), 'the robot'));
      return { kind: 'done', done: 'robot.revoked' };
    case 'webhooks': {
      const events = all(form, 'events');
      const optional = Object.fromEntries((['format', 'secret', 'description'] as const).flatMap((key) => (given(form, key) !== undefined ? [[key, given(form, key)]] : [])));
      const { webhook, secret } = await createWebhook(ctx, webhookService(ctx), project, { url: given(form, 'url') ?? '', ...(events.length ? { events } : {}), ...optional });
      return { kind: 'page', page: webhookCreatedPage(webhook, webhookAddress(webhook.url), secret) };
    }
    case 'webhooks/remove':
      await deleteWebhook(ctx, webhookService(ctx), project, needed(given(form, 'webhook'), 'the webhook'));
      return { kind: 'done', done: 'webhook.deleted' };
    case 'webhooks/redeliver': {
      const [webhook = '', delivery = ''] = needed(given(form, 'delivery'), 'the delivery').split('/', 2);
      await redeliver(ctx, webhookService(ctx), project, webhook, delivery);
      // From the webhook's own page (its delivery log), back there.
      return { kind: 'done', done: 'webhook.redelivered', ...(field(form, 'from') === 'webhook' ? { location: webhookPath(project, webhook) } : {}) };
    }
    case 'webhooks/edit': {
      const id = needed(given(form, 'webhook'), 'the webhook');
      const { webhook } = await changeWebhook(ctx, webhookService(ctx), project, id, webhookChanges(form));
      return { kind: 'done', done: 'webhook.changed', location: webhookPath(project, webhook.id) };
    }
    case 'webhooks/rotate': {
      const { webhook, secret } = await changeWebhook(ctx, webhookService(ctx), project, needed(given(form, 'webhook'), 'the webhook'), { rotateSecret: true });
      return { kind: 'page', page: webhookCreatedPage(webhook, webhookAddress(webhook.url), secret ?? '', true) };
    }
    case 'visibility': {
      const choice = field(form, 'public');
      await setProjectVisibility(ctx, project, choice === 'true' ? true : choice === 'false' ? false : choice);
      return { kind: 'done', done: 'project.visibility' };
    }
    case 'delete':
      // manage.ts has checked the confirmation page's own token.
      await deleteProject(ctx, project);
      return { kind: 'done', done: 'project.deleted', location: ADMIN_PATH };
    case 'settings': {
      // A form without the quota field (a project admin's) sends the stored quota back as it is, as the CLI does.
      // A form without the trust policy field sends the stored policy back, never dropping it (a project's requirements
      // vanishing because someone changed its retention would loosen every pull); an empty field clears it.
      const stored = await ctx.access.store.getProjectSettings(project);
      const trustPolicy = field(form, 'trustPolicy') !== undefined ? trustPolicyOf(given(form, 'trustPolicy')) : (stored?.trustPolicy ?? null);
      const quota = field(form, 'quota') !== undefined ? (given(form, 'quota') ?? null) : (stored?.quota ?? null);
      const body = {
        quota,
        untaggedRetention: given(form, 'untaggedRetention') ?? null,
        denySeverity: given(form, 'denySeverity') ?? null,
        retention: retentionOf(given(form, 'retention')),
        trustPolicy,
      };
      await putProjectSettings(ctx, project, body);
      return { kind: 'done', done: 'project.settings' };
    }
  }
}

/**
 * The webhook form's fields as a PATCH body: the URL only when typed (the
 * page never shows the stored one: its query may hold a secret), no event
 * ticked meaning every event of the format, an empty description none, an
 * unticked "enabled" disabled (the form always has the box).
 */
function webhookChanges(form: unknown): Record<string, unknown> {
  const format = given(form, 'format');
  const events = all(form, 'events');
  const url = given(form, 'url');
  return {
    ...(url !== undefined ? { url } : {}),
    ...(format !== undefined ? { format } : {}),
    events: events.length ? events : format === 'clair' ? CLAIR_EVENTS : WEBHOOK_EVENTS,
    description: given(form, 'description') ?? null,
    enabled: field(form, 'enabled') === 'true',
  };
}

export async function performAdminForm(ctx: ActingContext, action: AdminForm, form: unknown): Promise<Outcome> {
  if (action === 'password') {
    const user = needed(given(form, 'user'), 'the user');
    // Generated as the CLI's `registry user passwd` does: 144 bits, shown once.
    const password = randomBytes(18).toString('base64url');
    await setUserPassword(ctx, user, password);
    return { kind: 'page', page: passwordResetPage(user, password) };
  }
  if (action === 'remove-user') {
    // manage.ts has checked the confirmation page's own token.
    await deleteUser(ctx, needed(given(form, 'user'), 'the user'));
    return { kind: 'done', done: 'user.deleted' };
  }
  if (action === 'make-admin') {
    await setUserAdmin(ctx, needed(given(form, 'user'), 'the user'), true);
    return { kind: 'done', done: 'user.promoted' };
  }
  if (action === 'remove-admin') {
    // manage.ts has checked the confirmation page's own token.
    const user = needed(given(form, 'user'), 'the user');
    await setUserAdmin(ctx, user, false);
    // Someone who removed their own role has no administration page to go back to.
    const self = ctx.principal.kind === 'user' && ctx.principal.name === user;
    return { kind: 'done', done: 'user.demoted', ...(self ? { location: UI_ROOT } : {}) };
  }
  if (action === 'projects') {
    const project = await createProject(ctx, { name: given(form, 'name') ?? '', public: field(form, 'public') === 'true' });
    return { kind: 'done', done: 'project.created', location: `/ui/p/${encodeURIComponent(project.name)}` };
  }
  await createUser(ctx, { name: given(form, 'name') ?? '', password: field(form, 'password') ?? '', admin: field(form, 'admin') === 'true' });
  return { kind: 'done', done: 'user.created' };
}
