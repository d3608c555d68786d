/**
 * OSV affected ranges (https://ossf.github.io/osv-schema/#affectedranges-field)
 * for the `SEMVER` and `ECOSYSTEM` range types, evaluated with one scheme.
 *
 * The spec's algorithm: sort the events by version ("0" first, limit "*"
 * last), walk them in order, and let the version's position decide:
 * `introduced` ≤ v turns affected on, `fixed` ≤ v or `last_affected` < v
 * turns it off. A range with `limit` events covers only versions below some
 * limit. At equal versions `introduced` is applied first, so
 * `{introduced: X, fixed: X}` is empty and `{introduced: X, last_affected: X}`
 * is exactly X. Several introduced/fixed pairs in one range work as the spec
 * intends (`[{introduced:"0"},{fixed:"1.5"},{introduced:"2.0"},{fixed:"2.3"}]`).
 */
import { VersionError } from './errors.js';
import { comparerFor, type Ordering, type VersionScheme } from './scheme.js';

/** One OSV event; OSV's `last_affected` and our `lastAffected` are both accepted. */
export type RangeEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly lastAffected: string }
  | { readonly limit: string };

/** The brief form of a single range: one of each event at most; `introduced` defaults to "0". */
export interface SimpleRange {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly lastAffected?: string;
  readonly limit?: string;
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
interface Event {
  readonly kind: Kind;
  readonly version: string;
}

// Tie-break at equal versions: turn on before turning off.
const KIND_ORDER: Record<Kind, number> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

function toEvents(range: readonly RangeEvent[] | SimpleRange): Event[] {
  if (!Array.isArray(range)) {
    const r = range as SimpleRange;
    const out: Event[] = [{ kind: 'introduced', version: r.introduced ?? '0' }];
    if (r.fixed !== undefined) out.push({ kind: 'fixed', version: r.fixed });
    if (r.lastAffected !== undefined) out.push({ kind: 'last_affected', version: r.lastAffected });
    if (r.limit !== undefined) out.push({ kind: 'limit', version: r.limit });
    return out;
  }
  return (range as readonly RangeEvent[]).map((e): Event => {
    const keys = Object.keys(e);
    if (keys.length !== 1) throw new VersionError('RANGE_INVALID', `an OSV event has exactly one key, got ${JSON.stringify(e)}`);
    const key = keys[0]!;
    const version = (e as Record<string, unknown>)[key];
    if (typeof version !== 'string') throw new VersionError('RANGE_INVALID', `OSV event ${key} is not a string`);
    const kind = key === 'lastAffected' ? 'last_affected' : key;
    if (kind !== 'introduced' && kind !== 'fixed' && kind !== 'last_affected' && kind !== 'limit') {
      throw new VersionError('RANGE_INVALID', `unknown OSV event ${JSON.stringify(key)}`);
    }
    return { kind, version };
  });
}

function isZero(e: Event): boolean {
  return e.kind === 'introduced' && e.version === '0';
}
function isStar(e: Event): boolean {
  return e.kind === 'limit' && e.version === '*';
}

function compareEvents(scheme: VersionScheme, a: Event, b: Event): Ordering {
  let r: Ordering;
  if (isZero(a) || isZero(b)) r = isZero(a) && isZero(b) ? 0 : isZero(a) ? -1 : 1;
  else if (isStar(a) || isStar(b)) r = isStar(a) && isStar(b) ? 0 : isStar(a) ? 1 : -1;
  else r = scheme.compare(a.version, b.version);
  if (r !== 0) return r;
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  return k < 0 ? -1 : k > 0 ? 1 : 0;
}

interface Prepared {
  readonly events: readonly Event[];
  readonly limits: readonly Event[];
  /** The events in OSV order, per scheme name (sorting compares versions, so it depends on the scheme). */
  readonly sorted: Map<string, readonly Event[]>;
}

/**
 * Validated events per range, computed once: matching judges the same few
 * thousand affected entries against many packages, and converting and
 * sorting the events on every call dominated `inRange`. Keyed by the range
 * object itself (ranges are read-only); an invalid range is never cached, so
 * it throws every time.
 */
const PREPARED = new WeakMap<object, Prepared>();

function prepare(range: readonly RangeEvent[] | SimpleRange): Prepared {
  const hit = PREPARED.get(range);
  if (hit) return hit;
  const events = toEvents(range);
  if (!events.some((e) => e.kind === 'introduced')) {
    throw new VersionError('RANGE_INVALID', 'an OSV range needs at least one introduced event');
  }
  const prepared: Prepared = { events, limits: events.filter((e) => e.kind === 'limit'), sorted: new Map() };
  PREPARED.set(range, prepared);
  return prepared;
}

function sortedFor(scheme: VersionScheme, p: Prepared): readonly Event[] {
  let sorted = p.sorted.get(scheme.name);
  if (!sorted) {
    // Events are usually written in order: then they are their own sorted list (no copy, no sort). The
    // check asks the comparator exactly what V8's stable sort (TimSort) asks first, compare(e[i], e[i-1])
    // along the list, and an ascending run the length of the list is what that sort leaves as it is; so
    // the answer, and a throw, are the sort's. A throw leaves nothing cached.
    sorted = ascending(scheme, p.events) ? p.events : [...p.events].sort((a, b) => compareEvents(scheme, a, b));
    p.sorted.set(scheme.name, sorted);
  }
  return sorted;
}

function ascending(scheme: VersionScheme, events: readonly Event[]): boolean {
  for (let i = 1; i < events.length; i++) if (compareEvents(scheme, events[i]!, events[i - 1]!) < 0) return false;
  return true;
}

/**
 * True when `version` is inside the range. Throws VersionError (from the
 * scheme) when a version cannot be compared, and RANGE_INVALID for an event
 * list OSV does not allow (no `introduced`).
 */
export function inRange(scheme: VersionScheme, version: string, range: readonly RangeEvent[] | SimpleRange): boolean {
  const p = prepare(range);
  const compare = comparerFor(scheme, version); // scheme.compare(version, ·), the version parsed once
  const limits = p.limits;
  if (limits.length > 0 && !limits.some((l) => l.version === '*' || compare(l.version) < 0)) return false;

  const sorted = sortedFor(scheme, p);
  let affected = false;
  for (const e of sorted) {
    if (e.kind === 'introduced') {
      if (e.version === '0' || compare(e.version) >= 0) affected = true;
    } else if (e.kind === 'fixed') {
      if (compare(e.version) >= 0) affected = false;
    } else if (e.kind === 'last_affected') {
      if (compare(e.version) > 0) affected = false;
    }
  }
  return affected;
}

/** True when the version is in any of the ranges (an OSV `affected[].ranges` list of one type). */
export function inAnyRange(scheme: VersionScheme, version: string, ranges: readonly (readonly RangeEvent[] | SimpleRange)[]): boolean {
  return ranges.some((r) => inRange(scheme, version, r));
}
