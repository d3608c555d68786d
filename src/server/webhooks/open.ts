/**
 * Opens what webhooks need, beside the accounts (a webhook belongs to a
 * project): the webhook store in the same database (SQLite in the data folder
 * or the PostgreSQL schema), the key that seals secrets (`<root>/auth/`), the
 * target policy from `webhooks.allowedNetworks`, the dispatcher and the
 * service. Kept apart from open.ts so the wiring there stays a few lines.
 */
import { join } from 'node:path';
import type { RegistryLog } from '../log.js';
import { openWebhookStore } from '../metadata/open-stores.js';
import { WebhookDispatcher, type AttemptOutcomeKind, type Clock, type DeliverySettings } from './dispatcher.js';
import type { WebhookEvent } from './events.js';
import { loadSecretBox } from './secrets.js';
import { WebhookService } from './service.js';
import { targetPolicy } from './targets.js';

export interface WebhookSettings extends Partial<DeliverySettings> {
  /** `loopback`, `private`, `link-local` or CIDR ranges that targets may be in besides public addresses. */
  readonly allowedNetworks?: readonly string[];
}

export interface OpenWebhooksOptions {
  readonly root: string;
  readonly metadataUrl?: string;
  readonly settings?: WebhookSettings;
  readonly publicName: () => string;
  readonly publicUrl: () => string;
  readonly onAttempt?: (event: WebhookEvent | 'unknown', outcome: AttemptOutcomeKind) => void;
  readonly log?: RegistryLog;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly pollIntervalMs?: number;
}

export interface OpenedWebhooks {
  readonly service: WebhookService;
  close(): Promise<void>;
}

export async function openWebhooks(options: OpenWebhooksOptions): Promise<OpenedWebhooks> {
  const policy = targetPolicy(options.settings?.allowedNetworks ?? []);
  const secrets = await loadSecretBox(join(options.root, 'auth'));
  const store = await openWebhookStore(options);
  const { allowedNetworks: _networks, ...delivery } = options.settings ?? {};
  const dispatcher = new WebhookDispatcher({
    store,
    secrets,
    policy,
    settings: delivery,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const service = new WebhookService({
    store,
    secrets,
    policy,
    dispatcher,
    publicName: options.publicName,
    publicUrl: options.publicUrl,
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    service,
    async close() {
      await service.close();
      await store.close();
    },
  };
}
