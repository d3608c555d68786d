/**
 * The IdentityStore in SQLite: the same file as the content store
 * (`registry.sqlite`), on a connection of its own. Its tables are versioned
 * apart from the content tables (the `identity` row of `schema_components`,
 * not `user_version`), so identity migrations and content migrations are
 * numbered independently and never wait for each other; both refuse a
 * database from a newer portcullis. Why a second connection rather than the
 * content store's: the two stores are opened, closed and migrated by different
 * code; WAL lets both read at once, and writes are short.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ProjectAccess } from '../auth/permissions.js';
import { isRobotAction, isRole, type RobotAction } from '../auth/principal.js';
import { ServeError } from '../errors.js';
import type { IdentityStore, MemberRecord, ProjectRecord, RobotRecord, UserRecord } from './identity-store.js';
import type { Page } from './store.js';

export const IDENTITY_SCHEMA_VERSION = 1;

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
];

interface UserRow {
  name: string;
  password_hash: string;
  admin: number;
  created_at: string;
  password_changed_at: string;
}
interface RobotRow {
  name: string;
  project: string;
  actions: string;
  secret_hash: string;
  secret_salt: string;
  description: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}
interface ProjectRow {
  name: string;
  public: number;
  created_at: string;
}

export class SqliteIdentityStore implements IdentityStore {
  readonly db: Database.Database;
  readonly #s: ReturnType<SqliteIdentityStore['prepare']>;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.transaction(() => migrate(this.db, path)).immediate();
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open registry accounts in ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?'),
      listUsers: db.prepare<[string, number], UserRow>('SELECT * FROM users WHERE name > ? ORDER BY name LIMIT ?'),
      createUser: db.prepare('INSERT INTO users (name, password_hash, admin, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      hasAdmin: db.prepare<[], { one: number }>('SELECT 1 AS one FROM users WHERE admin = 1 LIMIT 1'),
      setPassword: db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?'),
      setAdmin: db.prepare('UPDATE users SET admin = ? WHERE name = ?'),
      deleteUser: db.prepare('DELETE FROM users WHERE name = ?'),
      deleteMemberships: db.prepare('DELETE FROM members WHERE user_name = ?'),
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_components (component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID');
  const row = db.prepare<[], { version: number }>("SELECT version FROM schema_components WHERE component = 'identity'").get();
  const current = row?.version ?? 0;
  if (current > IDENTITY_SCHEMA_VERSION) {
    throw new ServeError('CONFIG_INVALID', `registry accounts schema v${current} in ${path} is newer than this portcullis (v${IDENTITY_SCHEMA_VERSION})`);
  }
  for (let version = current + 1; version <= IDENTITY_SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version - 1]!);
  if (current < IDENTITY_SCHEMA_VERSION) {
    db.prepare("INSERT INTO schema_components (component, version) VALUES ('identity', ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version").run(IDENTITY_SCHEMA_VERSION);
  }
}

function userOf(row: UserRow): UserRecord {
  return { name: row.name, passwordHash: row.password_hash, admin: row.admin === 1, createdAt: row.created_at, passwordChangedAt: row.password_changed_at };
}

function robotOf(row: RobotRow): RobotRecord {
  return {
    name: row.name,
    project: row.project,
    // An action this version does not know grants nothing (fail closed).
    actions: row.actions.split(',').filter((a): a is RobotAction => isRobotAction(a)),
    secretHash: row.secret_hash,
    secretSalt: row.secret_salt,
    createdAt: row.created_at,
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

function projectOf(row: ProjectRow): ProjectRecord {
  return { name: row.name, public: row.public === 1, createdAt: row.created_at };
}

function limitOf(page: Page): number {
  return page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
}
