/**
 * A webhook service over a real SQLite outbox for delivery tests: the
 * identity store (for the project), the webhook store, a secret box, the
 * dispatcher on a fake clock with fixed jitter, and a helper that adds a
 * webhook the way the API would (secret sealed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import type { WebhookRecord } from '../../../src/server/metadata/webhook-store.js';
import { SqliteWebhookStore } from '../../../src/server/metadata/webhook-sqlite.js';
import { WebhookDispatcher, type AttemptOutcomeKind, type DeliverySettings } from '../../../src/server/webhooks/dispatcher.js';
import { secretBox, type SecretBox } from '../../../src/server/webhooks/secrets.js';
import { WebhookService } from '../../../src/server/webhooks/service.js';
import { targetPolicy } from '../../../src/server/webhooks/targets.js';
import { FakeClock } from '../../support/fake-clock.js';

export const SECRET = 'a-webhook-secret-for-tests-0123456789';
export const KEY = randomBytes(32);

export interface Outbox {
  readonly path: string;
  readonly clock: FakeClock;
  readonly store: SqliteWebhookStore;
  readonly service: WebhookService;
  readonly attempts: Array<[string, AttemptOutcomeKind]>;
  addWebhook(url: string, extra?: Partial<WebhookRecord>): Promise<WebhookRecord>;
  close(): Promise<void>;
}

export interface OutboxOptions {
  readonly path?: string;
  readonly key?: Buffer;
  readonly settings?: Partial<DeliverySettings>;
  readonly allowedNetworks?: readonly string[];
  readonly start?: boolean;
  readonly clock?: FakeClock;
}

export async function openOutbox(options: OutboxOptions = {}): Promise<Outbox> {
  const path = options.path ?? join(await mkdtemp(join(tmpdir(), 'portcullis-outbox-')), 'registry.sqlite');
  const identity = new SqliteIdentityStore(path);
  if (!(await identity.getProject('team'))) await identity.createProject({ name: 'team', public: false, createdAt: '2026-01-01T00:00:00.000Z' });
  const store = new SqliteWebhookStore(path);
  const clock = options.clock ?? new FakeClock();
  const secrets: SecretBox = secretBox(options.key ?? KEY);
  const policy = targetPolicy(options.allowedNetworks ?? ['loopback']);
  const attempts: Array<[string, AttemptOutcomeKind]> = [];
  const dispatcher = new WebhookDispatcher({
    store,
    secrets,
    policy,
    clock,
    random: () => 0.5,
    settings: { timeoutMs: 5_000, connectTimeoutMs: 5_000, ...options.settings },
    onAttempt: (event, outcome) => attempts.push([event, outcome]),
  });
  const service = new WebhookService({
    store,
    secrets,
    policy,
    dispatcher,
    publicName: () => 'registry.test:5000',
    publicUrl: () => 'http://registry.test:5000',
    now: () => clock.now(),
  });
  if (options.start !== false) service.start();
  let n = 0;
  return {
    path,
    clock,
    store,
    service,
    attempts,
    async addWebhook(url, extra = {}) {
      const id = `${(++n).toString(16).padStart(2, '0')}${randomBytes(7).toString('hex')}`;
      const now = new Date(clock.now()).toISOString();
      const webhook: WebhookRecord = { id, project: 'team', url, events: ['push', 'delete', 'signature.added'], format: 'portcullis', sealedSecret: secrets.seal(SECRET, id), enabled: true, createdAt: now, updatedAt: now, ...extra };
      if (!(await store.createWebhook(webhook))) throw new Error('cannot create the webhook');
      return webhook;
    },
    async close() {
      await service.close();
      await store.close();
      await identity.close();
    },
  };
}
