/**
 * Accounts, robots, projects and members: what authorisation reads
 * (auth/permissions.ts) and the admin API (api/v1/) writes. Kept apart from
 * MetadataStore, which describes content, so each can grow on its own;
 * both backends implement it beside their content store, in the same
 * database: `identity-sqlite.ts` (the SQLite file in the data folder) and
 * `identity-postgres.ts` (the PostgreSQL schema). Every method is one
 * transaction. Names are compared and ordered by byte value.
 *
 * Contract, tested against both by `test/server/metadata/identity-contract.ts`.
 */
import type { ProjectAccess } from '../auth/permissions.js';
import type { RobotAction, Role } from '../auth/principal.js';
import type { Page } from './store.js';

export interface UserRecord {
  readonly name: string;
  /** A PHC string (`$argon2id$…`) or a bcrypt hash (`$2b$…`, imported). */
  readonly passwordHash: string;
  /** Registry administrator: every project, and the accounts themselves. */
  readonly admin: boolean;
  readonly createdAt: string;
  /** Refresh tokens issued before this are refused (a new password signs every client out). */
  readonly passwordChangedAt: string;
}

export interface RobotRecord {
  /** The whole account name, `robot$<project>+<name>`. */
  readonly name: string;
  readonly project: string;
  readonly actions: readonly RobotAction[];
  /** HMAC-SHA-256 of the secret under `secretSalt`, base64url (auth/robot-secrets.ts). */
  readonly secretHash: string;
  readonly secretSalt: string;
  readonly description?: string;
  readonly createdAt: string;
  /** ISO time after which it is refused; none: never. */
  readonly expiresAt?: string;
  /** Set when revoked: refused from then on, kept for the record. */
  readonly revokedAt?: string;
}

export interface ProjectRecord {
  readonly name: string;
  /** Anyone, anonymous callers included, may pull. */
  readonly public: boolean;
  readonly createdAt: string;
}

export interface MemberRecord {
  readonly project: string;
  readonly user: string;
  readonly role: Role;
}

/**
 * An account signed in through OpenID Connect (auth/oidc-*.ts): bound to the
 * provider's (issuer, subject), never to a name, so a user renamed at the
 * provider keeps their account, and a name claim cannot reach a local one.
 * Its CLI secret (the password of Docker clients, robot-secrets.ts's HMAC)
 * is set once the user asks for one.
 */
export interface OidcLink {
  readonly user: string;
  readonly issuer: string;
  readonly subject: string;
  readonly cliSecretHash?: string;
  readonly cliSecretSalt?: string;
}

export interface IdentityStore {
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(page?: Page): Promise<UserRecord[]>;
  /** False (and nothing changed) when the name is taken. */
  createUser(user: UserRecord): Promise<boolean>;
  /** True when some user is a registry administrator (bootstrap asks). */
  hasAdmin(): Promise<boolean>;
  setPassword(name: string, passwordHash: string, changedAt: string): Promise<boolean>;
  setAdmin(name: string, admin: boolean): Promise<boolean>;
  /** Removes the user and their memberships; false when there was none. */
  deleteUser(name: string): Promise<boolean>;
  /**
   * Takes `name`'s registry administrator role away (`demote`) or deletes
   * the account with its memberships (`delete`), unless `name` is an
   * administrator and no other one would remain ('last', nothing changed);
   * 'missing' when there is no such user. The check and the change are one
   * transaction under the store's write lock, so two callers (processes
   * sharing the store too) cannot both take the last two administrators.
   */
  removeUnlessLastAdmin(name: string, how: 'demote' | 'delete'): Promise<'done' | 'last' | 'missing'>;

  /** The account bound to the provider's (issuer, subject), if one is. */
  getOidcLink(issuer: string, subject: string): Promise<OidcLink | undefined>;
  /** The binding of the account `user`, if it signs in through a provider. */
  getOidcLinkOf(user: string): Promise<OidcLink | undefined>;
  /** Creates `user` bound to (issuer, subject), one transaction; false (nothing changed) when the name or the binding is taken. */
  createOidcUser(user: UserRecord, issuer: string, subject: string): Promise<boolean>;
  /** Replaces the CLI secret of an OIDC account and sets its passwordChangedAt (older refresh tokens and sessions end); false when `user` has no binding. */
  setCliSecret(user: string, hash: string, salt: string, changedAt: string): Promise<boolean>;

  createRobot(robot: RobotRecord): Promise<boolean>;
  getRobot(name: string): Promise<RobotRecord | undefined>;
  /** Robots of one project, or of all when `project` is undefined, by name. */
  listRobots(project: string | undefined, page?: Page): Promise<RobotRecord[]>;
  /** Marks it revoked (once; the first time is kept); false when there is no such robot. */
  revokeRobot(name: string, at: string): Promise<boolean>;

  createProject(project: ProjectRecord): Promise<boolean>;
  getProject(name: string): Promise<ProjectRecord | undefined>;
  listProjects(page?: Page): Promise<ProjectRecord[]>;
  setProjectPublic(name: string, isPublic: boolean): Promise<boolean>;
  /** The project's own lifecycle settings (a JSON object, as the admin API validated and wrote it); undefined: none, or no such project. */
  getProjectSettings(name: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Replaces them; null removes them (the operator's file applies again). False when the project does not exist. */
  setProjectSettings(name: string, settings: Readonly<Record<string, unknown>> | null): Promise<boolean>;
  /** Removes the project, its members and its robots; false when there was none. */
  deleteProject(name: string): Promise<boolean>;

  /** Adds the member or changes their role; false when the project does not exist (the caller checks the user: htpasswd users have no row). */
  setMember(project: string, user: string, role: Role): Promise<boolean>;
  removeMember(project: string, user: string): Promise<boolean>;
  /** Members of a project by user name. */
  listMembers(project: string, page?: Page): Promise<MemberRecord[]>;
  /** One lookup for authorisation: does the project exist, is it public, and `user`'s role in it. */
  projectAccess(project: string, user?: string): Promise<ProjectAccess>;
  /** Projects `user` may pull from (public ones, and those they are a member of); anonymous: public ones. Sorted. */
  projectsReadableBy(user?: string): Promise<string[]>;
  /** Projects where `user` has the admin role (whose audit events they may read). Sorted. */
  projectsAdministeredBy(user: string): Promise<string[]>;
  close(): Promise<void>;
}
