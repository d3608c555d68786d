/**
 * `/api/v1/projects`: list (what the caller can see), create (registry
 * administrators; `{"name","public"}`), read, change (`{"public"}`, project
 * administrators) and delete (registry administrators; refused with 409
 * while repositories remain in it). Creating is an administrator's act:
 * a push to a project that does not exist is refused, whoever pushes
 * (Harbor's rule), except by registry administrators (docs/serve.md).
 */
import type { FastifyReply } from 'fastify';
import { isRegistryAdmin } from '../../auth/permissions.js';
import { isProjectName } from '../../auth/principal.js';
import type { ProjectRecord } from '../../metadata/identity-store.js';
import { ApiError, bodyOf, nowIso, pageOf, sendPage, type ActingContext, type ApiContext } from './context.js';
import type { Route } from './plugin.js';
import { noteAudit } from '../../audit/notes.js';

export function projectView(project: ProjectRecord): Record<string, unknown> {
  return { name: project.name, public: project.public, createdAt: project.createdAt };
}

/** The project when the caller may see it (404 otherwise, as when it does not exist); with `manage`, 403 unless they may administer it. */
export async function visibleProject(ctx: ActingContext, name: string, manage: boolean): Promise<ProjectRecord> {
  const project = isProjectName(name) ? await ctx.access.store.getProject(name) : undefined;
  if (!project || !(await ctx.access.can(ctx.principal, 'pull', name))) throw new ApiError('NOT_FOUND', `project ${name.slice(0, 100)} does not exist`);
  if (manage && !(await ctx.access.can(ctx.principal, 'admin', name))) throw new ApiError('DENIED', `managing project ${name} needs its admin role`);
  return project;
}

export function registerProjects(route: Route): void {
  route('GET', '/projects', async (ctx) => {
    const { page, n } = pageOf(ctx.request);
    const readable = await ctx.access.readableProjects(ctx.principal);
    const out: ProjectRecord[] = [];
    let last = page.last;
    // Filtered pages: read the store a page at a time until n+1 visible ones or the end.
    for (;;) {
      const batch = await ctx.access.store.listProjects({ ...(last !== undefined ? { last } : {}), limit: 1000 });
      for (const p of batch) if (readable === 'all' || readable.has(p.name)) out.push(p);
      if (out.length > n || batch.length < 1000) break;
      last = batch[batch.length - 1]!.name;
    }
    return sendPage(ctx, '/api/v1/projects', 'projects', out, n, (p) => p.name, projectView);
  });

  route('POST', '/projects', async (ctx): Promise<FastifyReply> => {
    const project = await createProject(ctx, bodyOf(ctx.request));
    return ctx.reply.code(201).header('location', `/api/v1/projects/${project.name}`).send(projectView(project));
  });

  route('GET', '/projects/:project', async (ctx) => {
    const project = await visibleProject(ctx, paramOf(ctx, 'project'), false);
    return ctx.reply.code(200).send(projectView(project));
  });

  route('PATCH', '/projects/:project', async (ctx) => ctx.reply.code(200).send(projectView(await setProjectVisibility(ctx, paramOf(ctx, 'project'), bodyOf(ctx.request).public))));

  route('DELETE', '/projects/:project', async (ctx) => {
    await deleteProject(ctx, paramOf(ctx, 'project'));
    return ctx.reply.code(204).send();
  });
}

/** Makes a project public or private (`visibility` must be a boolean; the project's admin role needed); the audit note `project.changed`. */
export async function setProjectVisibility(ctx: ActingContext, name: string, visibility: unknown): Promise<ProjectRecord> {
  const project = await visibleProject(ctx, name, true);
  if (typeof visibility !== 'boolean') throw new ApiError('INVALID', '"public" must be true or false');
  await ctx.access.store.setProjectPublic(project.name, visibility);
  ctx.request.log.info({ event: 'project.changed', project: project.name, public: visibility }, `project ${project.name} is now ${visibility ? 'public' : 'private'}`);
  noteAudit(ctx.request, { action: 'project.changed', project: project.name, detail: { public: visibility } });
  return { ...project, public: visibility };
}

/** Deletes an empty project (registry administrators only; 409 while repositories remain in it); the audit note `project.deleted`. */
export async function deleteProject(ctx: ActingContext, name: string): Promise<void> {
  const project = await visibleProject(ctx, name, false);
  if (!isRegistryAdmin(ctx.principal)) throw new ApiError('DENIED', 'deleting projects needs a registry administrator');
  const holds = (await ctx.metadata.repositoryExists(project.name)) || ((await ctx.metadata.listRepositories({ last: `${project.name}/`, limit: 1 }))[0] ?? '').startsWith(`${project.name}/`);
  if (holds) throw new ApiError('CONFLICT', `project ${project.name} still holds repositories: delete them first`);
  await ctx.access.store.deleteProject(project.name);
  ctx.request.log.info({ event: 'project.deleted', project: project.name }, `project ${project.name} deleted`);
  noteAudit(ctx.request, { action: 'project.deleted', project: project.name });
}

/** A new project (`{"name","public"}`; registry administrators only); the audit note `project.created`. */
export async function createProject(ctx: ActingContext, body: Readonly<Record<string, unknown>>): Promise<ProjectRecord> {
  if (!isRegistryAdmin(ctx.principal)) throw new ApiError('DENIED', 'creating projects needs a registry administrator');
  const name = body.name;
  if (typeof name !== 'string' || !isProjectName(name)) throw new ApiError('INVALID', 'name: one repository path component (lowercase letters, digits, . _ -), at most 64 characters');
  if (body.public !== undefined && typeof body.public !== 'boolean') throw new ApiError('INVALID', '"public" must be true or false');
  const project: ProjectRecord = { name, public: body.public === true, createdAt: nowIso(ctx) };
  if (!(await ctx.access.store.createProject(project))) throw new ApiError('CONFLICT', `project ${name} exists`);
  ctx.request.log.info({ event: 'project.created', project: name, public: project.public }, `project ${name} created`);
  noteAudit(ctx.request, { action: 'project.created', project: name, detail: { public: project.public } });
  return project;
}

export function paramOf(ctx: ApiContext, name: string): string {
  const value = (ctx.request.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}
