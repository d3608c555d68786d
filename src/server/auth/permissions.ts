/**
 * The one authorisation question, `can(principal, action, repository)`, as a
 * pure function of what the store knows about the repository's project.
 * Every endpoint (distribution API, token service, admin API, UI) asks it;
 * only what proves the principal differs. Default deny: anything not granted
 * below is refused.
 *
 * - the registry's own loopback caller may pull, nothing else;
 * - a registry administrator may do everything, in every project, existing
 *   or not (a repository whose project has no record is visible to
 *   administrators only, until `project create` adopts it);
 * - in a project that does not exist, nobody else may do anything;
 * - anyone, anonymous callers included, may pull from a public project;
 * - a member may do what their role includes (pull ⊂ push ⊂ delete ⊂ admin);
 * - a robot may do its own actions in its own project, and no `admin`;
 *   an expired or revoked robot never gets this far (authentication refuses it).
 */
import { projectOf, roleAllows, type Action, type Principal, type Role } from './principal.js';

/** What the store says about one project, as seen by one principal. */
export interface ProjectAccess {
  readonly exists: boolean;
  readonly public: boolean;
  /** The principal's role, when they are a member (users only). */
  readonly role?: Role;
}

export const NO_PROJECT: ProjectAccess = { exists: false, public: false };

export function can(principal: Principal, action: Action, repository: string, project: ProjectAccess): boolean {
  switch (principal.kind) {
    case 'internal':
      return action === 'pull';
    case 'anonymous':
      return project.exists && project.public && action === 'pull';
    case 'user':
      if (principal.admin) return true;
      if (!project.exists) return false;
      if (project.public && action === 'pull') return true;
      return project.role !== undefined && roleAllows(project.role, action);
    case 'robot':
      if (!project.exists) return false;
      if (project.public && action === 'pull') return true;
      return action !== 'admin' && projectOf(repository) === principal.project && principal.actions.some((a) => a === action);
  }
}

/** Registry-wide: manage users, projects and every project's members. */
export function isRegistryAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.admin;
}

/** `/v2/` and the catalog: every principal that proved who it is (the catalog is then filtered by `can … pull`). */
export function isSignedIn(principal: Principal): boolean {
  return principal.kind !== 'anonymous';
}
