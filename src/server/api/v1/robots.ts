/**
 * `/api/v1/projects/PROJECT/robots`: machine accounts of one project, named
 * `robot$PROJECT+NAME`. Creating (`{"name","actions":["pull","push"],
 * "expiresInDays":90,"description"}`; no expiry when `expiresInDays` is
 * left out or 0) answers the secret once — it is stored only as a keyed
 * hash (auth/robot-secrets.ts). `DELETE …/robots/NAME` revokes: the robot
 * is refused from its next request on (tokens included), and stays listed
 * as revoked. All need the project's admin role.
 */
import { isRobotAction, isRobotShortName, robotAccountName, type RobotAction } from '../../auth/principal.js';
import { hashRobotSecret, newRobotSalt, newRobotSecret } from '../../auth/robot-secrets.js';
import type { RobotRecord } from '../../metadata/identity-store.js';
import { ApiError, bodyOf, nowIso, pageOf, sendPage, stringField, type ActingContext } from './context.js';
import type { Route } from './plugin.js';
import { paramOf, visibleProject } from './projects.js';
import { noteAudit } from '../../audit/notes.js';

const MAX_EXPIRY_DAYS = 3650;

export function robotView(robot: RobotRecord): Record<string, unknown> {
  return {
    name: robot.name,
    project: robot.project,
    actions: robot.actions,
    createdAt: robot.createdAt,
    expiresAt: robot.expiresAt ?? null,
    revokedAt: robot.revokedAt ?? null,
    ...(robot.description !== undefined ? { description: robot.description } : {}),
  };
}

export function registerRobots(route: Route): void {
  route('GET', '/projects/:project/robots', async (ctx) => {
    const project = await visibleProject(ctx, paramOf(ctx, 'project'), true);
    const { page, n } = pageOf(ctx.request);
    return sendPage(ctx, `/api/v1/projects/${project.name}/robots`, 'robots', await ctx.access.store.listRobots(project.name, page), n, (r) => r.name, robotView);
  });

  route('POST', '/projects/:project/robots', async (ctx) => {
    const { robot, secret } = await createRobot(ctx, paramOf(ctx, 'project'), bodyOf(ctx.request));
    return ctx.reply.code(201).send({ ...robotView(robot), secret });
  });

  route('DELETE', '/projects/:project/robots/:robot', async (ctx) => {
    await revokeRobot(ctx, paramOf(ctx, 'project'), paramOf(ctx, 'robot'));
    return ctx.reply.code(204).send();
  });
}

/**
 * A new robot of `projectName` (`{"name","actions","expiresInDays","description"}`; the project's admin role
 * needed), with its secret — the only time it exists outside the caller's hands. The audit note `robot.created`.
 */
export async function createRobot(ctx: ActingContext, projectName: string, body: Readonly<Record<string, unknown>>): Promise<{ robot: RobotRecord; secret: string }> {
  const project = await visibleProject(ctx, projectName, true);
  const short = stringField(body, 'name', true);
  if (!isRobotShortName(short)) throw new ApiError('INVALID', 'name: lowercase letters and digits, with . _ - between them, at most 64 characters');
  const actions = body.actions;
  if (!Array.isArray(actions) || actions.length === 0 || !actions.every(isRobotAction)) throw new ApiError('INVALID', '"actions" must list some of pull, push, delete');
  const days = body.expiresInDays;
  if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_EXPIRY_DAYS)) throw new ApiError('INVALID', `"expiresInDays" must be a whole number from 0 (never) to ${MAX_EXPIRY_DAYS}`);
  const description = stringField(body, 'description', false);
  if (description !== undefined && description.length > 1024) throw new ApiError('INVALID', '"description" is at most 1024 characters');
  const now = ctx.now?.() ?? new Date();
  const secret = newRobotSecret();
  const salt = newRobotSalt();
  const robot: RobotRecord = {
    name: robotAccountName(project.name, short),
    project: project.name,
    actions: [...new Set(actions as RobotAction[])].sort(),
    secretHash: hashRobotSecret(secret, salt),
    secretSalt: salt,
    createdAt: nowIso(ctx),
    ...(typeof days === 'number' && days > 0 ? { expiresAt: new Date(now.getTime() + days * 86_400_000).toISOString() } : {}),
    ...(description !== undefined ? { description } : {}),
  };
  if (!(await ctx.access.store.createRobot(robot))) throw new ApiError('CONFLICT', `robot ${robot.name} exists`);
  ctx.request.log.info({ event: 'robot.created', robot: robot.name, actions: robot.actions, expiresAt: robot.expiresAt ?? null }, `robot ${robot.name} created`);
  noteAudit(ctx.request, { action: 'robot.created', project: project.name, detail: { robot: robot.name, actions: robot.actions, expiresAt: robot.expiresAt ?? null } });
  return { robot, secret };
}

/** Revokes a robot of `projectName` (its full name or the part after `+`; the project's admin role needed); the audit note `robot.revoked`. */
export async function revokeRobot(ctx: ActingContext, projectName: string, given: string): Promise<void> {
  const project = await visibleProject(ctx, projectName, true);
  const name = given.startsWith('robot$') ? given : robotAccountName(project.name, given);
  const robot = await ctx.access.store.getRobot(name);
  if (!robot || robot.project !== project.name) throw new ApiError('NOT_FOUND', `robot ${given.slice(0, 100)} does not exist in ${project.name}`);
  await ctx.access.store.revokeRobot(name, nowIso(ctx));
  ctx.request.log.info({ event: 'robot.revoked', robot: name }, `robot ${name} revoked`);
  noteAudit(ctx.request, { action: 'robot.revoked', project: project.name, detail: { robot: name } });
}
