/**
 * Webhooks and their deliveries: what the admin API writes and the webhook
 * dispatcher (webhooks/dispatcher.ts) works through. A store of its own beside
 * the content and identity stores, in the same database, with its own tables
 * and schema version: `webhook-sqlite.ts` (the SQLite file in the data folder)
 * and `webhook-postgres.ts` (the PostgreSQL schema). Opened after the identity
 * store: a webhook belongs to a project (a foreign key on the identity
 * store's `projects`), so deleting a project deletes its webhooks, and a
 * webhook's deliveries go with it.
 *
 * Deliveries are the outbox: a delivery is written here first (`pending`,
 * due now), then sent. A sender leases due deliveries (`claimDue`: marks
 * them `delivering` under a random lease until a deadline, one attempt more),
 * and records the outcome under that lease (`finishAttempt`): back to
 * `pending` with a later due time, or `delivered`, or `failed` for good. A
 * process that dies mid-attempt leaves its lease to expire, and the delivery
 * is leased again; several processes on one PostgreSQL database never lease
 * the same delivery at once (`FOR UPDATE SKIP LOCKED`).
 *
 * Times are ISO 8601 strings (`toISOString`), compared as text.
 *
 * Contract, tested against both by `test/server/metadata/webhook-contract.ts`.
 */
import type { WebhookEvent } from '../webhooks/events.js';

export type WebhookFormat = 'portcullis' | 'clair';
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['portcullis', 'clair'];

export interface WebhookRecord {
  /** 16 hex digits, random. */
  readonly id: string;
  readonly project: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly format: WebhookFormat;
  /** The signing secret sealed by webhooks/secrets.ts, never the secret itself. */
  readonly sealedSecret: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryState = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface DeliveryRecord {
  /** A UUID: the `X-Portcullis-Delivery` header (and, in Clair's format, the notification id). */
  readonly id: string;
  /** Assigned by the store, increasing: the order of the delivery log and its paging cursor. */
  readonly seq?: number;
  readonly webhookId: string;
  readonly project: string;
  /** A WebhookEvent (a string here: a row written by a newer portcullis may name one this version does not know). */
  readonly event: string;
  /** The event's id (the body's `id`): shared by every delivery of one event. */
  readonly eventId: string;
  /** The body, exactly as sent (and signed). */
  readonly body: string;
  /** Clair's format: the notification id the body names, and the notifications its callback serves (a JSON array). */
  readonly clairNotificationId?: string;
  readonly clairNotifications?: string;
  readonly state: DeliveryState;
  /** Attempts started (a lease counts as one). */
  readonly attempts: number;
  /** When it is due (pending), or was last due. */
  readonly nextAttemptAt: string;
  /** While delivering: the lease it is held under, and until when. */
  readonly lease?: string;
  readonly leaseUntil?: string;
  /** The last attempt's HTTP status, error and the start of the answer's body. */
  readonly responseStatus?: number;
  readonly error?: string;
  readonly responseExcerpt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When it was delivered, or given up. */
  readonly completedAt?: string;
  /** The delivery this one sends again (a redelivery). */
  readonly redeliveryOf?: string;
}

export interface AttemptOutcome {
  readonly state: 'pending' | 'delivered' | 'failed';
  /** With `pending`: when to try again. */
  readonly nextAttemptAt?: string;
  readonly responseStatus?: number;
  readonly error?: string;
  readonly responseExcerpt?: string;
  readonly at: string;
}

export interface WebhookStore {
  /** False (nothing written) when the project does not exist or the id is taken. */
  createWebhook(webhook: WebhookRecord): Promise<boolean>;
  getWebhook(project: string, id: string): Promise<WebhookRecord | undefined>;
  /** The project's webhooks, oldest first (the API caps how many a project has). */
  listWebhooks(project: string): Promise<WebhookRecord[]>;
  /** Replaces the webhook's fields (not its id, project or creation time); false when there is none. */
  updateWebhook(webhook: WebhookRecord): Promise<boolean>;
  /** Deletes the webhook and its deliveries; false when there was none. */
  deleteWebhook(project: string, id: string): Promise<boolean>;

  /** Writes the deliveries in one transaction (seq assigned in the order given). */
  addDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void>;
  /**
   * Leases at most `limit` due deliveries — pending with `nextAttemptAt <= now`, or
   * delivering with `leaseUntil <= now` (a sender that died) — oldest due first:
   * marks them delivering under `lease` until `leaseUntil` with one attempt more,
   * and returns them as marked.
   */
  claimDue(now: string, lease: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]>;
  /** Records an attempt's outcome; false (nothing changed) when the delivery is no longer under `lease`. */
  finishAttempt(id: string, lease: string, outcome: AttemptOutcome): Promise<boolean>;
  /** The earliest time something becomes due (a pending due time, or a lease's end); undefined when nothing will. */
  nextDue(): Promise<string | undefined>;
  getDelivery(webhookId: string, id: string): Promise<DeliveryRecord | undefined>;
  /** The webhook's deliveries, newest first, those with `seq < before` when given. */
  listDeliveries(webhookId: string, page: { readonly before?: number; readonly limit: number }): Promise<DeliveryRecord[]>;
  /** The notifications (JSON array text) of a Clair-format delivery, by notification id. */
  clairNotifications(notificationId: string): Promise<{ readonly project: string; readonly notifications: string } | undefined>;
  /** Deletes up to `limit` delivered or failed deliveries completed before `before`; how many went. */
  pruneDeliveries(before: string, limit: number): Promise<number>;
  close(): Promise<void>;
}
