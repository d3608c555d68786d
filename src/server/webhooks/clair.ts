/**
 * Clair v4's notifier format, for consumers written against Clair (a webhook
 * created with `"format":"clair"`; docs: quay/clair Documentation/concepts/
 * notifications.md, and its notifier/webhook/deliverer.go and callback.go for
 * the exact field names). Clair does not put the notifications in the webhook
 * body: it POSTs
 *
 *   {"notification_id":"<uuid>","callback":"<URL to fetch them>"}
 *
 * and the receiver GETs the callback, a paged list:
 *
 *   {"page":{"size":N,"next":"<id>"?},"notifications":[{"id","manifest","reason","vulnerability":{…}}]}
 *
 * with `?page_size=N` (default 500) and `?next=<id>` from the previous page;
 * the last page has no `next`. `reason` is `added` (vulnerability.new) or
 * `removed` (vulnerability.fixed); `vulnerability` is Clair's VulnSummary
 * (`name`, `description`, `package`, `severity` in Clair's words,
 * `fixed_in_version`, `links`). Where Clair sends one notification per
 * manifest summarising the most severe change, this lists every finding
 * (Clair's `disable_summary` behaviour), most severe first, so a consumer
 * needs no vulnerability report from a Clair matcher it does not have.
 *
 * The callback is `<public URL>/notifier/api/v1/notification/<id>` (Clair's
 * path). It answers without credentials, as a capability: the id is a random
 * UUID that only the webhook's receiver (and the delivery log, which only
 * the project's admins read) ever sees, and it lasts as long as the delivery
 * is kept (webhooks.deliveryRetention). What it serves is the same as the
 * portcullis-format body of the same event: digests, advisory ids and
 * package versions, no content.
 */
import { randomUUID } from 'node:crypto';
import type { Digest, SeverityLevel } from '../../core/index.js';
import type { VulnerabilityData } from './events.js';

export const CLAIR_CALLBACK_PATH = '/notifier/api/v1/notification';
export const CLAIR_DEFAULT_PAGE_SIZE = 500;
export const CLAIR_MAX_PAGE_SIZE = 5000;

export interface ClairVulnSummary {
  readonly name: string;
  readonly description: string;
  readonly package?: { readonly name: string; readonly version: string; readonly kind: 'binary' };
  readonly severity: string;
  readonly fixed_in_version: string;
  readonly links: string;
}

export interface ClairNotification {
  readonly id: string;
  readonly manifest: Digest;
  readonly reason: 'added' | 'removed';
  readonly vulnerability: ClairVulnSummary;
}

const SEVERITY: Readonly<Record<SeverityLevel, string>> = { CRITICAL: 'Critical', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low', NEGLIGIBLE: 'Negligible', UNKNOWN: 'Unknown' };

/** The notifications of one vulnerability event. */
export function clairNotifications(event: 'vulnerability.new' | 'vulnerability.fixed', data: VulnerabilityData): ClairNotification[] {
  return data.vulnerabilities.map((v) => ({
    id: randomUUID(),
    manifest: data.digest,
    reason: event === 'vulnerability.new' ? 'added' : 'removed',
    vulnerability: {
      name: v.id,
      description: v.title ?? '',
      package: { name: v.package.name, version: v.package.version, kind: 'binary' },
      severity: SEVERITY[v.severity],
      fixed_in_version: v.fixedVersion ?? '',
      links: v.url ?? '',
    },
  }));
}

/** The webhook body: Clair's callback object. */
export function clairCallbackBody(notificationId: string, publicUrl: string): string {
  return JSON.stringify({ notification_id: notificationId, callback: `${publicUrl.replace(/\/+$/, '')}${CLAIR_CALLBACK_PATH}/${notificationId}` });
}

export type ClairPage = { readonly page: { readonly size: number; readonly next?: string }; readonly notifications: readonly ClairNotification[] };

/** One page of stored notifications (a JSON array); `problem` for a bad `page_size` or an unknown `next`. */
export function clairPage(stored: string, query: { readonly pageSize?: string; readonly next?: string }): ClairPage | { readonly problem: string } {
  let size = CLAIR_DEFAULT_PAGE_SIZE;
  if (query.pageSize !== undefined) {
    if (!/^\d{1,6}$/.test(query.pageSize) || Number(query.pageSize) < 1) return { problem: 'page_size must be a whole number of at least 1' };
    size = Math.min(CLAIR_MAX_PAGE_SIZE, Number(query.pageSize));
  }
  const all = JSON.parse(stored) as ClairNotification[];
  const start = query.next === undefined ? 0 : all.findIndex((n) => n.id === query.next);
  if (start < 0) return { problem: 'next does not name a notification of this id' };
  const notifications = all.slice(start, start + size);
  const following = all[start + size];
  return { page: { size, ...(following ? { next: following.id } : {}) }, notifications };
}
