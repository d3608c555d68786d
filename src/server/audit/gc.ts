/**
 * Garbage collection in the audit log: a scheduled run recorded as
 * `<system>`, its detail what the run removed as counts (`gcCounts`, never
 * the lists of digests, which can be long), as the admin API notes for the
 * caller of a run asked for.
 */
import { gcCounts, type GcObserver, type GcReport, type GcRun } from '../gc/index.js';
import { SYSTEM_PRINCIPAL } from './event.js';
import type { AuditRecorder } from './recorder.js';

/** The observer, plus a `gc` event for every scheduled run (runs asked for through the API are that request's event). */
export function auditedGcObserver(inner: GcObserver, recorder: Pick<AuditRecorder, 'record'>): GcObserver {
  const system = { principal: SYSTEM_PRINCIPAL, principalKind: 'system' } as const;
  return {
    gcFinished(report: GcReport, run?: GcRun) {
      inner.gcFinished(report, run);
      if (run?.scheduled) recorder.record({ ...system, action: 'gc', outcome: 'success', detail: { ...gcCounts(report), scheduled: true } });
    },
    gcFailed(durationMs: number, error: unknown, run?: GcRun) {
      inner.gcFailed(durationMs, error, run);
      if (run?.scheduled) recorder.record({ ...system, action: 'gc', outcome: 'failure', detail: { scheduled: true, durationMs, error: error instanceof Error ? error.message : String(error) } });
    },
  };
}
