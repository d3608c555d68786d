/**
 * Garbage collection in the audit log: what a run removed, as counts (never
 * the lists of digests, which can be long), for the `gc` event the admin API
 * notes for its caller and the one a scheduled run records as `<system>`.
 */
import type { GcObserver, GcReport, GcRun } from '../gc/index.js';
import { SYSTEM_PRINCIPAL, type AuditDetail } from './event.js';
import type { AuditRecorder } from './recorder.js';

export function gcAuditDetail(report: GcReport): AuditDetail {
  return {
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    repositories: report.repositories,
    tagsDeleted: report.tagsDeleted,
    manifestsDeleted: report.manifestsDeleted,
    linksRemoved: report.linksRemoved,
    blobsDeleted: report.blobsDeleted,
    bytesFreed: report.bytesFreed,
    orphansDeleted: report.orphansDeleted,
  };
}

/** The observer, plus a `gc` event for every scheduled run (runs asked for through the API are that request's event). */
export function auditedGcObserver(inner: GcObserver, recorder: Pick<AuditRecorder, 'record'>): GcObserver {
  const system = { principal: SYSTEM_PRINCIPAL, principalKind: 'system' } as const;
  return {
    gcFinished(report: GcReport, run?: GcRun) {
      inner.gcFinished(report, run);
      if (run?.scheduled) recorder.record({ ...system, action: 'gc', outcome: 'success', detail: { ...gcAuditDetail(report), scheduled: true } });
    },
    gcFailed(durationMs: number, error: unknown, run?: GcRun) {
      inner.gcFailed(durationMs, error, run);
      if (run?.scheduled) recorder.record({ ...system, action: 'gc', outcome: 'failure', detail: { scheduled: true, durationMs, error: error instanceof Error ? error.message : String(error) } });
    },
  };
}
