/**
 * Opens the audit log for `serve`: the AuditStore beside the other stores
 * (the SQLite file in the data folder, or the PostgreSQL schema) when the
 * registry has accounts — the admin API that reads it exists only then —
 * the recorder (always: without a store, the operator log's `audit` lines
 * are the audit trail), its request hook, the hourly pruner, and the gc
 * observer that records scheduled collections. Kept apart from open.ts so
 * the wiring there stays a few lines.
 */
import type { RegistryPlugin } from '../app.js';
import type { AuditLog } from '../api/v1/context.js';
import type { RegistryConfig } from '../config.js';
import type { GcObserver } from '../gc/index.js';
import type { AuditStore } from '../metadata/audit-store.js';
import { openAuditStore } from '../metadata/open-stores.js';
import { auditedGcObserver } from './gc.js';
import { auditPlugin } from './http.js';
import { AuditPruner, DEFAULT_AUDIT_RETENTION_MS } from './pruner.js';
import { AuditRecorder } from './recorder.js';

export interface OpenedAudit {
  readonly recorder: AuditRecorder;
  /** With accounts: where events are kept, and what the admin API reads. */
  readonly store?: AuditStore;
  readonly log?: AuditLog;
  /** The request hook (audit/http.ts), for buildApp's plugins. */
  readonly plugin: RegistryPlugin;
  /** `observer`, plus a `gc` event for each scheduled collection. */
  observeGc(observer: GcObserver): GcObserver;
  /** Stops pruning, stores what is queued, closes the store. */
  close(): Promise<void>;
}

export async function openAudit(
  config: Pick<RegistryConfig, 'root' | 'metadataUrl' | 'audit' | 'log'>,
  options: { readonly keep: boolean; readonly onDropped?: (count: number) => void },
): Promise<OpenedAudit> {
  const store = options.keep ? await openAuditStore(config) : undefined;
  const recorder = new AuditRecorder({
    log: config.log,
    ...(store ? { store } : {}),
    ...(config.audit?.queueSize !== undefined ? { queueSize: config.audit.queueSize } : {}),
    ...(options.onDropped ? { onDropped: options.onDropped } : {}),
  });
  const retentionMs = config.audit?.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  const pruner = store && retentionMs > 0 ? new AuditPruner({ store, retentionMs, log: config.log }) : undefined;
  pruner?.start();
  return {
    recorder,
    ...(store ? { store, log: { store, flush: () => recorder.flush() } } : {}),
    plugin: auditPlugin(recorder),
    observeGc: (observer) => auditedGcObserver(observer, recorder),
    async close() {
      await pruner?.stop();
      await recorder.close();
      await store?.close();
    },
  };
}
