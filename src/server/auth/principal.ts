/**
 * Who is calling, and what they may be allowed to do: the vocabulary every
 * authorisation decision is made in (permissions.ts), whatever proved the
 * identity (a password, a robot secret, a token, the server's own loopback
 * token).
 *
 * A principal is one of:
 * - `anonymous`: no credentials;
 * - `user`: a person's account. `via` says what proved it: a password kept in
 *   the metadata store (its accounts, OIDC ones included: oidc-accounts.ts
 *   binds them to the provider's issuer and subject), or an entry of the
 *   operator's htpasswd file. Permissions are the account's, whatever signed
 *   it in;
 * - `robot`: a machine account scoped to one project and a set of actions,
 *   named `robot$<project>+<name>` as Harbor names them;
 * - `internal`: the registry itself calling over loopback (signature checks).
 *
 * A project is the first path component of a repository name (Harbor's and
 * Quay's namespaces): `team/app/web` is in project `team`, `alpine` in
 * project `alpine`.
 */

/** What a request does to a repository. `admin`: manage the project (members, robots, policy). */
export const ACTIONS = ['pull', 'push', 'delete', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * A member's role in a project. Roles are ordered, each including those before
 * it: `push` implies `pull`, `delete` implies both, `admin` everything.
 */
export const ROLES = ['pull', 'push', 'delete', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Actions a robot may be given (never `admin`: a robot does not manage its project). */
export const ROBOT_ACTIONS = ['pull', 'push', 'delete'] as const;
export type RobotAction = (typeof ROBOT_ACTIONS)[number];

export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly name: string; readonly admin: boolean; readonly via: 'password' | 'htpasswd' }
  | { readonly kind: 'robot'; readonly name: string; readonly project: string; readonly actions: readonly RobotAction[] }
  | { readonly kind: 'internal' };

export const ANONYMOUS: Principal = { kind: 'anonymous' };
export const INTERNAL: Principal = { kind: 'internal' };

/** The name logs and tokens use: the account name, `<anonymous>` or `<internal>`. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous':
      return '<anonymous>';
    case 'internal':
      return '<internal>';
    default:
      return principal.name;
  }
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isRobotAction(value: unknown): value is RobotAction {
  return typeof value === 'string' && (ROBOT_ACTIONS as readonly string[]).includes(value);
}

/** True when `role` includes `action`. */
export function roleAllows(role: Role, action: Action): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(action);
}

/** The project a repository belongs to: its first path component. */
export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** A project name is one repository path component (the distribution grammar's), at most 64 characters. */
const PROJECT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
export function isProjectName(value: string): boolean {
  return value.length <= 64 && PROJECT.test(value);
}

/** A user name: letters, digits and `._-@`, 1–64 characters, not starting with a punctuation mark; never `$` (robots) nor `<` (reserved). */
const USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export function isUserName(value: string): boolean {
  return USER.test(value);
}

const ROBOT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ROBOT = /^robot\$([^+]+)\+(.+)$/;

/** `robot$<project>+<name>`, Harbor's form. */
export function robotAccountName(project: string, name: string): string {
  return `robot$${project}+${name}`;
}

/** The project and short name of a robot account name; undefined when it is not one. */
export function parseRobotName(value: string): { project: string; name: string } | undefined {
  const m = ROBOT.exec(value);
  if (!m || !isProjectName(m[1]!) || !isRobotShortName(m[2]!)) return undefined;
  return { project: m[1]!, name: m[2]! };
}

export function isRobotShortName(value: string): boolean {
  return value.length <= 64 && ROBOT_NAME.test(value);
}
