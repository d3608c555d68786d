/**
 * The lifecycle of what `portcullis serve` stores: garbage collection (collector.ts, with its lease.ts
 * and report.ts; service.ts), retention (retention.ts), accessories following their subject
 * (accessories.ts, cascade.ts), per-project settings and quotas (projects.ts, quota.ts), and the push
 * side of the collection protocol (push-guard.ts).
 */
export { DEFAULT_GRACE_MS, DEFAULT_UNTAGGED_RETENTION_MS, runGc, type GcOptions, type GcStep, type GcStores } from './collector.js';
export { DEFAULT_LEASE_TTL_MS } from './lease.js';
export { gcCounts, type GcReport } from './report.js';
export { DEFAULT_GC_INTERVAL_MS, GcService, type GcObserver, type GcRun, type GcServiceOptions } from './service.js';
export { accessoryTagSubject, isAccessoryTag } from './accessories.js';
export { deleteWithAccessories } from './cascade.js';
export { planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
export {
  NO_PROJECT_SETTINGS,
  StaticProjectSettings,
  oneProjectSettings,
  parseDuration,
  parseProjectSettings,
  parseSize,
  projectOf,
  projectSettingsFromValue,
  type ProjectSettings,
  type ProjectSettingsProvider,
  type RetentionRule,
} from './projects.js';
export { StoredProjectSettings, type StoredSettingsSource } from './stored-projects.js';
export { checkQuota, formatBytes } from './quota.js';
export { DEFAULT_CLAIM_TIMEOUT_MS, linkFreshness, reserveForPush, type PushGuardOptions } from './push-guard.js';
