/**
 * The CI gate, in one place: which findings a scan reports and whether it
 * fails. Order: `--severity` and `--ignore-unfixed` drop findings; the ignore
 * file and VEX `not_affected` statements *suppress* them (kept, with
 * `suppressed` saying by what and why, so JSON output shows the decision);
 * `--exit-code N` applies when unsuppressed findings remain; `--kev` and
 * `--epss-threshold` narrow those to the exploited ones (`failing`).
 *
 * Ignore entries and VEX statements are indexed by the vulnerability ids they
 * name, and each statement's purls by package, so a 150,000-statement VEX
 * against 200,000 findings costs a map lookup per finding, not their product.
 * The first entry (then statement) in file order that matches wins, as a scan
 * of the list would.
 */
import type { SeverityLevel, Finding } from '../core/index.js';
import { entryMatches, expiryTime, purlParts, type IgnoreEntry, type IgnoreFile } from './ignore.js';
import { suppresses, type VexStatement } from './vex.js';

export interface GateOptions {
  /** Keep only these severities (default: all). */
  readonly severities?: readonly SeverityLevel[];
  readonly ignoreUnfixed?: boolean;
  readonly ignore?: IgnoreFile;
  readonly vex?: readonly VexStatement[];
  /** Only known-exploited findings (CISA KEV) fail the gate. */
  readonly kev?: boolean;
  /** Only findings with an EPSS probability at or above this (0…1) fail the gate. With `kev`: either fails. */
  readonly epssThreshold?: number;
  readonly now?: Date;
}

export interface GateResult {
  /** Findings kept, suppressed ones included (with `suppressed` set). */
  readonly findings: readonly Finding[];
  /** Kept and not suppressed. */
  readonly active: readonly Finding[];
  /** What fails the gate: `active`, narrowed to the exploited ones when `kev` or `epssThreshold` asks. */
  readonly failing: readonly Finding[];
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
  const entries = new IgnoreIndex(live);
  const statements = new VexIndex(options.vex ?? []);
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
    const entry = entries.first(f);
    if (entry) {
      counts.ignorefile++;
      kept.push({ ...f, suppressed: { by: 'ignorefile', reason: entry.owner ? `${entry.reason} (owner: ${entry.owner})` : entry.reason } });
      continue;
    }
    const st = statements.first(f);
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
  const active = kept.filter((f) => !f.suppressed);
  return { findings: kept, active, failing: exploitGate(active, options), dropped, suppressed: counts, warnings };
}

/** The active findings an exploitation gate fails on: in KEV (`kev`), or EPSS at or above the threshold; all of them without such a gate. */
export function exploitGate(active: readonly Finding[], options: Pick<GateOptions, 'kev' | 'epssThreshold'>): readonly Finding[] {
  const threshold = options.epssThreshold;
  if (!options.kev && threshold === undefined) return active;
  return active.filter((f) => (options.kev && f.kev !== undefined) || (threshold !== undefined && f.epss !== undefined && f.epss.probability >= threshold));
}

/** Ignore entries filed under the vulnerability id they name, keeping file order. */
class IgnoreIndex {
  readonly #byId = new Map<string, number[]>();
  constructor(private readonly entries: readonly IgnoreEntry[]) {
    entries.forEach((entry, position) => {
      let list = this.#byId.get(entry.id);
      if (!list) this.#byId.set(entry.id, (list = []));
      list.push(position);
    });
  }

  /** The first entry in file order that matches the finding (by its id or an alias, then package, purl and path). */
  first(finding: Finding): IgnoreEntry | undefined {
    let best: number | undefined;
    for (const id of [finding.id, ...finding.aliases]) {
      for (const position of this.#byId.get(id) ?? []) {
        if (best !== undefined && position >= best) break;
        if (entryMatches(this.entries[position]!, finding)) best = position;
      }
    }
    return best === undefined ? undefined : this.entries[best];
  }
}

/** The package of a statement about every package of the target. */
const ANY: { readonly base: string; readonly version?: string } = { base: '\u0000any' };

/**
 * `not_affected` statements by what they cover, each key naming exactly the
 * findings it suppresses: (id, package, version) for a versioned purl, (id,
 * package, any) for a purl without version, (id, any, any) for a statement
 * about every package. Every statement filed under a finding's keys covers
 * it, so the first in file order is the smallest position among them.
 */
class VexIndex {
  readonly #byKey = new Map<string, number>();
  constructor(private readonly statements: readonly VexStatement[]) {
    statements.forEach((st, position) => {
      if (!suppresses(st)) return;
      const targets = st.purls.length === 0 ? [ANY] : st.purls.map((p) => purlParts(p));
      for (const id of st.ids) {
        for (const t of targets) {
          const key = vexKey(id, t.base, t.version);
          if (!this.#byKey.has(key)) this.#byKey.set(key, position);
        }
      }
    });
  }

  first(finding: Finding): VexStatement | undefined {
    const { base, version } = purlParts(finding.package.purl);
    let best: number | undefined;
    for (const id of [finding.id, ...finding.aliases]) {
      const keys = [vexKey(id, ANY.base, undefined), vexKey(id, base, undefined)];
      if (version !== undefined) keys.push(vexKey(id, base, version));
      for (const key of keys) {
        const position = this.#byKey.get(key);
        if (position !== undefined && (best === undefined || position < best)) best = position;
      }
    }
    return best === undefined ? undefined : this.statements[best];
  }
}

function vexKey(id: string, base: string, version: string | undefined): string {
  return `${id}\u0000${base}\u0000${version === undefined ? '\u0000any' : `=${version}`}`;
}
