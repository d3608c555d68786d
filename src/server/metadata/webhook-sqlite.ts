/**
 * The WebhookStore in SQLite: the same file as the content and identity
 * stores (`registry.sqlite`), on a connection of its own, versioned apart
 * (the `webhooks` row of `schema_components`) as identity-sqlite.ts is, and
 * for the same reasons. Leasing is one IMMEDIATE transaction (select the due
 * rows, mark them), which SQLite serialises against every other writer of
 * the file.
 */
import { SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import { deliveryOf, deliveryParams, finishParams, webhookOf, webhookParams, type DeliveryRow, type WebhookRow } from './webhook-rows.js';
import type { AttemptOutcome, DeliveryRecord, WebhookRecord, WebhookStore } from './webhook-store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects (name) ON DELETE CASCADE, url TEXT NOT NULL, events TEXT NOT NULL,
    format TEXT NOT NULL, sealed_secret TEXT NOT NULL, description TEXT, enabled INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX webhooks_project ON webhooks (project, created_at);
  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE, project TEXT NOT NULL, event TEXT NOT NULL, event_id TEXT NOT NULL,
    body TEXT NOT NULL, clair_notification_id TEXT, clair_notifications TEXT,
    state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, lease TEXT, lease_until TEXT,
    response_status INTEGER, error TEXT, response_excerpt TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT, redelivery_of TEXT
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
  CREATE INDEX webhook_deliveries_lease ON webhook_deliveries (state, lease_until);
  CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
  CREATE INDEX webhook_deliveries_clair ON webhook_deliveries (clair_notification_id) WHERE clair_notification_id IS NOT NULL;
  CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at) WHERE completed_at IS NOT NULL;
  `,
];

export const WEBHOOK_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'webhooks', label: 'registry webhooks', migrations: MIGRATIONS, foreignKeys: true };

export class SqliteWebhookStore extends SqliteComponentStore implements WebhookStore {
  readonly #s: ReturnType<SqliteWebhookStore['prepare']>;

  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      create: db.prepare(`INSERT INTO webhooks (id, project, url, events, format, sealed_secret, description, enabled, created_at, updated_at)
        VALUES (@id, @project, @url, @events, @format, @sealed_secret, @description, @enabled, @created_at, @updated_at) ON CONFLICT DO NOTHING`),
      get: db.prepare<[string, string], WebhookRow>('SELECT * FROM webhooks WHERE project = ? AND id = ?'),
      list: db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE project = ? ORDER BY created_at, id'),
      update: db.prepare(`UPDATE webhooks SET url = @url, events = @events, format = @format, sealed_secret = @sealed_secret, description = @description,
        enabled = @enabled, updated_at = @updated_at WHERE project = @project AND id = @id`),
      delete: db.prepare('DELETE FROM webhooks WHERE project = ? AND id = ?'),
      add: db.prepare(`INSERT INTO webhook_deliveries (id, webhook_id, project, event, event_id, body, clair_notification_id, clair_notifications, state, attempts,
        next_attempt_at, created_at, updated_at, redelivery_of)
        VALUES (@id, @webhook_id, @project, @event, @event_id, @body, @clair_notification_id, @clair_notifications, 'pending', 0, @next_attempt_at, @created_at, @updated_at, @redelivery_of)`),
      due: db.prepare<[string, string, number], { seq: number }>(`SELECT seq FROM (
          SELECT seq, next_attempt_at AS due FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?
          UNION ALL SELECT seq, lease_until AS due FROM webhook_deliveries WHERE state = 'delivering' AND lease_until <= ?
        ) ORDER BY due, seq LIMIT ?`),
      lease: db.prepare<[string, string, string, number], DeliveryRow>(
        `UPDATE webhook_deliveries SET state = 'delivering', lease = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE seq = ? RETURNING *`,
      ),
      finish: db.prepare(`UPDATE webhook_deliveries SET state = @state, next_attempt_at = coalesce(@next_attempt_at, next_attempt_at), lease = NULL, lease_until = NULL,
        response_status = @response_status, error = @error, response_excerpt = @response_excerpt, updated_at = @at, completed_at = @completed_at
        WHERE id = @id AND state = 'delivering' AND lease = @lease`),
      nextPending: db.prepare<[], { due: string | null }>("SELECT min(next_attempt_at) AS due FROM webhook_deliveries WHERE state = 'pending'"),
      nextLease: db.prepare<[], { due: string | null }>("SELECT min(lease_until) AS due FROM webhook_deliveries WHERE state = 'delivering'"),
      getDelivery: db.prepare<[string, string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND id = ?'),
      listDeliveries: db.prepare<[string, number, number], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
      clair: db.prepare<[string], { project: string; clair_notifications: string }>(
        'SELECT project, clair_notifications FROM webhook_deliveries WHERE clair_notification_id = ? AND clair_notifications IS NOT NULL ORDER BY seq LIMIT 1',
      ),
      prune: db.prepare<[string, number]>(
        "DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE completed_at IS NOT NULL AND completed_at < ? AND state IN ('delivered', 'failed') LIMIT ?)",
      ),
    };
  }

  async createWebhook(webhook: WebhookRecord): Promise<boolean> {
    try {
      return this.#s.create.run(webhookParams(webhook)).changes > 0;
    } catch (error) {
      // The project is gone (foreign key): nothing to attach the webhook to.
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return false;
      throw error;
    }
  }

  async getWebhook(project: string, id: string): Promise<WebhookRecord | undefined> {
    const row = this.#s.get.get(project, id);
    return row ? webhookOf(row) : undefined;
  }

  async listWebhooks(project: string): Promise<WebhookRecord[]> {
    return this.#s.list.all(project).map(webhookOf);
  }

  async updateWebhook(webhook: WebhookRecord): Promise<boolean> {
    return this.#s.update.run(webhookParams(webhook)).changes > 0;
  }

  async deleteWebhook(project: string, id: string): Promise<boolean> {
    return this.#s.delete.run(project, id).changes > 0;
  }

  async addDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    this.db.transaction(() => {
      for (const d of deliveries) this.#s.add.run(deliveryParams(d));
    })();
  }

  async claimDue(now: string, lease: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]> {
    const n = Math.max(0, Math.floor(limit));
    // A read first: the sender looks every few seconds, and an idle outbox should not take the write lock each time.
    if (this.#s.due.all(now, now, 1).length === 0) return [];
    return this.db.transaction(() => this.#s.due.all(now, now, n).flatMap((r) => this.#s.lease.all(lease, leaseUntil, now, r.seq).map(deliveryOf))).immediate();
  }

  async finishAttempt(id: string, lease: string, outcome: AttemptOutcome): Promise<boolean> {
    return this.#s.finish.run(finishParams(id, lease, outcome)).changes > 0;
  }

  async nextDue(): Promise<string | undefined> {
    const times = [this.#s.nextPending.get()?.due, this.#s.nextLease.get()?.due].filter((t): t is string => typeof t === 'string');
    return times.sort()[0];
  }

  async getDelivery(webhookId: string, id: string): Promise<DeliveryRecord | undefined> {
    const row = this.#s.getDelivery.get(webhookId, id);
    return row ? deliveryOf(row) : undefined;
  }

  async listDeliveries(webhookId: string, page: { readonly before?: number; readonly limit: number }): Promise<DeliveryRecord[]> {
    return this.#s.listDeliveries.all(webhookId, page.before ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(page.limit))).map(deliveryOf);
  }

  async clairNotifications(notificationId: string): Promise<{ readonly project: string; readonly notifications: string } | undefined> {
    const row = this.#s.clair.get(notificationId);
    return row ? { project: row.project, notifications: row.clair_notifications } : undefined;
  }

  async pruneDeliveries(before: string, limit: number): Promise<number> {
    return this.#s.prune.run(before, Math.max(0, Math.floor(limit))).changes;
  }
}
