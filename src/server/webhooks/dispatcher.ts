/**
 * Works through the outbox (metadata/webhook-store.ts): a fixed number of
 * workers lease due deliveries, send each (send.ts: signed, with deadlines,
 * no redirects, only to allowed addresses) and record the outcome. A failed
 * attempt is retried after an exponential backoff with jitter
 * (`retryDelayMs`), until `maxAttempts` attempts were made; then the
 * delivery is marked failed for good (a redelivery from the API sends it
 * again). What is sent is the body stored when the event happened, so a
 * retry or a redelivery sends the same bytes with a fresh signature.
 *
 * Waking: `wake()` (called when deliveries are written) and a timer set for
 * the next due time, at most `pollIntervalMs` away so that work written by
 * other processes sharing a PostgreSQL database, and leases of processes
 * that died, are picked up. A lease lasts the request deadline plus a
 * margin; a delivery whose lease ran out is leased again (another attempt).
 * After a restart, pending deliveries are simply due: nothing is kept in
 * memory that the store does not have.
 *
 * Time comes from an injected clock (timers and now), so tests drive
 * backoff without waiting; the request deadlines are real time (send.ts).
 */
import { randomUUID } from 'node:crypto';
import { silentLog, type RegistryLog } from '../log.js';
import type { DeliveryRecord, WebhookRecord, WebhookStore } from '../metadata/webhook-store.js';
import { WEBHOOK_FORMATS } from '../metadata/webhook-store.js';
import { isWebhookEvent, type WebhookEvent } from './events.js';
import type { SecretBox } from './secrets.js';
import { postWebhook, type SendResult } from './send.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhookBody } from './signing.js';
import type { TargetPolicy } from './targets.js';

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export type AttemptOutcomeKind = 'delivered' | 'retried' | 'failed';

export interface DeliverySettings {
  /** Deliveries sent at once (default 4). */
  readonly workers: number;
  /** Deadline for a whole request (default 10 s) and for connecting (default 5 s). */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Attempts before a delivery is marked failed (default 8). */
  readonly maxAttempts: number;
  /** Backoff before the second attempt (default 10 s), doubling, at most `maxBackoffMs` (default 1 h). */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Delivered and failed deliveries are kept this long (default 30 days). */
  readonly retentionMs: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  workers: 4,
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxAttempts: 8,
  baseBackoffMs: 10_000,
  maxBackoffMs: 3_600_000,
  retentionMs: 30 * 86_400_000,
};

export interface DispatcherOptions {
  readonly store: WebhookStore;
  readonly secrets: SecretBox;
  readonly policy: TargetPolicy;
  readonly settings?: Partial<DeliverySettings>;
  readonly clock?: Clock;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Longest wait between looks at the store (default 5 s). */
  readonly pollIntervalMs?: number;
  /** Told about every finished attempt (metrics). */
  readonly onAttempt?: (event: WebhookEvent | 'unknown', outcome: AttemptOutcomeKind) => void;
  readonly log?: RegistryLog;
}

/** Lease margin beyond the request deadline, so a slow but live attempt keeps its delivery. */
const LEASE_MARGIN_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 10_000;

/** Equal jitter: between half and all of `base × 2^(attempts−1)`, at most `max`. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(full / 2 + (random() * full) / 2);
}

export class WebhookDispatcher {
  readonly settings: DeliverySettings;
  readonly #options: DispatcherOptions;
  readonly #clock: Clock;
  readonly #inflight = new Set<Promise<void>>();
  #chain: Promise<void> = Promise.resolve();
  #timer: unknown;
  #pruneTimer: unknown;
  #started = false;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.settings = { ...DEFAULT_DELIVERY_SETTINGS, ...options.settings };
    this.#clock = options.clock ?? REAL_CLOCK;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.wake();
    this.#schedulePrune(0);
  }

  /** Looks for due deliveries now (after new ones were written). */
  wake(): void {
    if (this.#started && !this.#closed) void this.#pump();
  }

  /** Resolves when nothing is due now and nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#started && !this.#closed) await this.#pump();
      if (this.#inflight.size === 0) return;
      await Promise.all([...this.#inflight]);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    if (this.#pruneTimer !== undefined) this.#clock.clearTimeout(this.#pruneTimer);
    await this.#chain;
    await Promise.all([...this.#inflight]);
  }

  #pump(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#pumpOnce()).catch((error: unknown) => this.#log.error({ event: 'error', err: error }, 'webhook dispatcher: cannot read the outbox'));
    return this.#chain;
  }

  async #pumpOnce(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (;;) {
      const free = Math.max(1, this.settings.workers) - this.#inflight.size;
      // A worker that finishes pumps again.
      if (free <= 0) return;
      const now = this.#clock.now();
      const leaseUntil = now + this.settings.connectTimeoutMs + this.settings.timeoutMs + LEASE_MARGIN_MS;
      const claimed = await this.#options.store.claimDue(iso(now), randomUUID(), iso(leaseUntil), free);
      for (const delivery of claimed) {
        const attempt: Promise<void> = this.#attempt(delivery)
          .catch((error: unknown) => this.#log.error({ event: 'error', err: error, delivery: delivery.id }, 'webhook delivery: cannot record the attempt'))
          .finally(() => {
            this.#inflight.delete(attempt);
            this.wake();
          });
        this.#inflight.add(attempt);
      }
      if (claimed.length < free) return this.#scheduleNext(now);
    }
  }

  async #scheduleNext(now: number): Promise<void> {
    const poll = this.#options.pollIntervalMs ?? 5_000;
    const next = await this.#options.store.nextDue();
    const due = next === undefined ? NaN : Date.parse(next);
    const wait = Number.isFinite(due) ? Math.min(poll, Math.max(0, due - now)) : poll;
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, Math.max(wait, 1));
  }

  async #attempt(delivery: DeliveryRecord): Promise<void> {
    const store = this.#options.store;
    const lease = delivery.lease ?? '';
    const webhook = await store.getWebhook(delivery.project, delivery.webhookId);
    let result: SendResult;
    if (!webhook) result = { delivered: false, error: 'the webhook was deleted' };
    else if (!webhook.enabled) result = { delivered: false, error: 'the webhook is disabled' };
    else result = await this.#send(webhook, delivery);
    const at = this.#clock.now();
    const final = result.delivered || delivery.attempts >= this.settings.maxAttempts || !webhook || !webhook.enabled;
    const outcome: AttemptOutcomeKind = result.delivered ? 'delivered' : final ? 'failed' : 'retried';
    const delay = final ? 0 : retryDelayMs(delivery.attempts, this.settings.baseBackoffMs, this.settings.maxBackoffMs, this.#options.random ?? Math.random);
    const recorded = await store.finishAttempt(delivery.id, lease, {
      state: result.delivered ? 'delivered' : final ? 'failed' : 'pending',
      ...(final ? {} : { nextAttemptAt: iso(at + delay) }),
      ...(result.status !== undefined ? { responseStatus: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(result.excerpt !== undefined && result.excerpt !== '' ? { responseExcerpt: result.excerpt } : {}),
      at: iso(at),
    });
    if (!recorded) return; // another sender took it over after our lease ran out: its outcome stands
    this.#options.onAttempt?.(isWebhookEvent(delivery.event) ? delivery.event : 'unknown', outcome);
    const fields = {
      event: 'webhook',
      outcome,
      webhook: delivery.webhookId,
      project: delivery.project,
      delivery: delivery.id,
      type: delivery.event,
      attempt: delivery.attempts,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(outcome === 'retried' ? { retryInMs: delay } : {}),
    };
    const what = `webhook ${delivery.webhookId} (${delivery.project}) ${delivery.event} delivery ${delivery.id}`;
    if (outcome === 'delivered') this.#log.info(fields, `${what} delivered`);
    else if (outcome === 'failed') this.#log.warn(fields, `${what} failed after ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}: ${result.error ?? ''}`);
    else this.#log.info(fields, `${what} attempt ${delivery.attempts} failed (${result.error ?? ''}); retrying in ${Math.round(delay / 1000)} s`);
  }

  async #send(webhook: WebhookRecord, delivery: DeliveryRecord): Promise<SendResult> {
    if (!WEBHOOK_FORMATS.includes(webhook.format)) return { delivered: false, error: `unknown format ${webhook.format}` };
    const secret = this.#options.secrets.open(webhook.sealedSecret, webhook.id);
    if (secret === undefined) return { delivered: false, error: 'cannot open the webhook secret with this server\'s key (auth/webhook-secrets.key): rotate the secret' };
    const body = Buffer.from(delivery.body, 'utf8');
    return postWebhook(
      webhook.url,
      body,
      { [EVENT_HEADER]: delivery.event, [DELIVERY_HEADER]: delivery.id, [SIGNATURE_HEADER]: signWebhookBody(secret, body) },
      { policy: this.#options.policy, timeoutMs: this.settings.timeoutMs, connectTimeoutMs: this.settings.connectTimeoutMs },
    );
  }

  #schedulePrune(delay: number): void {
    if (this.#closed) return;
    this.#pruneTimer = this.#clock.setTimeout(() => {
      void this.#prune().finally(() => this.#schedulePrune(PRUNE_EVERY_MS));
    }, delay);
  }

  async #prune(): Promise<void> {
    const before = iso(this.#clock.now() - this.settings.retentionMs);
    try {
      for (let rounds = 0; rounds < 100; rounds++) if ((await this.#options.store.pruneDeliveries(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
    } catch (error) {
      this.#log.error({ event: 'error', err: error }, 'webhook deliveries: cannot prune the log');
    }
  }

  get #log(): RegistryLog {
    return this.#options.log ?? SILENT;
  }
}

const SILENT = silentLog();

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
