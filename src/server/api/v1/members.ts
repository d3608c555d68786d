/**
 * `/api/v1/projects/PROJECT/members`: who has which role in a project
 * (`pull`, `push`, `delete`, `admin`; each includes the ones before it).
 * Listing and changing need the project's admin role (or a registry
 * administrator); a project the caller cannot see is 404. `PUT
 * …/members/USER` with `{"role"}` adds or changes; the user must exist (an
 * account, or an htpasswd user).
 */
import { isRole, isUserName } from '../../auth/principal.js';
import type { MemberRecord } from '../../metadata/identity-store.js';
import { ApiError, bodyOf, pageOf, sendPage, type ActingContext } from './context.js';
import type { Route } from './plugin.js';
import { paramOf, visibleProject } from './projects.js';
import { noteAudit } from '../../audit/notes.js';

function memberView(member: MemberRecord): Record<string, unknown> {
  return { user: member.user, role: member.role };
}

export function registerMembers(route: Route): void {
  route('GET', '/projects/:project/members', async (ctx) => {
    const project = await visibleProject(ctx, paramOf(ctx, 'project'), true);
    const { page, n } = pageOf(ctx.request);
    return sendPage(ctx, `/api/v1/projects/${project.name}/members`, 'members', await ctx.access.store.listMembers(project.name, page), n, (m) => m.user, memberView);
  });

  route('PUT', '/projects/:project/members/:user', async (ctx) => {
    const member = await setMember(ctx, paramOf(ctx, 'project'), paramOf(ctx, 'user'), bodyOf(ctx.request).role);
    return ctx.reply.code(200).send(memberView(member));
  });

  route('DELETE', '/projects/:project/members/:user', async (ctx) => {
    await removeMember(ctx, paramOf(ctx, 'project'), paramOf(ctx, 'user'));
    return ctx.reply.code(204).send();
  });
}

/** Adds `user` to `project` with `role`, or changes their role (the project's admin role needed); the audit note `member.set`. */
export async function setMember(ctx: ActingContext, projectName: string, user: string, role: unknown): Promise<MemberRecord> {
  const project = await visibleProject(ctx, projectName, true);
  if (!isRole(role)) throw new ApiError('INVALID', '"role" must be pull, push, delete or admin');
  if (!isUserName(user) || (!(await ctx.access.store.getUser(user)) && !ctx.access.isHtpasswdUser(user))) throw new ApiError('NOT_FOUND', `user ${user.slice(0, 100)} does not exist`);
  await ctx.access.store.setMember(project.name, user, role);
  ctx.request.log.info({ event: 'member.set', project: project.name, user, role }, `${user} is ${role} in ${project.name}`);
  noteAudit(ctx.request, { action: 'member.set', project: project.name, detail: { user, role } });
  return { project: project.name, user, role };
}

/** Takes `user` out of `project` (the project's admin role needed); the audit note `member.removed`. */
export async function removeMember(ctx: ActingContext, projectName: string, user: string): Promise<void> {
  const project = await visibleProject(ctx, projectName, true);
  if (!(await ctx.access.store.removeMember(project.name, user))) throw new ApiError('NOT_FOUND', `${user.slice(0, 100)} is not a member of ${project.name}`);
  ctx.request.log.info({ event: 'member.removed', project: project.name, user }, `${user} removed from ${project.name}`);
  noteAudit(ctx.request, { action: 'member.removed', project: project.name, detail: { user } });
}
