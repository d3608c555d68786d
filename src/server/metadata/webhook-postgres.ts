/**
 * The WebhookStore in PostgreSQL, in the content store's schema (default
 * `portcullis_registry`), on a pool of its own, versioned apart in
 * `webhook_migrations` and migrated as the content and identity tables are
 * (component-postgres.ts: one transaction under an advisory lock). Needs
 * the identity tables (a webhook's project is a foreign key): opened after
 * the identity store. Several processes lease due deliveries at once without taking the
 * same one: `FOR UPDATE SKIP LOCKED`. Times compared with `<=` are
 * `COLLATE "C"` (ISO strings in byte order, whatever the database's locale).
 */
import { changed, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import { deliveryOf, deliveryParams, finishParams, webhookOf, webhookParams, type DeliveryRow, type WebhookRow } from './webhook-rows.js';
import type { AttemptOutcome, DeliveryRecord, WebhookRecord, WebhookStore } from './webhook-store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.webhooks (
      id text COLLATE "C" PRIMARY KEY, project text COLLATE "C" NOT NULL REFERENCES ${s}.projects (name) ON DELETE CASCADE,
      url text NOT NULL, events text NOT NULL, format text NOT NULL, sealed_secret text NOT NULL, description text,
      enabled boolean NOT NULL, created_at text COLLATE "C" NOT NULL, updated_at text NOT NULL);
    CREATE INDEX webhooks_project ON ${s}.webhooks (project, created_at);
    CREATE TABLE ${s}.webhook_deliveries (
      seq bigserial PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
      webhook_id text COLLATE "C" NOT NULL REFERENCES ${s}.webhooks (id) ON DELETE CASCADE,
      project text COLLATE "C" NOT NULL, event text NOT NULL, event_id text NOT NULL, body text NOT NULL,
      clair_notification_id text COLLATE "C", clair_notifications text,
      state text NOT NULL, attempts integer NOT NULL, next_attempt_at text COLLATE "C" NOT NULL, lease text, lease_until text COLLATE "C",
      response_status integer, error text, response_excerpt text, created_at text NOT NULL, updated_at text NOT NULL,
      completed_at text COLLATE "C", redelivery_of text);
    CREATE INDEX webhook_deliveries_due ON ${s}.webhook_deliveries (state, next_attempt_at);
    CREATE INDEX webhook_deliveries_lease ON ${s}.webhook_deliveries (state, lease_until);
    CREATE INDEX webhook_deliveries_webhook ON ${s}.webhook_deliveries (webhook_id, seq);
    CREATE INDEX webhook_deliveries_clair ON ${s}.webhook_deliveries (clair_notification_id) WHERE clair_notification_id IS NOT NULL;
    CREATE INDEX webhook_deliveries_completed ON ${s}.webhook_deliveries (completed_at) WHERE completed_at IS NOT NULL;
  `,
];

export const WEBHOOK_SCHEMA_VERSION = MIGRATIONS.length;

const WEBHOOK_TABLES: PostgresComponent = { label: 'registry webhooks', lock: 'webhooks', versionTable: 'webhook_migrations', migrations: MIGRATIONS, maxConnections: 4 };

export class PostgresWebhookStore extends PostgresComponentStore implements WebhookStore {
  static async open(target: PostgresOptions | string): Promise<PostgresWebhookStore> {
    return new PostgresWebhookStore(await openComponentPool(target, WEBHOOK_TABLES));
  }

  async createWebhook(webhook: WebhookRecord): Promise<boolean> {
    const p = webhookParams(webhook);
    const result = await this.db.query(
      `INSERT INTO ${this.s}.webhooks (id, project, url, events, format, sealed_secret, description, enabled, created_at, updated_at)
       SELECT $1, name, $3, $4, $5, $6, $7, $8, $9, $10 FROM ${this.s}.projects WHERE name = $2 ON CONFLICT DO NOTHING`,
      [p.id, p.project, p.url, p.events, p.format, p.sealed_secret, p.description, webhook.enabled, p.created_at, p.updated_at],
    );
    return changed(result);
  }

  async getWebhook(project: string, id: string): Promise<WebhookRecord | undefined> {
    const { rows } = await this.db.query<WebhookRow>(`SELECT * FROM ${this.s}.webhooks WHERE project = $1 AND id = $2`, [project, id]);
    return rows[0] ? webhookOf(rows[0]) : undefined;
  }

  async listWebhooks(project: string): Promise<WebhookRecord[]> {
    const { rows } = await this.db.query<WebhookRow>(`SELECT * FROM ${this.s}.webhooks WHERE project = $1 ORDER BY created_at, id`, [project]);
    return rows.map(webhookOf);
  }

  async updateWebhook(webhook: WebhookRecord): Promise<boolean> {
    const p = webhookParams(webhook);
    return changed(
      await this.db.query(
        `UPDATE ${this.s}.webhooks SET url = $3, events = $4, format = $5, sealed_secret = $6, description = $7, enabled = $8, updated_at = $9
         WHERE project = $1 AND id = $2`,
        [p.project, p.id, p.url, p.events, p.format, p.sealed_secret, p.description, webhook.enabled, p.updated_at],
      ),
    );
  }

  async deleteWebhook(project: string, id: string): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.webhooks WHERE project = $1 AND id = $2`, [project, id]));
  }

  async addDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.transaction(async (q) => {
      for (const d of deliveries) {
        const p = deliveryParams(d);
        await q(
          `INSERT INTO ${this.s}.webhook_deliveries (id, webhook_id, project, event, event_id, body, clair_notification_id, clair_notifications, state, attempts,
             next_attempt_at, created_at, updated_at, redelivery_of)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $11, $12)`,
          [p.id, p.webhook_id, p.project, p.event, p.event_id, p.body, p.clair_notification_id, p.clair_notifications, p.next_attempt_at, p.created_at, p.updated_at, p.redelivery_of],
        );
      }
    });
  }

  async claimDue(now: string, lease: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]> {
    const s = this.s;
    const { rows } = await this.db.query<DeliveryRow>(
      `WITH due AS (
         SELECT seq FROM ${s}.webhook_deliveries
         WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'delivering' AND lease_until <= $1)
         ORDER BY CASE WHEN state = 'pending' THEN next_attempt_at ELSE lease_until END, seq
         LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE ${s}.webhook_deliveries d SET state = 'delivering', lease = $2, lease_until = $3, attempts = d.attempts + 1, updated_at = $1
       FROM due WHERE d.seq = due.seq RETURNING d.*`,
      [now, lease, leaseUntil, Math.max(0, Math.floor(limit))],
    );
    return rows.map(deliveryOf).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  }

  async finishAttempt(id: string, lease: string, outcome: AttemptOutcome): Promise<boolean> {
    const p = finishParams(id, lease, outcome);
    return changed(
      await this.db.query(
        `UPDATE ${this.s}.webhook_deliveries SET state = $3, next_attempt_at = coalesce($4, next_attempt_at), lease = NULL, lease_until = NULL,
           response_status = $5, error = $6, response_excerpt = $7, updated_at = $8, completed_at = $9
         WHERE id = $1 AND state = 'delivering' AND lease = $2`,
        [p.id, p.lease, p.state, p.next_attempt_at, p.response_status, p.error, p.response_excerpt, p.at, p.completed_at],
      ),
    );
  }

  async nextDue(): Promise<string | undefined> {
    const { rows } = await this.db.query<{ due: string | null }>(
      `SELECT least((SELECT min(next_attempt_at) FROM ${this.s}.webhook_deliveries WHERE state = 'pending'),
                    (SELECT min(lease_until) FROM ${this.s}.webhook_deliveries WHERE state = 'delivering')) AS due`,
    );
    return rows[0]?.due ?? undefined;
  }

  async getDelivery(webhookId: string, id: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await this.db.query<DeliveryRow>(`SELECT * FROM ${this.s}.webhook_deliveries WHERE webhook_id = $1 AND id = $2`, [webhookId, id]);
    return rows[0] ? deliveryOf(rows[0]) : undefined;
  }

  async listDeliveries(webhookId: string, page: { readonly before?: number; readonly limit: number }): Promise<DeliveryRecord[]> {
    const { rows } = await this.db.query<DeliveryRow>(`SELECT * FROM ${this.s}.webhook_deliveries WHERE webhook_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, [
      webhookId,
      page.before ?? Number.MAX_SAFE_INTEGER,
      Math.max(0, Math.floor(page.limit)),
    ]);
    return rows.map(deliveryOf);
  }

  async clairNotifications(notificationId: string): Promise<{ readonly project: string; readonly notifications: string } | undefined> {
    const { rows } = await this.db.query<{ project: string; clair_notifications: string }>(
      `SELECT project, clair_notifications FROM ${this.s}.webhook_deliveries WHERE clair_notification_id = $1 AND clair_notifications IS NOT NULL ORDER BY seq LIMIT 1`,
      [notificationId],
    );
    return rows[0] ? { project: rows[0].project, notifications: rows[0].clair_notifications } : undefined;
  }

  async pruneDeliveries(before: string, limit: number): Promise<number> {
    const s = this.s;
    const result = await this.db.query(
      `DELETE FROM ${s}.webhook_deliveries WHERE seq IN (
         SELECT seq FROM ${s}.webhook_deliveries WHERE completed_at IS NOT NULL AND completed_at < $1 AND state IN ('delivered', 'failed') LIMIT $2)`,
      [before, Math.max(0, Math.floor(limit))],
    );
    return result.rowCount ?? 0;
  }
}
