/**
 * The IdentityStore in PostgreSQL, in the content store's PostgreSQL schema
 * (default `portcullis_registry`), on a pool of its own. Its tables are
 * versioned apart from the content tables, in `identity_migrations`, and
 * migrated as those are (component-postgres.ts): in one transaction under a
 * transaction-scoped advisory lock, so that several processes starting at
 * once create them exactly once. Names use `COLLATE "C"` (byte
 * order, as the SQLite store). Every method is one statement or one
 * transaction; the store has no cache, so a revocation or a role change made
 * through one process is seen by every other at its next request. Taking an
 * administrator away (removeUnlessLastAdmin) holds an advisory lock over its
 * check and change, so processes cannot together leave none.
 */
import type { ProjectAccess } from '../auth/permissions.js';
import { isRole } from '../auth/principal.js';
import { changed, limitOf, LOCK_CLASS, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import { oidcLinkOf, projectOf, robotOf, settingsOf, userOf, type OidcLinkRow, type ProjectRow, type RobotRow, type UserRow } from './identity-rows.js';
import type { IdentityStore, MemberRecord, OidcLink, ProjectRecord, RobotRecord, UserRecord } from './identity-store.js';
import type { Page } from './store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.users (
      name text COLLATE "C" PRIMARY KEY, password_hash text NOT NULL, admin boolean NOT NULL,
      created_at text NOT NULL, password_changed_at text NOT NULL);
    CREATE TABLE ${s}.projects (name text COLLATE "C" PRIMARY KEY, public boolean NOT NULL, created_at text NOT NULL);
    CREATE TABLE ${s}.members (
      project text COLLATE "C" NOT NULL REFERENCES ${s}.projects (name) ON DELETE CASCADE,
      user_name text COLLATE "C" NOT NULL, role text NOT NULL, PRIMARY KEY (project, user_name));
    CREATE INDEX members_user ON ${s}.members (user_name);
    CREATE TABLE ${s}.robots (
      name text COLLATE "C" PRIMARY KEY, project text COLLATE "C" NOT NULL REFERENCES ${s}.projects (name) ON DELETE CASCADE,
      actions text NOT NULL, secret_hash text NOT NULL, secret_salt text NOT NULL, description text,
      created_at text NOT NULL, expires_at text, revoked_at text);
    CREATE INDEX robots_project ON ${s}.robots (project, name);
  `,
  // 2: per-project lifecycle settings set through the admin API (gc/stored-projects.ts), a JSON object or NULL.
  (s) => `ALTER TABLE ${s}.projects ADD COLUMN settings text;`,
  // 3: accounts of OIDC sign-in, bound to the provider's (issuer, subject), with their CLI secret (auth/oidc-accounts.ts).
  (s) => `CREATE TABLE ${s}.oidc_links (
    user_name text COLLATE "C" PRIMARY KEY REFERENCES ${s}.users (name) ON DELETE CASCADE, issuer text NOT NULL, subject text NOT NULL,
    cli_secret_hash text, cli_secret_salt text, UNIQUE (issuer, subject));`,
];

export const IDENTITY_SCHEMA_VERSION = MIGRATIONS.length;

const IDENTITY_TABLES: PostgresComponent = { label: 'registry accounts', lock: 'identity', versionTable: 'identity_migrations', migrations: MIGRATIONS, maxConnections: 4 };

export class PostgresIdentityStore extends PostgresComponentStore implements IdentityStore {
  static async open(target: PostgresOptions | string): Promise<PostgresIdentityStore> {
    return new PostgresIdentityStore(await openComponentPool(target, IDENTITY_TABLES));
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM ${this.s}.users WHERE name = $1`, [name]);
    return rows[0] ? userOf(rows[0]) : undefined;
  }

  async listUsers(page: Page = {}): Promise<UserRecord[]> {
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM ${this.s}.users WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map(userOf);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO ${this.s}.users (name, password_hash, admin, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [user.name, user.passwordHash, user.admin, user.createdAt, user.passwordChangedAt],
    );
    return changed(result);
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM ${this.s}.users WHERE admin LIMIT 1`)).rowCount === 1;
  }

  async setPassword(name: string, passwordHash: string, changedAt: string): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.users SET password_hash = $1, password_changed_at = $2 WHERE name = $3`, [passwordHash, changedAt, name]));
  }

  async setAdmin(name: string, admin: boolean): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.users SET admin = $1 WHERE name = $2`, [admin, name]));
  }

  async deleteUser(name: string): Promise<boolean> {
    // One statement: the memberships and the account go together.
    const { rows } = await this.db.query<{ deleted: number }>(
      `WITH m AS (DELETE FROM ${this.s}.members WHERE user_name = $1), u AS (DELETE FROM ${this.s}.users WHERE name = $1 RETURNING 1)
       SELECT count(*)::int AS deleted FROM u`,
      [name],
    );
    return (rows[0]?.deleted ?? 0) > 0;
  }

  async removeUnlessLastAdmin(name: string, how: 'demote' | 'delete'): Promise<'done' | 'last' | 'missing'> {
    return this.db.transaction(async (q) => {
      // Every process's check waits for the other's change: the last two administrators are never both taken.
      await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `administrators:${this.s}`]);
      const { rows } = await q(`SELECT admin FROM ${this.s}.users WHERE name = $1`, [name]);
      const user = rows[0] as { admin: boolean } | undefined;
      if (!user) return 'missing';
      if (user.admin && (await q(`SELECT 1 FROM ${this.s}.users WHERE admin AND name <> $1 LIMIT 1`, [name])).rowCount !== 1) return 'last';
      if (how === 'demote') await q(`UPDATE ${this.s}.users SET admin = false WHERE name = $1`, [name]);
      else await q(`WITH m AS (DELETE FROM ${this.s}.members WHERE user_name = $1) DELETE FROM ${this.s}.users WHERE name = $1`, [name]);
      return 'done';
    });
  }

  async getOidcLink(issuer: string, subject: string): Promise<OidcLink | undefined> {
    const { rows } = await this.db.query<OidcLinkRow>(`SELECT * FROM ${this.s}.oidc_links WHERE issuer = $1 AND subject = $2`, [issuer, subject]);
    return rows[0] ? oidcLinkOf(rows[0]) : undefined;
  }

  async getOidcLinkOf(user: string): Promise<OidcLink | undefined> {
    const { rows } = await this.db.query<OidcLinkRow>(`SELECT * FROM ${this.s}.oidc_links WHERE user_name = $1`, [user]);
    return rows[0] ? oidcLinkOf(rows[0]) : undefined;
  }

  async createOidcUser(user: UserRecord, issuer: string, subject: string): Promise<boolean> {
    // One statement: the account exists only with its binding (a taken name or binding inserts neither).
    const { rows } = await this.db.query<{ created: number }>(
      `WITH free AS (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.oidc_links WHERE issuer = $6 AND subject = $7)),
       u AS (INSERT INTO ${this.s}.users (name, password_hash, admin, created_at, password_changed_at) SELECT $1, $2, $3, $4, $5 FROM free ON CONFLICT DO NOTHING RETURNING name),
       l AS (INSERT INTO ${this.s}.oidc_links (user_name, issuer, subject) SELECT name, $6, $7 FROM u RETURNING 1)
       SELECT count(*)::int AS created FROM l`,
      [user.name, user.passwordHash, user.admin, user.createdAt, user.passwordChangedAt, issuer, subject],
    ).catch((error: unknown) => {
      // Two first sign-ins of one subject at once: the second one's binding collides.
      if ((error as { code?: unknown }).code === '23505') return { rows: [{ created: 0 }] };
      throw error;
    });
    return (rows[0]?.created ?? 0) > 0;
  }

  async setCliSecret(user: string, hash: string, salt: string, changedAt: string): Promise<boolean> {
    const { rows } = await this.db.query<{ changed: number }>(
      `WITH l AS (UPDATE ${this.s}.oidc_links SET cli_secret_hash = $1, cli_secret_salt = $2 WHERE user_name = $3 RETURNING user_name),
       u AS (UPDATE ${this.s}.users SET password_changed_at = $4 WHERE name IN (SELECT user_name FROM l) RETURNING 1)
       SELECT count(*)::int AS changed FROM u`,
      [hash, salt, user, changedAt],
    );
    return (rows[0]?.changed ?? 0) > 0;
  }

  async createRobot(robot: RobotRecord): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO ${this.s}.robots (name, project, actions, secret_hash, secret_salt, description, created_at, expires_at)
       SELECT $1, name, $3, $4, $5, $6, $7, $8 FROM ${this.s}.projects WHERE name = $2 ON CONFLICT DO NOTHING`,
      [robot.name, robot.project, robot.actions.join(','), robot.secretHash, robot.secretSalt, robot.description ?? null, robot.createdAt, robot.expiresAt ?? null],
    );
    return changed(result);
  }

  async getRobot(name: string): Promise<RobotRecord | undefined> {
    const { rows } = await this.db.query<RobotRow>(`SELECT * FROM ${this.s}.robots WHERE name = $1`, [name]);
    return rows[0] ? robotOf(rows[0]) : undefined;
  }

  async listRobots(project: string | undefined, page: Page = {}): Promise<RobotRecord[]> {
    const { rows } =
      project === undefined
        ? await this.db.query<RobotRow>(`SELECT * FROM ${this.s}.robots WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)])
        : await this.db.query<RobotRow>(`SELECT * FROM ${this.s}.robots WHERE project = $1 AND name > $2 ORDER BY name LIMIT $3`, [project, page.last ?? '', limitOf(page)]);
    return rows.map(robotOf);
  }

  async revokeRobot(name: string, at: string): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.robots SET revoked_at = coalesce(revoked_at, $1) WHERE name = $2`, [at, name]));
  }

  async createProject(project: ProjectRecord): Promise<boolean> {
    return changed(
      await this.db.query(`INSERT INTO ${this.s}.projects (name, public, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [project.name, project.public, project.createdAt]),
    );
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const { rows } = await this.db.query<ProjectRow>(`SELECT * FROM ${this.s}.projects WHERE name = $1`, [name]);
    return rows[0] ? projectOf(rows[0]) : undefined;
  }

  async listProjects(page: Page = {}): Promise<ProjectRecord[]> {
    const { rows } = await this.db.query<ProjectRow>(`SELECT * FROM ${this.s}.projects WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map(projectOf);
  }

  async setProjectPublic(name: string, isPublic: boolean): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.projects SET public = $1 WHERE name = $2`, [isPublic, name]));
  }

  async getProjectSettings(name: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    const { rows } = await this.db.query<{ settings: string | null }>(`SELECT settings FROM ${this.s}.projects WHERE name = $1`, [name]);
    return settingsOf(rows[0]?.settings);
  }

  async setProjectSettings(name: string, settings: Readonly<Record<string, unknown>> | null): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.projects SET settings = $1 WHERE name = $2`, [settings === null ? null : JSON.stringify(settings), name]));
  }

  async deleteProject(name: string): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.projects WHERE name = $1`, [name]));
  }

  async setMember(project: string, user: string, role: MemberRecord['role']): Promise<boolean> {
    return changed(
      await this.db.query(
        `INSERT INTO ${this.s}.members (project, user_name, role) SELECT name, $2, $3 FROM ${this.s}.projects WHERE name = $1
         ON CONFLICT (project, user_name) DO UPDATE SET role = excluded.role`,
        [project, user, role],
      ),
    );
  }

  async removeMember(project: string, user: string): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.members WHERE project = $1 AND user_name = $2`, [project, user]));
  }

  async listMembers(project: string, page: Page = {}): Promise<MemberRecord[]> {
    const { rows } = await this.db.query<{ project: string; user_name: string; role: string }>(
      `SELECT project, user_name, role FROM ${this.s}.members WHERE project = $1 AND user_name > $2 ORDER BY user_name LIMIT $3`,
      [project, page.last ?? '', limitOf(page)],
    );
    return rows.flatMap((r) => (isRole(r.role) ? [{ project: r.project, user: r.user_name, role: r.role }] : []));
  }

  async projectAccess(project: string, user?: string): Promise<ProjectAccess> {
    const { rows } = await this.db.query<{ public: boolean; role: string | null }>(
      `SELECT p.public AS public, m.role AS role FROM ${this.s}.projects p
       LEFT JOIN ${this.s}.members m ON m.project = p.name AND m.user_name = $1 WHERE p.name = $2`,
      [user ?? '', project],
    );
    const row = rows[0];
    if (!row) return { exists: false, public: false };
    return { exists: true, public: row.public, ...(user !== undefined && isRole(row.role) ? { role: row.role } : {}) };
  }

  async projectsReadableBy(user?: string): Promise<string[]> {
    const s = this.s;
    const { rows } =
      user === undefined
        ? await this.db.query<{ name: string }>(`SELECT name FROM ${s}.projects WHERE public ORDER BY name`)
        : await this.db.query<{ name: string }>(
            `SELECT name FROM ${s}.projects p WHERE public OR EXISTS (SELECT 1 FROM ${s}.members m WHERE m.project = p.name AND m.user_name = $1) ORDER BY name`,
            [user],
          );
    return rows.map((r) => r.name);
  }

  async projectsAdministeredBy(user: string): Promise<string[]> {
    const { rows } = await this.db.query<{ project: string }>(`SELECT project FROM ${this.s}.members WHERE user_name = $1 AND role = 'admin' ORDER BY project`, [user]);
    return rows.map((r) => r.project);
  }
}
