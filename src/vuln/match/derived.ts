/**
 * What merging (merge.ts) derives from one advisory, worked out once per
 * advisory object and kept beside it: advisories are read-only, and one is
 * met by every package it matches, so a finding of a single advisory (most
 * of them) is built from shared, ready values instead of new sets and
 * sorted copies per finding.
 */
import type { Severity } from '../../core/index.js';
import { chooseRating, collectRatings, type Rated } from '../severity/precedence.js';
import type { AdvisoryFacts } from '../store/store.js';

/** A CVE id. */
export const CVE = /^CVE-\d{4}-\d+$/;
const VENDOR_CVE = /^(?:[A-Z]+)-(CVE-\d{4}-\d+)$/;

/** The CVE a vendor id stands for (`UBUNTU-CVE-2021-3782` → `CVE-2021-3782`). */
export function vendorCve(id: string): string | undefined {
  return VENDOR_CVE.exec(id)?.[1];
}

/**
 * What merging reads of one advisory, worked out once per advisory object
 * (advisories are read-only, and one is met by every package it matches):
 * its ids, the CVEs and GHSA ids among them, its reference URLs, the sorted
 * aliases for the id its findings are named by, and its ratings with the CVE
 * record last merged beside it. One object per advisory, so a finding of a
 * single advisory (most of them) is built from shared, ready values.
 */
export interface Derived {
  /** The advisory's id, aliases, upstream ids and the CVEs vendor ids stand for. */
  readonly all: readonly string[];
  /** The CVEs among them. */
  readonly cves: readonly string[];
  /** The GHSA ids among them, sorted. */
  readonly ghsa: readonly string[];
  urls?: readonly string[];
  /** `all` without `aliasesFor`, sorted. */
  aliases?: readonly string[];
  aliasesFor?: string;
  /** Ratings of this advisory with the CVE record `ratingsWith` (null: none). */
  ratings?: Severity[];
  ratingsWith?: AdvisoryFacts | null;
  rated?: [language: Rated | undefined, distribution: Rated | undefined];
}

const DERIVED = new WeakMap<AdvisoryFacts, Derived>();

export function derivedOf(a: AdvisoryFacts): Derived {
  let facts = DERIVED.get(a);
  if (!facts) {
    const out = new Set<string>([a.id, ...a.aliases, ...a.upstream]);
    for (const id of [...out]) {
      const cve = vendorCve(id);
      if (cve) out.add(cve);
    }
    const all = [...out];
    facts = { all, cves: all.filter((x) => CVE.test(x)), ghsa: all.filter((x) => x.startsWith('GHSA-')).sort() };
    DERIVED.set(a, facts);
  }
  return facts;
}

export function idsOf(a: AdvisoryFacts): readonly string[] {
  return derivedOf(a).all;
}

/** Reference URLs of an advisory, in order, each once. */
export function urlsOf(a: AdvisoryFacts): readonly string[] {
  const facts = derivedOf(a);
  return (facts.urls ??= [...new Set(a.references.map((r) => r.url))]);
}

/** The advisory's ids without `id`, sorted (kept for the last id asked: a finding of this advisory is named alike for every package). */
export function aliasesWithout(facts: Derived, id: string): readonly string[] {
  if (facts.aliasesFor !== id || !facts.aliases) {
    facts.aliases = facts.all.filter((x) => x !== id).sort();
    facts.aliasesFor = id;
  }
  return facts.aliases;
}

/** Ratings and the chosen one of a single advisory beside the CVE record `nvd`, kept for the last `nvd` asked. */
export function ratedAlone(a: AdvisoryFacts, nvd: AdvisoryFacts | undefined, distribution: boolean): { readonly ratings: Severity[]; readonly rated: Rated } {
  const facts = derivedOf(a);
  const key = nvd ?? null;
  if (!facts.ratings || facts.ratingsWith !== key) {
    facts.ratings = collectRatings(nvd ? [...nvd.severities, ...a.severities] : a.severities);
    facts.ratingsWith = key;
    facts.rated = [undefined, undefined];
  }
  const slot = distribution ? 1 : 0;
  const rated = (facts.rated![slot] ??= chooseRating(facts.ratings, distribution));
  return { ratings: facts.ratings, rated };
}
