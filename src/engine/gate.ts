/**
 * The CI gate, in one place: which findings a scan reports and whether it
 * fails. Order: `--severity` and `--ignore-unfixed` drop findings; the ignore
 * file and VEX `not_affected` statements *suppress* them (kept, with
 * `suppressed` saying by what and why, so JSON output shows the decision);
 * `--exit-code N` applies when unsuppressed findings remain.
 */
import type { SeverityLevel } from '../core/advisory.js';
import type { Finding } from '../core/finding.js';
import { entryMatches, expiryTime, type IgnoreFile } from './ignore.js';
import { statementCovers, suppresses, type VexStatement } from './vex.js';

export interface GateOptions {
  /** Keep only these severities (default: all). */
  readonly severities?: readonly SeverityLevel[];
  readonly ignoreUnfixed?: boolean;
  readonly ignore?: IgnoreFile;
  readonly vex?: readonly VexStatement[];
  readonly now?: Date;
}

export interface GateResult {
  /** Findings kept, suppressed ones included (with `suppressed` set). */
  readonly findings: readonly Finding[];
  /** Kept and not suppressed: what fails the gate. */
  readonly active: readonly Finding[];
  readonly dropped: { readonly severity: number; readonly unfixed: number };
  readonly suppressed: { readonly ignorefile: number; readonly vex: number };
  readonly warnings: readonly string[];
}

export function applyGate(findings: readonly Finding[], options: GateOptions = {}): GateResult {
  const now = (options.now ?? new Date()).getTime();
  const warnings: string[] = [];
  const live = (options.ignore?.entries ?? []).filter((e) => {
    if (e.expires && expiryTime(e.expires) < now) {
      warnings.push(`${options.ignore!.path}: the entry for ${e.id}${e.package ? ` (${e.package})` : ''} expired on ${e.expires}; it no longer ignores anything`);
      return false;
    }
    return true;
  });
  const severities = options.severities && options.severities.length > 0 ? new Set(options.severities) : undefined;
  const dropped = { severity: 0, unfixed: 0 };
  const counts = { ignorefile: 0, vex: 0 };
  const kept: Finding[] = [];
  for (const f of findings) {
    if (severities && !severities.has(f.severity)) {
      dropped.severity++;
      continue;
    }
    if (options.ignoreUnfixed && f.fixedVersion === undefined) {
      dropped.unfixed++;
      continue;
    }
    const entry = live.find((e) => entryMatches(e, f));
    if (entry) {
      counts.ignorefile++;
      kept.push({ ...f, suppressed: { by: 'ignorefile', reason: entry.owner ? `${entry.reason} (owner: ${entry.owner})` : entry.reason } });
      continue;
    }
    const st = (options.vex ?? []).find((s) => suppresses(s) && statementCovers(s, f));
    if (st) {
      counts.vex++;
      kept.push({
        ...f,
        suppressed: { by: 'vex', reason: st.detail ?? `${st.status} (${st.source})`, ...(st.justification ? { justification: st.justification } : {}) },
      });
      continue;
    }
    kept.push(f);
  }
  return { findings: kept, active: kept.filter((f) => !f.suppressed), dropped, suppressed: counts, warnings };
}
