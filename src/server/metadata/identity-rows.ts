/**
 * Rows of the identity tables and the records they hold, shared by the
 * SQLite and PostgreSQL stores (the columns are the same; booleans come back
 * as each driver returns them: 0/1 from SQLite, true/false from PostgreSQL).
 */
import { isRobotAction, type RobotAction } from '../auth/principal.js';
import type { OidcLink, ProjectRecord, RobotRecord, UserRecord } from './identity-store.js';

export interface UserRow {
  name: string;
  password_hash: string;
  admin: number | boolean;
  created_at: string;
  password_changed_at: string;
}

export interface RobotRow {
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

export interface ProjectRow {
  name: string;
  public: number | boolean;
  created_at: string;
}

/** A column either driver returns for a boolean: only 1 or true is yes. */
export function isTrue(value: number | boolean): boolean {
  return value === 1 || value === true;
}

export function userOf(row: UserRow): UserRecord {
  return { name: row.name, passwordHash: row.password_hash, admin: isTrue(row.admin), createdAt: row.created_at, passwordChangedAt: row.password_changed_at };
}

export function robotOf(row: RobotRow): RobotRecord {
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

/** A stored settings column: the JSON object, or undefined for NULL; anything else throws (treating it as "none" would lift the project's limits). */
export function settingsOf(text: string | null | undefined): Readonly<Record<string, unknown>> | undefined {
  if (text === null || text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('stored project settings are not a JSON object');
  return value as Record<string, unknown>;
}

export function projectOf(row: ProjectRow): ProjectRecord {
  return { name: row.name, public: isTrue(row.public), createdAt: row.created_at };
}

export interface OidcLinkRow {
  user_name: string;
  issuer: string;
  subject: string;
  cli_secret_hash: string | null;
  cli_secret_salt: string | null;
}

export function oidcLinkOf(row: OidcLinkRow): OidcLink {
  return {
    user: row.user_name,
    issuer: row.issuer,
    subject: row.subject,
    ...(row.cli_secret_hash !== null && row.cli_secret_salt !== null ? { cliSecretHash: row.cli_secret_hash, cliSecretSalt: row.cli_secret_salt } : {}),
  };
}
