/**
 * `reload()`: read the configuration again and apply what can change while
 * the registry runs (SIGHUP calls it; an admin API may). What changes live
 * is each key's `reload` in the schema (config-file/schema.ts): users,
 * pull policy, login limits, upload caps and the log level (live-config.ts
 * applies them); every other key that changed is named in a warning, and
 * keeps its running value until a restart. Authentication switched on or off
 * counts as such a key: the app decides at start whether it checks credentials.
 *
 * One `config.reload` log line per reload, with `outcome`:
 * - `applied` (info), with the keys that changed; warn when some of them
 *   need a restart (`restartNeeded`);
 * - `failed` (error), with the error (a file that does not parse, an
 *   htpasswd file that cannot be read): the running configuration stays
 *   whole, nothing of the new one is applied.
 * Reloads run one at a time; a reload asked for during another runs after it.
 *
 * A reload that changed who may do what — keys of `policy`, `auth`, `audit`
 * and the retention and project settings of `gc` — is a `policy.changed`
 * event in the audit log, by `<system>`, naming the keys (a file those keys
 * name, read again with new contents, is not seen as a change).
 */
import { KEYS, keyEntry, type Settings } from './config-file/index.js';
import type { RegistryConfig } from './config.js';
import type { LiveParts } from './live-config.js';
import type { Metrics } from './metrics.js';
import { SYSTEM_PRINCIPAL } from './audit/event.js';
import type { AuditRecorder } from './audit/recorder.js';

/** Keys whose change is a policy change for the audit log. */
const POLICY_KEYS = /^(policy|auth|audit)\.|^gc\.(projectSettings|untaggedRetention)$/;

export interface ReloadResult {
  readonly outcome: 'applied' | 'failed';
  /** Keys whose effective value changed (`policy.denySeverity`). */
  readonly changed: readonly string[];
  /** Of those, the ones that keep their running value until a restart. */
  readonly restartNeeded: readonly string[];
  /** With `failed`: why. */
  readonly error?: string;
}

/** Keys whose effective values differ. */
export function changedKeys(before: Settings, after: Settings): string[] {
  const valueAt = (settings: Settings, path: readonly string[]): unknown => {
    let value: unknown = settings;
    for (const part of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    return value;
  };
  return KEYS.filter((k) => JSON.stringify(valueAt(before, k.path)) !== JSON.stringify(valueAt(after, k.path))).map((k) => k.key);
}

export function reloader(
  started: RegistryConfig,
  live: Pick<LiveParts, 'apply'>,
  metrics?: Pick<Metrics, 'countReload'>,
  audit?: Pick<AuditRecorder, 'record'>,
): () => Promise<ReloadResult> {
  const log = started.log;
  /** What runs now: the start-up values of restart keys, the last applied ones of live keys. */
  let applied = started.settings;
  let queue: Promise<unknown> = Promise.resolve();

  async function reloadOnce(): Promise<ReloadResult> {
    let next: RegistryConfig;
    try {
      if (!started.reread) throw new Error('this registry was started without a configuration to read again');
      next = await started.reread();
      await live.apply(next);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      metrics?.countReload('failed');
      log.error({ event: 'config.reload', outcome: 'failed', error: message }, `configuration not reloaded, the running one stays: ${message}`);
      return { outcome: 'failed', changed: [], restartNeeded: [], error: message };
    }
    const changed = applied && next.settings ? changedKeys(applied, next.settings) : [];
    const restartNeeded = changed.filter((key) => keyEntry(key)?.reload !== 'live');
    if ((started.htpasswd === undefined) !== (next.htpasswd === undefined) && !restartNeeded.includes('auth.htpasswd')) restartNeeded.push('auth.htpasswd');
    if (next.settings) {
      log.level = next.settings.log.level;
      // Restart keys keep their running values: compare against those next time too.
      const merged = structuredClone(next.settings) as Record<string, unknown>;
      for (const key of restartNeeded) {
        const entry = keyEntry(key);
        if (!entry || !applied) continue;
        let source: unknown = applied;
        let target = merged;
        for (const part of entry.path.slice(0, -1)) {
          source = (source as Record<string, unknown> | undefined)?.[part];
          target = (target[part] ??= {}) as Record<string, unknown>;
        }
        const name = entry.path.at(-1)!;
        const value = (source as Record<string, unknown> | undefined)?.[name];
        if (value === undefined) delete target[name];
        else target[name] = value;
      }
      applied = merged as Settings;
    }
    metrics?.countReload('applied');
    const policy = changed.filter((key) => POLICY_KEYS.test(key));
    if (policy.length > 0) {
      const waiting = restartNeeded.filter((key) => POLICY_KEYS.test(key));
      audit?.record({ action: 'policy.changed', outcome: 'success', principal: SYSTEM_PRINCIPAL, principalKind: 'system', detail: { via: 'reload', changed: policy, ...(waiting.length > 0 ? { restartNeeded: waiting } : {}) } });
    }
    const fields = { event: 'config.reload', outcome: 'applied', changed, ...(restartNeeded.length > 0 ? { restartNeeded } : {}) };
    const what = changed.length === 0 ? 'nothing changed' : `changed: ${changed.join(', ')}`;
    if (restartNeeded.length > 0) log.warn(fields, `configuration reloaded (${what}); ${restartNeeded.join(', ')} ${restartNeeded.length === 1 ? 'takes' : 'take'} effect only after a restart`);
    else log.info(fields, `configuration reloaded (${what})`);
    return { outcome: 'applied', changed, restartNeeded };
  }

  return () => {
    const run = queue.then(reloadOnce, reloadOnce);
    queue = run;
    return run;
  };
}
