/**
 * What a UI page says after a form and whether it offers forms at all:
 * the fixed `?done=` texts of a change's redirect (nothing from the request
 * is echoed), and the project forms a caller gets (project admins and
 * registry administrators with a session). Apart from manage.ts so that the
 * pages beside it (manage-pages.ts, plugin.ts) use them without a cycle.
 */
import type { FastifyRequest } from 'fastify';
import { isRegistryAdmin } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import type { ApiDeps } from '../api/v1/context.js';
import type { ProjectForms } from './pages/project-forms.js';

/** What `?done=` says after a change (fixed text: nothing from the request is echoed). */
const DONE: Readonly<Record<string, string>> = {
  'member.set': 'Member saved.',
  'member.removed': 'Member removed.',
  'robot.revoked': 'Robot revoked: it is refused from its next request on.',
  'webhook.deleted': 'Webhook removed, with its delivery log.',
  'webhook.redelivered': 'Delivery queued again.',
  'project.settings': 'Settings saved.',
  'project.created': 'Project created.',
  'user.created': 'User created.',
  'user.deleted': 'User deleted.',
  'user.promoted': 'The user is now a registry administrator.',
  'user.demoted': 'The user is no longer a registry administrator (from their next request on).',
  'webhook.changed': 'Webhook saved.',
  'project.visibility': 'Visibility changed.',
  'project.deleted': 'Project deleted.',
};

/** The notice of a page reached by a form's redirect. */
export function doneNotice(request: FastifyRequest): ProjectForms['notice'] {
  const done = (request.query as { done?: unknown } | undefined)?.done;
  return typeof done === 'string' && Object.hasOwn(DONE, done) ? { kind: 'done', text: DONE[done]! } : undefined;
}

/** The project page's forms for `principal` (its admins and registry administrators, with a session), else undefined. */
export async function projectFormsFor(deps: { readonly act: ApiDeps }, principal: Principal, project: string, csrf: string | undefined, extra: Pick<ProjectForms, 'notice' | 'again'> = {}): Promise<ProjectForms | undefined> {
  if (csrf === undefined || !(await deps.act.access.can(principal, 'admin', project))) return undefined;
  return { csrf, registryAdmin: isRegistryAdmin(principal), webhooks: deps.act.webhooks !== undefined, ...extra };
}
