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
 */
import {
  type Advisory,
  type AffectedMatch,
  type Finding,
  type FindingStatus,
  type LayerOrigin,
  type Package,
  minOf,
} from '../../core/index.js';
import { chooseRating, collectRatings } from '../severity/precedence.js';
import { schemeByName } from '../versions/all.js';
import { entryFeed, evidenceOf } from './evidence.js';
import type { MatchQuery, Verdict } from './matcher.js';

/** One affected entry judged against one query of one package. */
export interface Evaluation {
  readonly match: AffectedMatch;
  readonly query: MatchQuery;
  readonly verdict: Verdict;
  /** From a distribution matcher (vendor data outranks upstream ranges). */
  readonly distribution: boolean;
}

export interface MergeContext {
  /** An advisory by exact id (the CVE's NVD record), cached by the caller. */
  readonly getById: (id: string) => Promise<Advisory | undefined>;
  readonly layer?: LayerOrigin;
  readonly layerCreatedBy?: string;
}

const CVE = /^CVE-\d{4}-\d+$/;
const VENDOR_CVE = /^(?:[A-Z]+)-(CVE-\d{4}-\d+)$/;
/** Ids that a distribution publishes itself (OSV records of the vendor's own advisories). */
const VENDOR_ID = /^(DEBIAN|DSA|DLA|DTSA|UBUNTU|USN|LSN|ALPINE|RLSA|RXSA|ALSA|ALBA|ALEA|RHSA|RHBA|RHEA|CGA|SUSE|openSUSE|MAL-NEVER|MINI|BIT|PHSA|AZL|ELSA|ECHO|V8)-/;

/** The CVE a vendor id stands for (`UBUNTU-CVE-2021-3782` → `CVE-2021-3782`). */
export function vendorCve(id: string): string | undefined {
  return VENDOR_CVE.exec(id)?.[1];
}

interface Ids {
  /** The advisory's id, aliases, upstream ids and the CVEs vendor ids stand for. */
  readonly all: readonly string[];
  /** The CVEs among them. */
  readonly cves: readonly string[];
}

/** The ids of each advisory object (advisories are read-only and met once per matching package). */
const IDS = new WeakMap<Advisory, Ids>();

function idSets(a: Advisory): Ids {
  let ids = IDS.get(a);
  if (!ids) {
    const out = new Set<string>([a.id, ...a.aliases, ...a.upstream]);
    for (const id of [...out]) {
      const cve = vendorCve(id);
      if (cve) out.add(cve);
    }
    const all = [...out];
    ids = { all, cves: all.filter((x) => CVE.test(x)) };
    IDS.set(a, ids);
  }
  return ids;
}

function idsOf(a: Advisory): readonly string[] {
  return idSets(a).all;
}

/**
 * The ids merging may look up with `getById` for one package's evaluations (a
 * superset): a finding named by a CVE looks up that CVE's own record, and the
 * name is one of the CVEs among the judged advisories' ids. None when nothing
 * was found vulnerable (then nothing is decided).
 */
export function lookupCandidates(evaluations: readonly Evaluation[]): string[] {
  if (!evaluations.some((e) => e.verdict.vulnerable)) return [];
  const out = new Set<string>();
  for (const e of evaluations) for (const id of idSets(e.match.advisory).cves) out.add(id);
  return [...out];
}

/** 0: the vendor's own feed; 1: an OSV record the vendor published; 2: anything else. */
function vendorRank(e: Evaluation): number {
  const feed = entryFeed(e.match.affected);
  if (feed !== 'osv') return 0; // entryFeed names only the vendors' own feeds (Debian, Alpine, Photon, Amazon) besides OSV
  if (VENDOR_ID.test(e.match.affected.sourceRecord) || VENDOR_ID.test(e.match.advisory.id)) return 1;
  return 2;
}

class UnionFind {
  readonly #parent = new Map<string, string>();
  find(x: string): string {
    if (!this.#parent.has(x)) {
      this.#parent.set(x, x);
      return x;
    }
    let root = x;
    while (this.#parent.get(root) !== root) root = this.#parent.get(root)!;
    while (this.#parent.get(x) !== root) {
      const next = this.#parent.get(x)!;
      this.#parent.set(x, root);
      x = next;
    }
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.#parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/** The vendor's page for the id, else NVD's, else the advisory's first ADVISORY reference. */
export function primaryUrlFor(id: string, ecosystem: string, advisory: Advisory | undefined): string | undefined {
  const distro = ecosystem.split(':')[0];
  if (CVE.test(id)) {
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
  readonly evaluations: Evaluation[];
  /** CVEs of an advisory that covers several vulnerabilities at once (a DSA listing three CVEs). */
  readonly umbrellaCves?: readonly string[];
}

/** The findings for one package from every affected entry judged for it. */
export async function mergeEvaluations(pkg: Package, evaluations: readonly Evaluation[], context: MergeContext): Promise<Finding[]> {
  const uf = new UnionFind();
  const umbrella = new Map<string, readonly string[]>();
  for (const e of evaluations) {
    const a = e.match.advisory;
    const { all: ids, cves } = idSets(a);
    uf.find(a.id);
    if (cves.length > 1) {
      umbrella.set(a.id, cves);
      continue;
    }
    for (const id of ids) if (!umbrella.has(id)) uf.union(a.id, id);
  }
  const groups = new Map<string, Group>();
  for (const e of evaluations) {
    const root = uf.find(e.match.advisory.id);
    let g = groups.get(root);
    if (!g) {
      const cves = umbrella.get(e.match.advisory.id);
      g = { evaluations: [], ...(cves ? { umbrellaCves: cves } : {}) };
      groups.set(root, g);
    }
    g.evaluations.push(e);
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
    for (const e of g.evaluations) for (const id of idSets(e.match.advisory).cves) seenCves.add(id);
    const f = await decide(pkg, g, context);
    if (!f) continue;
    findings.push(f);
    if (CVE.test(f.id)) byCve.set(f.id, [...(byCve.get(f.id) ?? []), f]);
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
    const f = await decide(pkg, g, context);
    if (f) findings.push(f);
  }
  return findings;
}

async function decide(pkg: Package, g: Group, context: MergeContext): Promise<Finding | undefined> {
  const distribution = g.evaluations.some((e) => e.distribution);
  let deciders = g.evaluations;
  if (distribution) {
    const best = minOf(g.evaluations.map(vendorRank), Infinity);
    deciders = g.evaluations.filter((e) => vendorRank(e) === best);
  }
  const chosen = deciders.filter((e) => e.verdict.vulnerable);
  if (chosen.length === 0) return undefined;

  const advisories = [...new Map(g.evaluations.map((e) => [e.match.advisory.id, e.match.advisory])).values()];
  const allIds = new Set<string>();
  for (const a of advisories) for (const id of idsOf(a)) allIds.add(id);
  const primaryEval = pickFix(chosen);
  const primary = primaryEval.match.advisory;
  let id: string;
  if (g.umbrellaCves) id = primary.id;
  else {
    const cves = [...allIds].filter((x) => CVE.test(x));
    const ghsa = [...allIds].filter((x) => x.startsWith('GHSA-')).sort();
    id = cves.length === 1 ? cves[0]! : ghsa.length === 1 ? ghsa[0]! : primary.id;
  }
  const aliases = [...allIds].filter((x) => x !== id).sort();
  const nvdId = CVE.test(id) ? id : undefined;
  const nvd = nvdId ? await context.getById(nvdId) : undefined;
  const ratings = collectRatings([...(nvd?.severities ?? []), ...advisories.flatMap((a) => a.severities)]);
  const rated = chooseRating(ratings, distribution);

  const fixedVersion = primaryEval.verdict.fixedVersion;
  let status: FindingStatus = 'affected';
  if (fixedVersion !== undefined) status = 'fixed';
  else if (chosen.some((e) => e.match.affected.status === 'will-not-fix')) status = 'will-not-fix';

  const withText = [primary, ...advisories, ...(nvd ? [nvd] : [])];
  const summary = withText.find((a) => a.summary)?.summary;
  const details = withText.find((a) => a.details)?.details;
  const title = summary ?? (details ? firstSentence(details) : undefined);
  const urls = new Set<string>();
  for (const a of withText) for (const url of urlsOf(a)) urls.add(url);
  const references = [...urls];
  const published = realDate(primary.published) ?? realDate(nvd?.published);
  const modified = realDate(primary.modified) ?? realDate(nvd?.modified);
  const primaryUrl = primaryUrlFor(id, primaryEval.query.ecosystem, primary);
  return {
    id,
    aliases,
    package: pkg,
    installedVersion: pkg.version,
    ...(fixedVersion !== undefined ? { fixedVersion } : {}),
    status,
    severity: rated.severity,
    severitySource: rated.source,
    ...(rated.cvss ? { cvss: rated.cvss } : {}),
    ...(ratings.length > 0 ? { ratings } : {}),
    ...(title ? { title } : {}),
    ...(details ? { description: details } : {}),
    ...(primaryUrl ? { primaryUrl } : {}),
    references,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    ...(context.layer ? { layer: context.layer } : {}),
    ...(context.layerCreatedBy ? { layerCreatedBy: context.layerCreatedBy } : {}),
    evidence: evidenceOf(primaryEval.match, primaryEval.query, primaryEval.verdict, primaryEval.distribution),
  };
}

/** Reference URLs per advisory object. */
const URLS = new WeakMap<Advisory, readonly string[]>();

function urlsOf(a: Advisory): readonly string[] {
  let urls = URLS.get(a);
  if (!urls) URLS.set(a, (urls = a.references.map((r) => r.url)));
  return urls;
}

function firstSentence(text: string): string {
  const trimmed = text.trim();
  const nl = trimmed.indexOf('\n');
  const line = (nl < 0 ? trimmed : trimmed.slice(0, nl)).trim();
  const dot = line.search(/\.\s/);
  const s = dot > 0 ? line.slice(0, dot + 1) : line;
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
