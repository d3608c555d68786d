/**
 * One finding per package and vulnerability. The affected entries judged for
 * one package are grouped by vulnerability (ids joined through `aliases` and
 * `upstream`; a vendor's `DEBIAN-CVE-…`/`UBUNTU-CVE-…`/`ALPINE-CVE-…` joins
 * its CVE), then each group is decided:
 *
 * - for distribution packages, vendor data outranks upstream ranges: the
 *   vendor's own feed (Debian tracker, Alpine secdb) first, then OSV records
 *   the distribution published (DSA, USN, UBUNTU-CVE, ALPINE-CVE, RLSA, …),
 *   then anything else; only the best-ranked evidence present decides, so a
 *   backported fix (a tracker `fixed_version` below the upstream fix) wins;
 * - for language packages any affected entry reports.
 *
 * The finding is named by the CVE when the group has exactly one, else by a
 * GHSA id, else by the deciding advisory's id; every other id is an alias.
 * Severity: every rating of the group's advisories and of the CVE's own NVD
 * record (looked up by id) is kept in `ratings`, and the one reported is
 * chosen by `severity/precedence.ts` (the distributor first for distribution
 * packages, GHSA first for language packages); `severitySource` says which.
 *
 * Merging reads of an advisory only what `AdvisoryFacts` holds (no affected
 * list): the matcher loads no more for the advisories that produced a
 * finding. What it derives from each advisory (ids, URLs, sorted aliases,
 * ratings) is kept per advisory object (derived.ts), and `mergeLoaded` runs
 * without awaiting once the CVE records it may look up are loaded.
 */
import {
  type AffectedPackage,
  type Finding,
  type FindingStatus,
  type LayerOrigin,
  type Package,
  type Severity,
  minOf,
} from '../../core/index.js';
import { chooseRating, collectRatings, type Rated } from '../severity/precedence.js';
import { schemeByName } from '../versions/all.js';
import { entryFeed, evidenceOf } from './evidence.js';
import type { MatchQuery, Verdict } from './matcher.js';
import type { AdvisoryFacts } from '../store/store.js';
import { aliasesWithout, CVE, derivedOf, idsOf, ratedAlone, urlsOf } from './derived.js';

export { vendorCve } from './derived.js';

/** One affected entry judged against one query of one package. */
export interface Evaluation {
  /** The entry and its advisory (an AffectedMatch, or the advisory's facts alone: all merging reads of it). */
  readonly match: { readonly advisory: AdvisoryFacts; readonly affected: AffectedPackage };
  readonly query: MatchQuery;
  readonly verdict: Verdict;
  /** From a distribution matcher (vendor data outranks upstream ranges). */
  readonly distribution: boolean;
}

export interface MergeContext {
  /** An advisory by exact id (the CVE's NVD record), cached by the caller. */
  readonly getById: (id: string) => Promise<AdvisoryFacts | undefined>;
  readonly layer?: LayerOrigin;
  readonly layerCreatedBy?: string;
}

/** Ids that a distribution publishes itself (OSV records of the vendor's own advisories). */
const VENDOR_ID = /^(DEBIAN|DSA|DLA|DTSA|UBUNTU|USN|LSN|ALPINE|RLSA|RXSA|ALSA|ALBA|ALEA|RHSA|RHBA|RHEA|CGA|SUSE|openSUSE|MAL-NEVER|MINI|BIT|PHSA|AZL|ELSA|ECHO|V8)-/;

/**
 * The ids merging may look up with `getById` for one package's evaluations (a
 * superset): a finding named by a CVE looks up that CVE's own record, and the
 * name is one of the CVEs among the judged advisories' ids. None when nothing
 * was found vulnerable (then nothing is decided).
 */
export function lookupCandidates(evaluations: readonly Evaluation[]): string[] {
  if (!evaluations.some((e) => e.verdict.vulnerable)) return [];
  const out = new Set<string>();
  addLookupCandidates(evaluations, out);
  return [...out];
}

/** `lookupCandidates` added to `out` (for a caller gathering those of many packages); assumes something was found vulnerable. */
export function addLookupCandidates(evaluations: readonly Evaluation[], out: Set<string>): void {
  for (const e of evaluations) for (const id of derivedOf(e.match.advisory).cves) out.add(id);
}

/** 0: the vendor's own feed; 1: an OSV record the vendor published; 2: anything else. */
function vendorRank(e: Evaluation): number {
  const feed = entryFeed(e.match.affected);
  if (feed !== 'osv') return 0; // entryFeed names only the vendors' own feeds (Debian, Alpine, Photon, Amazon) besides OSV
  if (VENDOR_ID.test(e.match.affected.sourceRecord) || VENDOR_ID.test(e.match.advisory.id)) return 1;
  return 2;
}

/**
 * Ids joined into vulnerabilities: each id a node (a number, by a Map from the id), a forest
 * of parents in an array. One Map lookup per id met instead of several per union (the ids'
 * own Map of parents); which node is a root does not matter, only which ids share one.
 */
class IdGroups {
  readonly #node = new Map<string, number>();
  readonly #parent: number[] = [];
  node(id: string): number {
    let n = this.#node.get(id);
    if (n === undefined) {
      n = this.#parent.length;
      this.#node.set(id, n);
      this.#parent.push(n);
    }
    return n;
  }
  root(n: number): number {
    const parent = this.#parent;
    while (parent[n] !== n) {
      const up = parent[parent[n]!]!;
      parent[n] = up; // path halving
      n = up;
    }
    return n;
  }
  union(a: number, b: number): void {
    const ra = this.root(a);
    const rb = this.root(b);
    if (ra !== rb) this.#parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** The vendor's page for the id, else NVD's, else the advisory's first ADVISORY reference. */
export function primaryUrlFor(id: string, ecosystem: string, advisory: AdvisoryFacts | undefined): string | undefined {
  if (CVE.test(id)) {
    const colon = ecosystem.indexOf(':');
    const distro = colon < 0 ? ecosystem : ecosystem.slice(0, colon);
    if (distro === 'Debian') return `https://security-tracker.debian.org/tracker/${id}`;
    if (distro === 'Ubuntu') return `https://ubuntu.com/security/${id}`;
    if (distro === 'Alpine') return `https://security.alpinelinux.org/vuln/${id}`;
    return `https://nvd.nist.gov/vuln/detail/${id}`;
  }
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  if (id.startsWith('GO-')) return `https://pkg.go.dev/vuln/${id}`;
  if (id.startsWith('RUSTSEC-')) return `https://rustsec.org/advisories/${id}.html`;
  const ref = advisory?.references.find((r) => r.type === 'ADVISORY')?.url ?? advisory?.references[0]?.url;
  return ref ?? `https://osv.dev/vulnerability/${id}`;
}

function realDate(d: string | undefined): string | undefined {
  return d && !d.startsWith('0001-') ? d : undefined;
}

function pickFix(chosen: readonly Evaluation[]): Evaluation {
  let best: Evaluation | undefined;
  for (const e of chosen) {
    if (e.verdict.fixedVersion === undefined) continue;
    if (!best) {
      best = e;
      continue;
    }
    try {
      if (schemeByName(e.verdict.scheme).compare(e.verdict.fixedVersion, best.verdict.fixedVersion!) > 0) best = e;
    } catch {
      // incomparable fixes: keep the first
    }
  }
  return best ?? chosen[0]!;
}

interface Group {
  readonly evaluations: readonly Evaluation[];
  /** CVEs of an advisory that covers several vulnerabilities at once (a DSA listing three CVEs). */
  readonly umbrellaCves?: readonly string[];
}

/** Merging with every advisory it may look up already at hand (`lookupCandidates`, loaded by the caller). */
export interface LoadedMergeContext {
  /** An advisory by exact id (the CVE's own record), among those loaded for `lookupCandidates`. */
  readonly lookup: (id: string) => AdvisoryFacts | undefined;
  readonly layer?: LayerOrigin;
  readonly layerCreatedBy?: string;
}

/** The findings for one package from every affected entry judged for it. */
export async function mergeEvaluations(pkg: Package, evaluations: readonly Evaluation[], context: MergeContext): Promise<Finding[]> {
  const known = new Map<string, AdvisoryFacts | undefined>();
  for (const id of lookupCandidates(evaluations)) known.set(id, await context.getById(id));
  return mergeLoaded(pkg, evaluations, {
    lookup: (id) => known.get(id),
    ...(context.layer ? { layer: context.layer } : {}),
    ...(context.layerCreatedBy ? { layerCreatedBy: context.layerCreatedBy } : {}),
  });
}

/** `mergeEvaluations` once the advisories of `lookupCandidates(evaluations)` are loaded: no awaiting per package. */
export function mergeLoaded(pkg: Package, evaluations: readonly Evaluation[], context: LoadedMergeContext): Finding[] {
  if (evaluations.length === 0) return [];
  // Most packages meet one advisory (all of its evaluations share its id): one group, decided alone.
  const first = evaluations[0]!.match.advisory;
  let single = true;
  for (const e of evaluations) {
    if (e.match.advisory.id !== first.id) {
      single = false;
      break;
    }
  }
  if (single) {
    const cves = derivedOf(first).cves;
    const f = decide(pkg, cves.length > 1 ? { evaluations, umbrellaCves: cves } : { evaluations }, context);
    return f ? [f] : [];
  }
  return mergeGroups(pkg, evaluations, context);
}

function mergeGroups(pkg: Package, evaluations: readonly Evaluation[], context: LoadedMergeContext): Finding[] {
  // An advisory's evaluations are usually next to each other (its entries for the package): the
  // same advisory again joins nothing new (an id is left out only if an umbrella advisory met
  // before has it, and none was met in between), so it is skipped.
  const ids = new IdGroups();
  const umbrella = new Map<string, readonly string[]>();
  let previous: AdvisoryFacts | undefined;
  for (const e of evaluations) {
    const a = e.match.advisory;
    if (a === previous) continue;
    previous = a;
    const { all, cves } = derivedOf(a);
    const own = ids.node(a.id);
    if (cves.length > 1) {
      umbrella.set(a.id, cves);
      continue;
    }
    for (const id of all) if (!umbrella.has(id)) ids.union(own, ids.node(id));
  }
  const groups = new Map<number, { evaluations: Evaluation[]; umbrellaCves?: readonly string[] }>();
  let g: { evaluations: Evaluation[]; umbrellaCves?: readonly string[] } | undefined;
  previous = undefined;
  for (const e of evaluations) {
    const a = e.match.advisory;
    if (a !== previous) {
      previous = a;
      const root = ids.root(ids.node(a.id));
      g = groups.get(root);
      if (!g) {
        const cves = umbrella.get(a.id);
        g = cves ? { evaluations: [], umbrellaCves: cves } : { evaluations: [] };
        groups.set(root, g);
      }
    }
    g!.evaluations.push(e);
  }

  const findings: Finding[] = [];
  const byCve = new Map<string, Finding[]>();
  const umbrellas: Group[] = [];
  const seenCves = new Set<string>();
  for (const g of groups.values()) {
    if (g.umbrellaCves) {
      umbrellas.push(g);
      continue;
    }
    for (const e of g.evaluations) for (const id of derivedOf(e.match.advisory).cves) seenCves.add(id);
    const f = decide(pkg, g, context);
    if (!f) continue;
    findings.push(f);
    if (CVE.test(f.id)) {
      const same = byCve.get(f.id);
      if (same) same.push(f);
      else byCve.set(f.id, [f]);
    }
  }
  for (const g of umbrellas) {
    const covered = g.umbrellaCves!.every((c) => seenCves.has(c));
    if (covered) {
      // Its vulnerabilities are already decided one by one: keep its id beside theirs.
      const own = g.evaluations[0]!.match.advisory.id;
      for (const c of g.umbrellaCves!) {
        for (const f of byCve.get(c) ?? []) {
          const i = findings.indexOf(f);
          if (i >= 0 && !f.aliases.includes(own)) findings[i] = { ...f, aliases: [...f.aliases, own].sort() };
        }
      }
      continue;
    }
    const f = decide(pkg, g, context);
    if (f) findings.push(f);
  }
  return findings;
}

/** The evaluations that decide a group: the vulnerable ones among the best-ranked vendor evidence (distribution packages) or all. */
function vulnerableDeciders(evaluations: readonly Evaluation[], distribution: boolean): Evaluation[] {
  const chosen: Evaluation[] = [];
  if (!distribution) {
    for (const e of evaluations) if (e.verdict.vulnerable) chosen.push(e);
    return chosen;
  }
  const ranks = evaluations.map(vendorRank);
  const best = minOf(ranks, Infinity);
  evaluations.forEach((e, i) => {
    if (ranks[i] === best && e.verdict.vulnerable) chosen.push(e);
  });
  return chosen;
}

/** The group's distinct advisories by id, in order of first appearance (the last object seen for an id, as a Map keeps it). */
function distinctAdvisories(evaluations: readonly Evaluation[]): AdvisoryFacts[] {
  const first = evaluations[0]!.match.advisory;
  if (evaluations.every((e) => e.match.advisory === first)) return [first];
  return [...new Map(evaluations.map((e) => [e.match.advisory.id, e.match.advisory])).values()];
}

/** One mutable finding, filled in `Finding`'s key order (the order its JSON has always had). */
type Draft = { -readonly [K in keyof Finding]: Finding[K] };

function decide(pkg: Package, g: Group, context: LoadedMergeContext): Finding | undefined {
  const distribution = g.evaluations.some((e) => e.distribution);
  const chosen = vulnerableDeciders(g.evaluations, distribution);
  if (chosen.length === 0) return undefined;

  const advisories = distinctAdvisories(g.evaluations);
  const primaryEval = pickFix(chosen);
  const primary = primaryEval.match.advisory;
  let id: string;
  let aliases: readonly string[];
  if (advisories.length === 1) {
    const facts = derivedOf(advisories[0]!);
    id = g.umbrellaCves ? primary.id : facts.cves.length === 1 ? facts.cves[0]! : facts.ghsa.length === 1 ? facts.ghsa[0]! : primary.id;
    aliases = aliasesWithout(facts, id);
  } else {
    const allIds = new Set<string>();
    for (const a of advisories) for (const x of idsOf(a)) allIds.add(x);
    if (g.umbrellaCves) id = primary.id;
    else {
      const cves = [...allIds].filter((x) => CVE.test(x));
      const ghsa = [...allIds].filter((x) => x.startsWith('GHSA-')).sort();
      id = cves.length === 1 ? cves[0]! : ghsa.length === 1 ? ghsa[0]! : primary.id;
    }
    aliases = [...allIds].filter((x) => x !== id).sort();
  }
  const nvd = CVE.test(id) ? context.lookup(id) : undefined;
  let ratings: readonly Severity[];
  let rated: Rated;
  if (advisories.length === 1) ({ ratings, rated } = ratedAlone(advisories[0]!, nvd, distribution));
  else {
    ratings = collectRatings([...(nvd?.severities ?? []), ...advisories.flatMap((a) => a.severities)]);
    rated = chooseRating(ratings, distribution);
  }

  const fixedVersion = primaryEval.verdict.fixedVersion;
  let status: FindingStatus = 'affected';
  if (fixedVersion !== undefined) status = 'fixed';
  else if (chosen.some((e) => e.match.affected.status === 'will-not-fix')) status = 'will-not-fix';

  // Text, in the order primary, the group's advisories, the CVE's own record: the first that has it.
  const summary = firstText(primary, advisories, nvd, (a) => a.summary);
  const details = firstText(primary, advisories, nvd, (a) => a.details);
  const title = summary ?? (details ? firstSentence(details) : undefined);
  const published = realDate(primary.published) ?? realDate(nvd?.published);
  const modified = realDate(primary.modified) ?? realDate(nvd?.modified);
  const primaryUrl = primaryUrlFor(id, primaryEval.query.ecosystem, primary);
  const f = { id, aliases, package: pkg, installedVersion: pkg.version } as Draft;
  if (fixedVersion !== undefined) f.fixedVersion = fixedVersion;
  f.status = status;
  f.severity = rated.severity;
  f.severitySource = rated.source;
  if (rated.cvss) f.cvss = rated.cvss;
  if (ratings.length > 0) f.ratings = ratings;
  if (title) f.title = title;
  if (details) f.description = details;
  if (primaryUrl) f.primaryUrl = primaryUrl;
  f.references = referencesOf(primary, advisories, nvd);
  if (published) f.published = published;
  if (modified) f.modified = modified;
  if (context.layer) f.layer = context.layer;
  if (context.layerCreatedBy) f.layerCreatedBy = context.layerCreatedBy;
  f.evidence = evidenceOf(primaryEval.match, primaryEval.query, primaryEval.verdict, primaryEval.distribution);
  return f;
}

/** The first non-empty text of primary, then the advisories, then the CVE's record. */
function firstText(primary: AdvisoryFacts, advisories: readonly AdvisoryFacts[], nvd: AdvisoryFacts | undefined, text: (a: AdvisoryFacts) => string | undefined): string | undefined {
  const own = text(primary);
  if (own) return own;
  for (const a of advisories) {
    const t = text(a);
    if (t) return t;
  }
  return nvd ? text(nvd) || undefined : undefined;
}

/** Every reference URL of primary, the advisories and the CVE's record, once each, in that order; one advisory's own list when it is alone. */
function referencesOf(primary: AdvisoryFacts, advisories: readonly AdvisoryFacts[], nvd: AdvisoryFacts | undefined): readonly string[] {
  if (advisories.length === 1 && advisories[0] === primary && (!nvd || nvd === primary)) return urlsOf(primary);
  const urls = new Set<string>(urlsOf(primary));
  for (const a of advisories) for (const url of urlsOf(a)) urls.add(url);
  if (nvd) for (const url of urlsOf(nvd)) urls.add(url);
  return [...urls];
}

function firstSentence(text: string): string {
  const trimmed = text.trim();
  const nl = trimmed.indexOf('\n');
  const line = (nl < 0 ? trimmed : trimmed.slice(0, nl)).trim();
  const dot = line.search(/\.\s/);
  const s = dot > 0 ? line.slice(0, dot + 1) : line;
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
