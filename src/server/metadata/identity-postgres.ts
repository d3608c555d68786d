/**
 * The IdentityStore in PostgreSQL, in the content store's PostgreSQL schema
 * (default `portcullis_registry`), on a pool of its own. Its tables are
 * versioned apart from the content tables, in `identity_migrations`, and
 * migrated the way postgres-schema.ts migrates those: in one transaction
 * under a transaction-scoped advisory lock, so that several processes
 * starting at once create them exactly once. Names use `COLLATE "C"` (byte
 * order, as the SQLite store). Every method is one statement or one
 * transaction; the store has no cache, so a revocation or a role change made
 * through one process is seen by every other at its next request.
 */
import pg from 'pg';
import type { ProjectAccess } from '../auth/permissions.js';
import { isRobotAction, isRole, type RobotAction } from '../auth/principal.js';
import { ServeError } from '../errors.js';
import type { IdentityStore, MemberRecord, ProjectRecord, RobotRecord, UserRecord } from './identity-store.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, quoteSchema } from './postgres-schema.js';
import type { Page } from './store.js';

export const IDENTITY_SCHEMA_VERSION = 1;

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
];

interface UserRow {
  name: string;
  password_hash: string;
  admin: boolean;
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
  public: boolean;
  created_at: string;
}

export interface PostgresIdentityOptions {
  readonly connectionString?: string;
  readonly pool?: pg.PoolConfig;
  /** The content store's schema (default `portcullis_registry`). */
  readonly schema?: string;
}

export class PostgresIdentityStore implements IdentityStore {
  readonly #pool: pg.Pool;
  readonly #s: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#s = quoteSchema(schema);
  }

  static async open(target: PostgresIdentityOptions | string): Promise<PostgresIdentityStore> {
    const options: PostgresIdentityOptions = typeof target === 'string' ? { connectionString: target } : target;
    const schema = options.schema ?? DEFAULT_SCHEMA;
    quoteSchema(schema);
    const pool = new pg.Pool({ max: 4, ...options.pool, ...(options.connectionString ? { connectionString: options.connectionString } : {}) });
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, schema);
      } finally {
        client.release();
      }
      return new PostgresIdentityStore(pool, schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open registry accounts in PostgreSQL: ${describe(error)}`, { cause: error });
    }
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const { rows } = await this.query<UserRow>(`SELECT * FROM ${this.#s}.users WHERE name = $1`, [name]);
    return rows[0] ? userOf(rows[0]) : undefined;
  }

  async listUsers(page: Page = {}): Promise<UserRecord[]> {
    const { rows } = await this.query<UserRow>(`SELECT * FROM ${this.#s}.users WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map(userOf);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    const result = await this.query(
      `INSERT INTO ${this.#s}.users (name, password_hash, admin, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [user.name, user.passwordHash, user.admin, user.createdAt, user.passwordChangedAt],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM ${this.#s}.users WHERE admin LIMIT 1`)).rowCount === 1;
  }

  async setPassword(name: string, passwordHash: string, changedAt: string): Promise<boolean> {
    return changed(await this.query(`UPDATE ${this.#s}.users SET password_hash = $1, password_changed_at = $2 WHERE name = $3`, [passwordHash, changedAt, name]));
  }

  async setAdmin(name: string, admin: boolean): Promise<boolean> {
    return changed(await this.query(`UPDATE ${this.#s}.users SET admin = $1 WHERE name = $2`, [admin, name]));
  }

  async deleteUser(name: string): Promise<boolean> {
    // One statement: the memberships and the account go together.
    const { rows } = await this.query<{ deleted: number }>(
      `WITH m AS (DELETE FROM ${this.#s}.members WHERE user_name = $1), u AS (DELETE FROM ${this.#s}.users WHERE name = $1 RETURNING 1)
       SELECT count(*)::int AS deleted FROM u`,
      [name],
    );
    return (rows[0]?.deleted ?? 0) > 0;
  }

  async createRobot(robot: RobotRecord): Promise<boolean> {
    const result = await this.query(
      `INSERT INTO ${this.#s}.robots (name, project, actions, secret_hash, secret_salt, description, created_at, expires_at)
       SELECT $1, name, $3, $4, $5, $6, $7, $8 FROM ${this.#s}.projects WHERE name = $2 ON CONFLICT DO NOTHING`,
      [robot.name, robot.project, robot.actions.join(','), robot.secretHash, robot.secretSalt, robot.description ?? null, robot.createdAt, robot.expiresAt ?? null],
    );
    return changed(result);
  }

  async getRobot(name: string): Promise<RobotRecord | undefined> {
    const { rows } = await this.query<RobotRow>(`SELECT * FROM ${this.#s}.robots WHERE name = $1`, [name]);
    return rows[0] ? robotOf(rows[0]) : undefined;
  }

  async listRobots(project: string | undefined, page: Page = {}): Promise<RobotRecord[]> {
    const { rows } =
      project === undefined
        ? await this.query<RobotRow>(`SELECT * FROM ${this.#s}.robots WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)])
        : await this.query<RobotRow>(`SELECT * FROM ${this.#s}.robots WHERE project = $1 AND name > $2 ORDER BY name LIMIT $3`, [project, page.last ?? '', limitOf(page)]);
    return rows.map(robotOf);
  }

  async revokeRobot(name: string, at: string): Promise<boolean> {
    return changed(await this.query(`UPDATE ${this.#s}.robots SET revoked_at = coalesce(revoked_at, $1) WHERE name = $2`, [at, name]));
  }

  async createProject(project: ProjectRecord): Promise<boolean> {
    return changed(
      await this.query(`INSERT INTO ${this.#s}.projects (name, public, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [project.name, project.public, project.createdAt]),
    );
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const { rows } = await this.query<ProjectRow>(`SELECT * FROM ${this.#s}.projects WHERE name = $1`, [name]);
    return rows[0] ? projectOf(rows[0]) : undefined;
  }

  async listProjects(page: Page = {}): Promise<ProjectRecord[]> {
    const { rows } = await this.query<ProjectRow>(`SELECT * FROM ${this.#s}.projects WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map(projectOf);
  }

  async setProjectPublic(name: string, isPublic: boolean): Promise<boolean> {
    return changed(await this.query(`UPDATE ${this.#s}.projects SET public = $1 WHERE name = $2`, [isPublic, name]));
  }

  async deleteProject(name: string): Promise<boolean> {
    return changed(await this.query(`DELETE FROM ${this.#s}.projects WHERE name = $1`, [name]));
  }

  async setMember(project: string, user: string, role: MemberRecord['role']): Promise<boolean> {
    return changed(
      await this.query(
        `INSERT INTO ${this.#s}.members (project, user_name, role) SELECT name, $2, $3 FROM ${this.#s}.projects WHERE name = $1
         ON CONFLICT (project, user_name) DO UPDATE SET role = excluded.role`,
        [project, user, role],
      ),
    );
  }

  async removeMember(project: string, user: string): Promise<boolean> {
    return changed(await this.query(`DELETE FROM ${this.#s}.members WHERE project = $1 AND user_name = $2`, [project, user]));
  }

  async listMembers(project: string, page: Page = {}): Promise<MemberRecord[]> {
    const { rows } = await this.query<{ project: string; user_name: string; role: string }>(
      `SELECT project, user_name, role FROM ${this.#s}.members WHERE project = $1 AND user_name > $2 ORDER BY user_name LIMIT $3`,
      [project, page.last ?? '', limitOf(page)],
    );
    return rows.flatMap((r) => (isRole(r.role) ? [{ project: r.project, user: r.user_name, role: r.role }] : []));
  }

  async projectAccess(project: string, user?: string): Promise<ProjectAccess> {
    const { rows } = await this.query<{ public: boolean; role: string | null }>(
      `SELECT p.public AS public, m.role AS role FROM ${this.#s}.projects p
       LEFT JOIN ${this.#s}.members m ON m.project = p.name AND m.user_name = $1 WHERE p.name = $2`,
      [user ?? '', project],
    );
    const row = rows[0];
    if (!row) return { exists: false, public: false };
    return { exists: true, public: row.public, ...(user !== undefined && isRole(row.role) ? { role: row.role } : {}) };
  }

  async projectsReadableBy(user?: string): Promise<string[]> {
    const s = this.#s;
    const { rows } =
      user === undefined
        ? await this.query<{ name: string }>(`SELECT name FROM ${s}.projects WHERE public ORDER BY name`)
        : await this.query<{ name: string }>(
            `SELECT name FROM ${s}.projects p WHERE public OR EXISTS (SELECT 1 FROM ${s}.members m WHERE m.project = p.name AND m.user_name = $1) ORDER BY name`,
            [user],
          );
    return rows.map((r) => r.name);
  }

  async projectsAdministeredBy(user: string): Promise<string[]> {
    const { rows } = await this.query<{ project: string }>(`SELECT project FROM ${this.#s}.members WHERE user_name = $1 AND role = 'admin' ORDER BY project`, [user]);
    return rows.map((r) => r.project);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw new ServeError('INTERNAL', `registry accounts (PostgreSQL): ${describe(error)}`, { cause: error });
    }
  }
}

/** Brings the identity tables up to IDENTITY_SCHEMA_VERSION under the schema's advisory lock; returns migrations applied. */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `identity:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.identity_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.identity_migrations`);
    const current = rows[0]?.version ?? 0;
    if (current > IDENTITY_SCHEMA_VERSION) {
      throw new ServeError('CONFIG_INVALID', `registry accounts schema v${current} in PostgreSQL schema ${schema} is newer than this portcullis (v${IDENTITY_SCHEMA_VERSION})`);
    }
    let applied = 0;
    for (let version = current + 1; version <= IDENTITY_SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(s));
      await client.query(`INSERT INTO ${s}.identity_migrations (version) VALUES ($1)`, [version]);
      applied++;
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function changed(result: pg.QueryResult): boolean {
  return (result.rowCount ?? 0) > 0;
}

function userOf(row: UserRow): UserRecord {
  return { name: row.name, passwordHash: row.password_hash, admin: row.admin, createdAt: row.created_at, passwordChangedAt: row.password_changed_at };
}

function robotOf(row: RobotRow): RobotRecord {
  return {
    name: row.name,
    project: row.project,
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
  return { name: row.name, public: row.public, createdAt: row.created_at };
}

function limitOf(page: Page): number | null {
  return page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
}

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
}
