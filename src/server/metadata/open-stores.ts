/**
 * Where `portcullis serve` opens its metadata: with a PostgreSQL URL, the
 * content store and every store beside it (identity, webhooks, kept
 * inventories, the audit log, the UI's sessions and OIDC sign-ins, the scan queue) in that database; without one, all of them in
 * one SQLite file under the root, `registry.sqlite`. Why one place: the
 * stores must sit together (a webhook's project is a row of the identity
 * tables, and `portcullis registry gc` opens the same file as the server),
 * so the choice and the file name are made once. Each backend's module is
 * loaded only when chosen: a SQLite registry never loads pg, nor a
 * PostgreSQL one better-sqlite3.
 */
import { join } from 'node:path';
import type { AuditStore } from './audit-store.js';
import type { IdentityStore } from './identity-store.js';
import type { InventoryStore } from './inventory-store.js';
import type { OidcStateStore } from './oidc-state-store.js';
import type { ExclusiveLocks } from '../singletons.js';
import type { ScanQueueStore } from './scan-queue-store.js';
import type { UiSessionStore } from './session-store.js';
import type { MetadataStore } from './store.js';
import type { WebhookStore } from './webhook-store.js';

/** The SQLite file every store shares, under the registry's root. */
export const SQLITE_FILE = 'registry.sqlite';

/** Where the metadata lives: the PostgreSQL database `metadataUrl` names, else the SQLite file under `root`. */
export interface MetadataLocation {
  readonly root: string;
  readonly metadataUrl?: string | undefined;
}

export function openMetadataStore(at: MetadataLocation): Promise<MetadataStore> {
  return openAt<MetadataStore>(
    at,
    async (url) => (await import('./postgres.js')).PostgresMetadataStore.open(url),
    async (path) => new (await import('./sqlite.js')).SqliteMetadataStore(path),
  );
}

export function openIdentityStore(at: MetadataLocation): Promise<IdentityStore> {
  return openAt<IdentityStore>(
    at,
    async (url) => (await import('./identity-postgres.js')).PostgresIdentityStore.open(url),
    async (path) => new (await import('./identity-sqlite.js')).SqliteIdentityStore(path),
  );
}

export function openWebhookStore(at: MetadataLocation): Promise<WebhookStore> {
  return openAt<WebhookStore>(
    at,
    async (url) => (await import('./webhook-postgres.js')).PostgresWebhookStore.open(url),
    async (path) => new (await import('./webhook-sqlite.js')).SqliteWebhookStore(path),
  );
}

export function openInventoryStore(at: MetadataLocation): Promise<InventoryStore> {
  return openAt<InventoryStore>(
    at,
    async (url) => (await import('./inventory-postgres.js')).PostgresInventoryStore.open(url),
    async (path) => new (await import('./inventory-sqlite.js')).SqliteInventoryStore(path),
  );
}

export function openAuditStore(at: MetadataLocation): Promise<AuditStore> {
  return openAt<AuditStore>(
    at,
    async (url) => (await import('./audit-postgres.js')).PostgresAuditStore.open(url),
    async (path) => new (await import('./audit-sqlite.js')).SqliteAuditStore(path),
  );
}

export function openSessionStore(at: MetadataLocation): Promise<UiSessionStore> {
  return openAt<UiSessionStore>(
    at,
    async (url) => (await import('./session-postgres.js')).PostgresSessionStore.open(url),
    async (path) => new (await import('./session-sqlite.js')).SqliteSessionStore(path),
  );
}

function openAt<T>(at: MetadataLocation, postgres: (url: string) => Promise<T>, sqlite: (path: string) => Promise<T>): Promise<T> {
  return at.metadataUrl ? postgres(at.metadataUrl) : sqlite(join(at.root, SQLITE_FILE));
}

export function openScanQueueStore(at: MetadataLocation): Promise<ScanQueueStore> {
  return openAt<ScanQueueStore>(
    at,
    async (url) => (await import('./scan-queue-postgres.js')).PostgresScanQueueStore.open(url),
    async (path) => new (await import('./scan-queue-sqlite.js')).SqliteScanQueueStore(path),
  );
}

/** The singleton jobs' locks: PostgreSQL advisory locks on a connection of their own, or this process's alone with SQLite. */
export async function openExclusiveLocks(at: MetadataLocation): Promise<ExclusiveLocks> {
  if (!at.metadataUrl) return (await import('../singletons.js')).localLocks;
  return new (await import('./singleton-postgres.js')).PostgresLocks(at.metadataUrl);
}

export function openOidcStateStore(at: MetadataLocation): Promise<OidcStateStore> {
  return openAt<OidcStateStore>(
    at,
    async (url) => (await import('./oidc-state-postgres.js')).PostgresOidcStateStore.open(url),
    async (path) => new (await import('./oidc-state-sqlite.js')).SqliteOidcStateStore(path),
  );
}
