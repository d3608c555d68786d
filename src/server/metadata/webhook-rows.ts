/**
 * Rows of the webhook tables and the records they hold, shared by the SQLite
 * and PostgreSQL stores (the columns are the same; booleans and big integers
 * come back as each driver returns them).
 */
import { isWebhookEvent } from '../webhooks/events.js';
import type { AttemptOutcome, DeliveryRecord, DeliveryState, WebhookFormat, WebhookRecord } from './webhook-store.js';

export interface WebhookRow {
  id: string;
  project: string;
  url: string;
  events: string;
  format: string;
  sealed_secret: string;
  description: string | null;
  enabled: number | boolean;
  created_at: string;
  updated_at: string;
}

export interface DeliveryRow {
  seq: number | string;
  id: string;
  webhook_id: string;
  project: string;
  event: string;
  event_id: string;
  body: string;
  clair_notification_id: string | null;
  clair_notifications: string | null;
  state: string;
  attempts: number;
  next_attempt_at: string;
  lease: string | null;
  lease_until: string | null;
  response_status: number | null;
  error: string | null;
  response_excerpt: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  redelivery_of: string | null;
}

export function webhookParams(w: WebhookRecord): Record<string, unknown> {
  return {
    id: w.id,
    project: w.project,
    url: w.url,
    events: w.events.join(','),
    format: w.format,
    sealed_secret: w.sealedSecret,
    description: w.description ?? null,
    enabled: w.enabled ? 1 : 0,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

export function webhookOf(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    project: row.project,
    url: row.url,
    // An event this version does not know sends nothing; nor does a format it does not know (the service checks).
    events: row.events.split(',').filter(isWebhookEvent),
    format: row.format as WebhookFormat,
    sealedSecret: row.sealed_secret,
    ...(row.description !== null ? { description: row.description } : {}),
    enabled: row.enabled === 1 || row.enabled === true,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function deliveryParams(d: DeliveryRecord): Record<string, unknown> {
  return {
    id: d.id,
    webhook_id: d.webhookId,
    project: d.project,
    event: d.event,
    event_id: d.eventId,
    body: d.body,
    clair_notification_id: d.clairNotificationId ?? null,
    clair_notifications: d.clairNotifications ?? null,
    next_attempt_at: d.nextAttemptAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    redelivery_of: d.redeliveryOf ?? null,
  };
}

export function finishParams(id: string, lease: string, o: AttemptOutcome): Record<string, unknown> {
  return {
    id,
    lease,
    state: o.state,
    next_attempt_at: o.nextAttemptAt ?? null,
    response_status: o.responseStatus ?? null,
    error: o.error ?? null,
    response_excerpt: o.responseExcerpt ?? null,
    at: o.at,
    completed_at: o.state === 'pending' ? null : o.at,
  };
}

export function deliveryOf(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    webhookId: row.webhook_id,
    project: row.project,
    event: row.event,
    eventId: row.event_id,
    body: row.body,
    ...(row.clair_notification_id !== null ? { clairNotificationId: row.clair_notification_id } : {}),
    ...(row.clair_notifications !== null ? { clairNotifications: row.clair_notifications } : {}),
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.lease !== null ? { lease: row.lease } : {}),
    ...(row.lease_until !== null ? { leaseUntil: row.lease_until } : {}),
    ...(row.response_status !== null ? { responseStatus: row.response_status } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.response_excerpt !== null ? { responseExcerpt: row.response_excerpt } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.completed_at !== null ? { completedAt: row.completed_at } : {}),
    ...(row.redelivery_of !== null ? { redeliveryOf: row.redelivery_of } : {}),
  };
}
