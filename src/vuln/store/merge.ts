/**
 * Reading merges every record that shares an id (an OSV `CVE-…` record and
 * NVD's enrichment of the same CVE, an Alpine advisory per branch) into one
 * advisory: OSV first, NVD last; lists are unions, `modified` the newest.
 */
import type { Advisory, Severity } from '../../core/index.js';
import type { AdvisoryFacts } from './store.js';

/** Milliseconds for comparing `modified` dates written with different precision; undefined when absent or unparsable. */
export function timeOf(date: string | null | undefined): number | undefined {
  if (!date) return undefined;
  const t = Date.parse(date);
  return Number.isNaN(t) ? undefined : t;
}

const FEED_ORDER = ['osv', 'alpine-secdb', 'debian-tracker', 'nvd'];
export function feedRank(feed: string): number {
  const i = FEED_ORDER.indexOf(feed);
  return i < 0 ? FEED_ORDER.length : i;
}

export function uniq(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Records in merge order: OSV first, NVD last, then by scope. */
function mergeOrder<T extends AdvisoryFacts>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => feedRank(a.feed) - feedRank(b.feed) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
}

/**
 * `mergeRecords` without the affected entries (and so without `withdrawn`,
 * which they decide): every other field exactly as `mergeRecords` gives it.
 */
export function mergeFacts(records: readonly AdvisoryFacts[]): AdvisoryFacts | undefined {
  if (records.length === 0) return undefined;
  if (records.length === 1) {
    const { withdrawn: _withdrawn, ...facts } = records[0]!;
    return facts;
  }
  return mergedFacts(mergeOrder(records));
}

/** The fields every merge shares, of records already in merge order. */
function mergedFacts(sorted: readonly AdvisoryFacts[]): AdvisoryFacts {
  const first = sorted[0]!;
  const id = first.id;
  const seenSev = new Set<string>();
  const severities: Severity[] = [];
  for (const s of sorted.flatMap((r) => r.severities)) {
    const key = `${s.source}|${s.severity}|${s.cvss?.vector ?? ''}`;
    if (!seenSev.has(key)) {
      seenSev.add(key);
      severities.push(s);
    }
  }
  const seenRef = new Set<string>();
  const references = sorted.flatMap((r) => r.references).filter((r) => (seenRef.has(r.url) ? false : (seenRef.add(r.url), true)));
  // The newest `modified` (the first of equal ones; an unparsable date counts as the epoch).
  let modified: string | undefined;
  let newest = 0;
  for (const r of sorted) {
    if (!r.modified) continue;
    const t = timeOf(r.modified) ?? 0;
    if (modified === undefined || t > newest) {
      modified = r.modified;
      newest = t;
    }
  }
  const summary = sorted.find((r) => r.summary)?.summary;
  const details = sorted.find((r) => r.details)?.details;
  const published = sorted.find((r) => r.published)?.published;
  return {
    id,
    feed: first.feed,
    scope: first.scope,
    aliases: uniq(sorted.flatMap((r) => r.aliases)).filter((a) => a !== id),
    upstream: uniq(sorted.flatMap((r) => r.upstream)).filter((a) => a !== id),
    ...(summary ? { summary } : {}),
    ...(details ? { details } : {}),
    severities,
    references,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
  };
}

/** One advisory from all records sharing an id: OSV first, NVD last; lists are unions, `modified` the newest. */
export function mergeRecords(records: readonly Advisory[]): Advisory | undefined {
  if (records.length === 0) return undefined;
  if (records.length === 1) return records[0];
  const sorted = mergeOrder(records);
  const withAffected = sorted.filter((r) => r.affected.length > 0);
  const deciders = withAffected.length > 0 ? withAffected : sorted;
  const withdrawn = deciders.every((r) => r.withdrawn) ? deciders[0]!.withdrawn : undefined;
  return { ...mergedFacts(sorted), ...(withdrawn ? { withdrawn } : {}), affected: sorted.flatMap((r) => r.affected) };
}

