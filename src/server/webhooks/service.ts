/**
 * Turns what happens in the registry into webhook deliveries. The registry
 * tells it (RegistryEvents, services.ts: pushes, deletions, refused pulls
 * from the API; finished and failed scans, and the new and fixed findings of
 * a rescan after a database update, from the scan service), it finds the webhooks of the repository's project that want that
 * event, builds the body once per format (events.ts, clair.ts), writes one
 * delivery per webhook to the outbox, and wakes the dispatcher, which sends
 * them. Writing comes first: an event whose deliveries are written is
 * delivered even if the process stops the next moment.
 *
 * The event hooks must not throw or block (a push must not wait for
 * webhooks): each starts its work and returns; failures are logged. `idle()`
 * waits for that work and for the dispatcher (tests, shutdown).
 *
 * Scan and vulnerability events are about a digest, which may be in several
 * repositories (and projects): one event per repository holding it (the scan
 * service says which), at most MAX_REPOSITORIES_PER_EVENT. Refused pulls are told at most once a minute
 * per image and repository: anyone allowed to pull can ask again and again.
 */
import { randomUUID } from 'node:crypto';
import type { Digest } from '../../core/index.js';
import { projectOf } from '../auth/principal.js';
import { silentLog, type RegistryLog } from '../log.js';
import type { ManifestRecord } from '../metadata/store.js';
import { WEBHOOK_FORMATS, type DeliveryRecord, type WebhookRecord, type WebhookStore } from '../metadata/webhook-store.js';
import type { EventActor, PolicyDecision, RegistryEvents, ScanCompleted, ScanFailed, VulnerabilityChange } from '../services.js';
import { clairCallbackBody, clairNotifications } from './clair.js';
import type { WebhookDispatcher } from './dispatcher.js';
import { cut, envelope, pushData, scanCompletedData, scanFailedData, signatureOf, vulnerabilityData, type RegistryEvent, type WebhookEvent } from './events.js';
import type { SecretBox } from './secrets.js';
import type { TargetPolicy } from './targets.js';

export const MAX_WEBHOOKS_PER_PROJECT = 20;
export const MAX_REPOSITORIES_PER_EVENT = 1000;
const PULL_DENIED_EVERY_MS = 60_000;
const MAX_REMEMBERED_DENIALS = 10_000;

export interface WebhookServiceOptions {
  readonly store: WebhookStore;
  readonly secrets: SecretBox;
  readonly policy: TargetPolicy;
  readonly dispatcher: WebhookDispatcher;
  /** The registry's public name (`host:port`, in bodies) and URL (Clair callbacks), known once listening. */
  readonly publicName: () => string;
  readonly publicUrl: () => string;
  readonly now?: () => number;
  readonly log?: RegistryLog;
}

export class WebhookService implements RegistryEvents {
  readonly store: WebhookStore;
  readonly secrets: SecretBox;
  readonly policy: TargetPolicy;
  readonly dispatcher: WebhookDispatcher;
  readonly #options: WebhookServiceOptions;
  readonly #pending = new Set<Promise<unknown>>();
  /** When a pull.denied event was last sent, by repository@digest. */
  readonly #denied = new Map<string, number>();

  constructor(options: WebhookServiceOptions) {
    this.#options = options;
    this.store = options.store;
    this.secrets = options.secrets;
    this.policy = options.policy;
    this.dispatcher = options.dispatcher;
  }

  /** Starts sending (once the registry listens: bodies name its public address). */
  start(): void {
    this.dispatcher.start();
  }

  manifestPushed(record: ManifestRecord, tag?: string, who: EventActor = {}): void {
    this.#track(async () => {
      const data = pushData(record, this.#options.publicName(), tag);
      let count = await this.deliver({ event: 'push', repository: record.repository, ...who, data });
      const signature = signatureOf(record, tag);
      if (signature) count += await this.deliver({ event: 'signature.added', repository: record.repository, ...who, data: signature });
      return count;
    });
  }

  manifestDeleted(repository: string, digest: Digest, who: EventActor = {}): void {
    this.#track(() => this.deliver({ event: 'delete', repository, ...who, data: { digest } }));
  }

  tagDeleted(repository: string, tag: string, digest: Digest, who: EventActor = {}): void {
    this.#track(() => this.deliver({ event: 'delete', repository, ...who, data: { digest, tag } }));
  }

  /** At most one event per image and repository a minute: a refused GET costs its caller nothing, so it must not cost the receivers much. */
  pullDenied(record: ManifestRecord, decision: Extract<PolicyDecision, { allowed: false }>, tag?: string, who: EventActor = {}): void {
    const key = `${record.repository}@${record.digest}`;
    const now = this.#now();
    if ((this.#denied.get(key) ?? -Infinity) > now - PULL_DENIED_EVERY_MS) return;
    if (this.#denied.size >= MAX_REMEMBERED_DENIALS) this.#denied.clear();
    this.#denied.set(key, now);
    this.#track(() =>
      this.deliver({
        event: 'pull.denied',
        repository: record.repository,
        ...who,
        data: { digest: record.digest, ...(tag !== undefined ? { tag } : {}), reason: cut(decision.reason), kind: decision.kind ?? 'undecided' },
      }),
    );
  }

  /** One scan.completed per repository holding the image. */
  scanCompleted(scan: ScanCompleted): void {
    this.#track(async () => {
      let count = 0;
      for (const repository of scan.repositories.slice(0, MAX_REPOSITORIES_PER_EVENT)) count += await this.deliver({ event: 'scan.completed', repository, data: scanCompletedData(scan) });
      return count;
    });
  }

  scanFailed(scan: ScanFailed): void {
    this.#track(async () => {
      let count = 0;
      for (const repository of scan.repositories.slice(0, MAX_REPOSITORIES_PER_EVENT)) count += await this.deliver({ event: 'scan.failed', repository, data: scanFailedData(scan) });
      return count;
    });
  }

  vulnerabilitiesChanged(change: VulnerabilityChange): void {
    this.#track(() => this.deliverVulnerabilityChange(change));
  }

  /** `vulnerability.new` (findings added) and `vulnerability.fixed` (findings gone) for each repository holding the image; resolves to the deliveries written. */
  async deliverVulnerabilityChange(change: VulnerabilityChange): Promise<number> {
    const importedAt = change.database.importedAt;
    let count = 0;
    for (const repository of change.repositories.slice(0, MAX_REPOSITORIES_PER_EVENT)) {
      if (change.new.length > 0) count += await this.deliver({ event: 'vulnerability.new', repository, data: vulnerabilityData(change.manifestDigest, change.new, importedAt) });
      if (change.fixed.length > 0) count += await this.deliver({ event: 'vulnerability.fixed', repository, data: vulnerabilityData(change.manifestDigest, change.fixed, importedAt) });
    }
    return count;
  }

  /** Writes one delivery of `happened` to every enabled webhook of its project that wants it; resolves to how many. */
  async deliver(happened: RegistryEvent): Promise<number> {
    const project = projectOf(happened.repository);
    const webhooks = (await this.store.listWebhooks(project)).filter((w) => w.enabled && w.events.includes(happened.event) && WEBHOOK_FORMATS.includes(w.format));
    if (webhooks.length === 0) return 0;
    const now = new Date(this.#now()).toISOString();
    const body = envelope(happened, { registry: this.#options.publicName(), project, occurredAt: now });
    const text = JSON.stringify(body);
    const deliveries: DeliveryRecord[] = [];
    for (const webhook of webhooks) {
      const id = randomUUID();
      const base = { id, webhookId: webhook.id, project, event: happened.event, eventId: body.id, state: 'pending' as const, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now };
      if (webhook.format === 'clair') {
        const clair = this.#clair(happened);
        if (clair === undefined) continue;
        deliveries.push({ ...base, body: clairCallbackBody(id, this.#options.publicUrl()), clairNotificationId: id, clairNotifications: clair });
      } else {
        deliveries.push({ ...base, body: text });
      }
    }
    if (deliveries.length === 0) return 0;
    await this.store.addDeliveries(deliveries);
    this.dispatcher.wake();
    return deliveries.length;
  }

  /** Queues the delivery again as a new one (same body, new id); undefined when there is no such delivery. */
  async redeliver(webhook: WebhookRecord, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const old = await this.store.getDelivery(webhook.id, deliveryId);
    if (!old) return undefined;
    const now = new Date(this.#now()).toISOString();
    const copy: DeliveryRecord = {
      id: randomUUID(),
      webhookId: webhook.id,
      project: webhook.project,
      event: old.event,
      eventId: old.eventId,
      body: old.body,
      ...(old.clairNotificationId !== undefined ? { clairNotificationId: old.clairNotificationId } : {}),
      ...(old.clairNotifications !== undefined ? { clairNotifications: old.clairNotifications } : {}),
      state: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      redeliveryOf: old.id,
    };
    await this.store.addDeliveries([copy]);
    this.dispatcher.wake();
    return (await this.store.getDelivery(webhook.id, copy.id)) ?? copy;
  }

  /** Resolves when the events told so far are written and the dispatcher has nothing due. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    await this.dispatcher.idle();
  }

  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    await this.dispatcher.close();
  }

  #clair(happened: RegistryEvent): string | undefined {
    if (happened.event !== 'vulnerability.new' && happened.event !== 'vulnerability.fixed') return undefined;
    return JSON.stringify(clairNotifications(happened.event, (happened as RegistryEvent<'vulnerability.new'>).data));
  }

  #track(work: () => Promise<number>): void {
    const job: Promise<unknown> = work()
      .catch((error: unknown) => this.#log.error({ event: 'error', err: error }, 'webhooks: cannot queue deliveries for an event'))
      .finally(() => this.#pending.delete(job));
    this.#pending.add(job);
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  get #log(): RegistryLog {
    return this.#options.log ?? SILENT;
  }
}

const SILENT = silentLog();

export type { WebhookEvent };
