/**
 * The IdentityStore in SQLite: the same file as the content store
 * (`registry.sqlite`), on a connection of its own. Its tables are versioned
 * apart from the content tables (the `identity` row of `schema_components`,
 * not `user_version`), so identity migrations and content migrations are
 * numbered independently and never wait for each other; both refuse a
 * database from a newer portcullis (opened and migrated by
 * component-sqlite.ts, as every store of the file). Why a second connection rather than the
 * content store's: the two stores are opened, closed and migrated by different
 * code; WAL lets both read at once, and writes are short.
 */
import type { ProjectAccess } from '../auth/permissions.js';
import { isRole } from '../auth/principal.js';
import { limitOf, SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import { oidcLinkOf, projectOf, robotOf, settingsOf, userOf, type OidcLinkRow, type ProjectRow, type RobotRow, type UserRow } from './identity-rows.js';
import type { IdentityStore, MemberRecord, OidcLink, ProjectRecord, RobotRecord, UserRecord } from './identity-store.js';
import type { Page } from './store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, admin INTEGER NOT NULL, created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE projects (name TEXT PRIMARY KEY, public INTEGER NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE members (
    project TEXT NOT NULL REFERENCES projects (name) ON DELETE CASCADE, user_name TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (project, user_name)
  ) WITHOUT ROWID;
  CREATE INDEX members_user ON members (user_name);
  CREATE TABLE robots (
    name TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects (name) ON DELETE CASCADE, actions TEXT NOT NULL,
    secret_hash TEXT NOT NULL, secret_salt TEXT NOT NULL, description TEXT, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX robots_project ON robots (project, name);
  `,
  // 2: per-project lifecycle settings set through the admin API (gc/stored-projects.ts), a JSON object or NULL.
  `ALTER TABLE projects ADD COLUMN settings TEXT;`,
  // 3: accounts of OIDC sign-in, bound to the provider's (issuer, subject), with their CLI secret (auth/oidc-accounts.ts).
  `CREATE TABLE oidc_links (
    user_name TEXT PRIMARY KEY REFERENCES users (name) ON DELETE CASCADE, issuer TEXT NOT NULL, subject TEXT NOT NULL,
    cli_secret_hash TEXT, cli_secret_salt TEXT, UNIQUE (issuer, subject)
  ) WITHOUT ROWID;`,
];

export const IDENTITY_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'identity', label: 'registry accounts', migrations: MIGRATIONS, foreignKeys: true };

export class SqliteIdentityStore extends SqliteComponentStore implements IdentityStore {
  readonly #s: ReturnType<SqliteIdentityStore['prepare']>;

  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?'),
      listUsers: db.prepare<[string, number], UserRow>('SELECT * FROM users WHERE name > ? ORDER BY name LIMIT ?'),
      createUser: db.prepare('INSERT INTO users (name, password_hash, admin, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      hasAdmin: db.prepare<[], { one: number }>('SELECT 1 AS one FROM users WHERE admin = 1 LIMIT 1'),
      otherAdmin: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM users WHERE admin = 1 AND name <> ? LIMIT 1'),
      setPassword: db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?'),
      setAdmin: db.prepare('UPDATE users SET admin = ? WHERE name = ?'),
      setPasswordChangedAt: db.prepare('UPDATE users SET password_changed_at = ? WHERE name = ?'),
      deleteUser: db.prepare('DELETE FROM users WHERE name = ?'),
      deleteMemberships: db.prepare('DELETE FROM members WHERE user_name = ?'),
      getOidcLink: db.prepare<[string, string], OidcLinkRow>('SELECT * FROM oidc_links WHERE issuer = ? AND subject = ?'),
      getOidcLinkOf: db.prepare<[string], OidcLinkRow>('SELECT * FROM oidc_links WHERE user_name = ?'),
      createOidcLink: db.prepare('INSERT INTO oidc_links (user_name, issuer, subject) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      setCliSecret: db.prepare('UPDATE oidc_links SET cli_secret_hash = ?, cli_secret_salt = ? WHERE user_name = ?'),
      createRobot: db.prepare(`INSERT INTO robots (name, project, actions, secret_hash, secret_salt, description, created_at, expires_at, revoked_at)
        VALUES (@name, @project, @actions, @secret_hash, @secret_salt, @description, @created_at, @expires_at, NULL) ON CONFLICT DO NOTHING`),
      getRobot: db.prepare<[string], RobotRow>('SELECT * FROM robots WHERE name = ?'),
      listRobots: db.prepare<[string, number], RobotRow>('SELECT * FROM robots WHERE name > ? ORDER BY name LIMIT ?'),
      listProjectRobots: db.prepare<[string, string, number], RobotRow>('SELECT * FROM robots WHERE project = ? AND name > ? ORDER BY name LIMIT ?'),
      revokeRobot: db.prepare('UPDATE robots SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?'),
      createProject: db.prepare('INSERT INTO projects (name, public, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      getProject: db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE name = ?'),
      listProjects: db.prepare<[string, number], ProjectRow>('SELECT * FROM projects WHERE name > ? ORDER BY name LIMIT ?'),
      setPublic: db.prepare('UPDATE projects SET public = ? WHERE name = ?'),
      getSettings: db.prepare<[string], { settings: string | null }>('SELECT settings FROM projects WHERE name = ?'),
      setSettings: db.prepare('UPDATE projects SET settings = ? WHERE name = ?'),
      deleteProject: db.prepare('DELETE FROM projects WHERE name = ?'),
      setMember: db.prepare(`INSERT INTO members (project, user_name, role) SELECT name, ?, ? FROM projects WHERE name = ?
        ON CONFLICT (project, user_name) DO UPDATE SET role = excluded.role`),
      removeMember: db.prepare('DELETE FROM members WHERE project = ? AND user_name = ?'),
      listMembers: db.prepare<[string, string, number], { project: string; user: string; role: string }>(
        'SELECT project, user_name AS user, role FROM members WHERE project = ? AND user_name > ? ORDER BY user_name LIMIT ?',
      ),
      access: db.prepare<[string, string], { public: number; role: string | null }>(
        'SELECT p.public AS public, m.role AS role FROM projects p LEFT JOIN members m ON m.project = p.name AND m.user_name = ? WHERE p.name = ?',
      ),
      readable: db.prepare<[string], { name: string }>(
        'SELECT name FROM projects p WHERE public = 1 OR EXISTS (SELECT 1 FROM members m WHERE m.project = p.name AND m.user_name = ?) ORDER BY name',
      ),
      readablePublic: db.prepare<[], { name: string }>('SELECT name FROM projects WHERE public = 1 ORDER BY name'),
      administered: db.prepare<[string], { project: string }>("SELECT project FROM members WHERE user_name = ? AND role = 'admin' ORDER BY project"),
    };
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = this.#s.getUser.get(name);
    return row ? userOf(row) : undefined;
  }

  async listUsers(page: Page = {}): Promise<UserRecord[]> {
    return this.#s.listUsers.all(page.last ?? '', limitOf(page)).map(userOf);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    return this.#s.createUser.run(user.name, user.passwordHash, user.admin ? 1 : 0, user.createdAt, user.passwordChangedAt).changes > 0;
  }

  async hasAdmin(): Promise<boolean> {
    return this.#s.hasAdmin.get() !== undefined;
  }

  async setPassword(name: string, passwordHash: string, changedAt: string): Promise<boolean> {
    return this.#s.setPassword.run(passwordHash, changedAt, name).changes > 0;
  }

  async setAdmin(name: string, admin: boolean): Promise<boolean> {
    return this.#s.setAdmin.run(admin ? 1 : 0, name).changes > 0;
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.#s.deleteMemberships.run(name);
      return this.#s.deleteUser.run(name).changes > 0;
    })();
  }

  async removeUnlessLastAdmin(name: string, how: 'demote' | 'delete'): Promise<'done' | 'last' | 'missing'> {
    // IMMEDIATE: the write lock from the check on, for other connections and processes too.
    return this.db
      .transaction((): 'done' | 'last' | 'missing' => {
        const row = this.#s.getUser.get(name);
        if (!row) return 'missing';
        if (userOf(row).admin && this.#s.otherAdmin.get(name) === undefined) return 'last';
        if (how === 'demote') {
          this.#s.setAdmin.run(0, name);
        } else {
          this.#s.deleteMemberships.run(name);
          this.#s.deleteUser.run(name);
        }
        return 'done';
      })
      .immediate();
  }

  async getOidcLink(issuer: string, subject: string): Promise<OidcLink | undefined> {
    const row = this.#s.getOidcLink.get(issuer, subject);
    return row ? oidcLinkOf(row) : undefined;
  }

  async getOidcLinkOf(user: string): Promise<OidcLink | undefined> {
    const row = this.#s.getOidcLinkOf.get(user);
    return row ? oidcLinkOf(row) : undefined;
  }

  async createOidcUser(user: UserRecord, issuer: string, subject: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        if (this.#s.createUser.run(user.name, user.passwordHash, user.admin ? 1 : 0, user.createdAt, user.passwordChangedAt).changes === 0) return false;
        if (this.#s.createOidcLink.run(user.name, issuer, subject).changes > 0) return true;
        // The binding is another account's already: take the new account back.
        this.#s.deleteUser.run(user.name);
        return false;
      })
      .immediate();
  }

  async setCliSecret(user: string, hash: string, salt: string, changedAt: string): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (this.#s.setCliSecret.run(hash, salt, user).changes === 0) return false;
      this.#s.setPasswordChangedAt.run(changedAt, user);
      return true;
    })();
  }

  async createRobot(robot: RobotRecord): Promise<boolean> {
    try {
      return (
        this.#s.createRobot.run({
          name: robot.name,
          project: robot.project,
          actions: robot.actions.join(','),
          secret_hash: robot.secretHash,
          secret_salt: robot.secretSalt,
          description: robot.description ?? null,
          created_at: robot.createdAt,
          expires_at: robot.expiresAt ?? null,
        }).changes > 0
      );
    } catch (error) {
      // The project is gone (foreign key): nothing to attach the robot to.
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return false;
      throw error;
    }
  }

  async getRobot(name: string): Promise<RobotRecord | undefined> {
    const row = this.#s.getRobot.get(name);
    return row ? robotOf(row) : undefined;
  }

  async listRobots(project: string | undefined, page: Page = {}): Promise<RobotRecord[]> {
    const rows = project === undefined ? this.#s.listRobots.all(page.last ?? '', limitOf(page)) : this.#s.listProjectRobots.all(project, page.last ?? '', limitOf(page));
    return rows.map(robotOf);
  }

  async revokeRobot(name: string, at: string): Promise<boolean> {
    return this.#s.revokeRobot.run(at, name).changes > 0;
  }

  async createProject(project: ProjectRecord): Promise<boolean> {
    return this.#s.createProject.run(project.name, project.public ? 1 : 0, project.createdAt).changes > 0;
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const row = this.#s.getProject.get(name);
    return row ? projectOf(row) : undefined;
  }

  async listProjects(page: Page = {}): Promise<ProjectRecord[]> {
    return this.#s.listProjects.all(page.last ?? '', limitOf(page)).map(projectOf);
  }

  async setProjectPublic(name: string, isPublic: boolean): Promise<boolean> {
    return this.#s.setPublic.run(isPublic ? 1 : 0, name).changes > 0;
  }

  async getProjectSettings(name: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    return settingsOf(this.#s.getSettings.get(name)?.settings);
  }

  async setProjectSettings(name: string, settings: Readonly<Record<string, unknown>> | null): Promise<boolean> {
    return this.#s.setSettings.run(settings === null ? null : JSON.stringify(settings), name).changes > 0;
  }

  async deleteProject(name: string): Promise<boolean> {
    return this.#s.deleteProject.run(name).changes > 0;
  }

  async setMember(project: string, user: string, role: MemberRecord['role']): Promise<boolean> {
    return this.#s.setMember.run(user, role, project).changes > 0;
  }

  async removeMember(project: string, user: string): Promise<boolean> {
    return this.#s.removeMember.run(project, user).changes > 0;
  }

  async listMembers(project: string, page: Page = {}): Promise<MemberRecord[]> {
    return this.#s.listMembers.all(project, page.last ?? '', limitOf(page)).flatMap((r) => (isRole(r.role) ? [{ project: r.project, user: r.user, role: r.role }] : []));
  }

  async projectAccess(project: string, user?: string): Promise<ProjectAccess> {
    const row = this.#s.access.get(user ?? '', project);
    if (!row) return { exists: false, public: false };
    // A role this version does not know grants nothing (fail closed).
    return { exists: true, public: row.public === 1, ...(user !== undefined && isRole(row.role) ? { role: row.role } : {}) };
  }

  async projectsReadableBy(user?: string): Promise<string[]> {
    return (user === undefined ? this.#s.readablePublic.all() : this.#s.readable.all(user)).map((r) => r.name);
  }

  async projectsAdministeredBy(user: string): Promise<string[]> {
    return this.#s.administered.all(user).map((r) => r.project);
  }
}
