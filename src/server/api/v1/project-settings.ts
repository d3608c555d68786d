/**
 * `/api/v1/projects/PROJECT/settings`: the project's own settings (storage
 * quota, how long untagged manifests are kept, tag retention rules, the
 * vulnerability threshold `denySeverity`), as Harbor lets project admins set
 * theirs (the quota excepted). `denySeverity` can only tighten the
 * registry's pull policy (policy.ts takes the stricter of the two), so a
 * project admin may set it: a weaker level than the registry's is stored
 * and has no effect. `trustPolicy` (project-trust-policy.ts: accepted keys
 * by id, threshold, required attestations, CVE allowlist) can only add
 * requirements to the registry's trust policy, so a project admin may set it
 * too; its change is audited with the whole new value. `GET` answers the
 * stored object (every key null when the project has none: the operator's
 * `--project-settings` file applies); `PUT` replaces it whole. The shape and
 * the validation are the file's (gc/projects.ts), so a value means the same
 * in both places; gc/stored-projects.ts lays the stored object over the
 * file's defaults for the quota check and the collector, with no cache, so
 * a change applies to the next push and the next GC run.
 *
 * Who: `PUT` needs the project's admin role (or a registry administrator),
 * and only a registry administrator changes the quota (the operator's limit,
 * as in Harbor: a project admin who could raise it would have none); `GET`
 * any role in it. A project the caller cannot see is 404, as for the
 * other project routes; one they see without a role (public) is 403.
 */
import { isRegistryAdmin } from '../../auth/permissions.js';
import { noteAudit } from '../../audit/notes.js';
import { ServeError } from '../../errors.js';
import { oneProjectSettings } from '../../gc/projects.js';
import { ApiError, bodyOf, type ActingContext, type ApiContext } from './context.js';
import type { Route } from './plugin.js';
import { paramOf, visibleProject } from './projects.js';

const KEYS = ['quota', 'untaggedRetention', 'retention', 'denySeverity', 'trustPolicy'] as const;

/** The answer: every key, null when not set. */
export function settingsView(stored: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return {
    quota: stored?.quota ?? null,
    untaggedRetention: stored?.untaggedRetention ?? null,
    retention: stored?.retention ?? null,
    denySeverity: stored?.denySeverity ?? null,
    trustPolicy: stored?.trustPolicy ?? null,
  };
}

/** The body's non-null keys, validated as the file's `projects.NAME` section is; INVALID naming the key otherwise. */
export function settingsFromBody(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ApiError('INVALID', `${key.slice(0, 100)}: unknown key (expected ${KEYS.join(', ')})`);
    if (value !== null) given[key] = value;
  }
  try {
    oneProjectSettings(given, 'settings');
  } catch (error) {
    if (error instanceof ServeError) throw new ApiError('INVALID', error.message.replace(/^settings: /, ''));
    throw error;
  }
  return given;
}

async function readableSettingsProject(ctx: ApiContext, name: string): Promise<string> {
  const project = await visibleProject(ctx, name, false);
  if (isRegistryAdmin(ctx.principal)) return project.name;
  const p = ctx.principal;
  const role = p.kind === 'user' ? (await ctx.access.store.projectAccess(project.name, p.name)).role : undefined;
  if (role === undefined) throw new ApiError('DENIED', `reading the settings of project ${project.name} needs a role in it`);
  return project.name;
}

export function registerProjectSettings(route: Route): void {
  route('GET', '/projects/:project/settings', async (ctx) => {
    const name = await readableSettingsProject(ctx, paramOf(ctx, 'project'));
    return ctx.reply.code(200).send(settingsView(await ctx.access.store.getProjectSettings(name)));
  });

  route('PUT', '/projects/:project/settings', async (ctx) => ctx.reply.code(200).send(await putProjectSettings(ctx, paramOf(ctx, 'project'), bodyOf(ctx.request))));
}

/**
 * Replaces the settings of `projectName` with `body` (validated as the file's section; the project's admin role
 * needed, and a registry administrator's for a different quota); answers the view. The audit note `project.settings`.
 */
export async function putProjectSettings(ctx: ActingContext, projectName: string, body: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const project = await visibleProject(ctx, projectName, true);
  const settings = settingsFromBody(body);
  // The quota is the operator's limit on the project, not the project's own: only a registry administrator
  // changes it (as in Harbor); a project admin sends it back as it is (the CLI reads it first).
  if (!isRegistryAdmin(ctx.principal)) {
    const stored = await ctx.access.store.getProjectSettings(project.name);
    if (JSON.stringify(settings.quota ?? null) !== JSON.stringify(stored?.quota ?? null)) {
      throw new ApiError('DENIED', `the storage quota of project ${project.name} is set by a registry administrator: send "quota" as it is (${JSON.stringify(stored?.quota ?? null)})`);
    }
  }
  const empty = Object.keys(settings).length === 0;
  // Gone meanwhile (deleted by another request): as if it never was.
  if (!(await ctx.access.store.setProjectSettings(project.name, empty ? null : settings))) throw new ApiError('NOT_FOUND', `project ${project.name} does not exist`);
  const view = settingsView(empty ? undefined : settings);
  const rules = Array.isArray(settings.retention) ? settings.retention.length : null;
  ctx.request.log.info({ event: 'project.settings', project: project.name, quota: view.quota, untaggedRetention: view.untaggedRetention, rules, denySeverity: view.denySeverity }, `settings of project ${project.name} changed`);
  noteAudit(ctx.request, { action: 'project.settings', project: project.name, detail: { quota: view.quota, untaggedRetention: view.untaggedRetention, retentionRules: rules, denySeverity: view.denySeverity, trustPolicy: view.trustPolicy } });
  return view;
}
