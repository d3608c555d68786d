/**
 * CVSS base scores from vectors. v2.0, v3.0 and v3.1 are a few formulas,
 * written here from the FIRST specifications
 * (https://www.first.org/cvss/v3.1/specification-document §7.1 and Appendix
 * A "Roundup"; v3.0 §8.1; v2 guide §3.2.1). Temporal and environmental
 * metrics are accepted in a vector and ignored: only the base score is
 * computed.
 *
 * CVSS v4.0 is not a formula but FIRST's MacroVector lookup table with
 * interpolation, so it comes from a maintained library, `ae-cvss-calculator`
 * (Apache-2.0, no dependencies, every CVSS version; checked in
 * test/vuln/cvss4.test.ts against FIRST's published examples and NVD's
 * published v4 scores). It is loaded on the first v4 vector only (about
 * 190 KB). The score is CVSS-B (base metrics only), as for the other
 * versions; the vector's base metrics are checked here first (each of the
 * eleven exactly once), since the library lets a repeated metric override.
 */
import { createRequire } from 'node:module';
import type { Cvss, CvssVersion } from '../core/index.js';

const V3_BASE: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 1 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};
const V3_OTHER = new Set(['E', 'RL', 'RC', 'CR', 'IR', 'AR', 'MAV', 'MAC', 'MPR', 'MUI', 'MS', 'MC', 'MI', 'MA']);

const V2_BASE: Record<string, Record<string, number>> = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  C: { N: 0, P: 0.275, C: 0.66 },
  I: { N: 0, P: 0.275, C: 0.66 },
  A: { N: 0, P: 0.275, C: 0.66 },
};
const V2_OTHER = new Set(['E', 'RL', 'RC', 'CDP', 'TD', 'CR', 'IR', 'AR']);

/** CVSS v3.1 Appendix A: the smallest number with one decimal ≥ x, robust to floating-point error. */
export function roundUp31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** CVSS v3.0's roundup: ceil to one decimal. */
function roundUp30(x: number): number {
  return Math.ceil(x * 10 - 1e-9) / 10;
}

function splitMetrics(parts: readonly string[], base: Record<string, Record<string, number>>, other: ReadonlySet<string>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon <= 0) return undefined;
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    if (out.has(key)) return undefined;
    if (base[key]) {
      if (base[key][value] === undefined) return undefined;
    } else if (!other.has(key)) return undefined;
    out.set(key, value);
  }
  for (const key of Object.keys(base)) if (!out.has(key)) return undefined;
  return out;
}

/** The v3.x base score of a `CVSS:3.x/…` vector, or undefined when the vector is not valid. */
export function cvss3BaseScore(vector: string): number | undefined {
  const m = /^CVSS:3\.([01])\/(.*?)\/?$/.exec(vector.trim());
  if (!m) return undefined;
  const metrics = splitMetrics(m[2]!.split('/'), V3_BASE, V3_OTHER);
  if (!metrics) return undefined;
  const v = (k: string): number => V3_BASE[k]![metrics.get(k)!]!;
  const changed = metrics.get('S') === 'C';
  let pr = v('PR');
  if (changed && metrics.get('PR') === 'L') pr = 0.68;
  if (changed && metrics.get('PR') === 'H') pr = 0.5;
  const iss = 1 - (1 - v('C')) * (1 - v('I')) * (1 - v('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * v('AV') * v('AC') * pr * v('UI');
  if (impact <= 0) return 0;
  const roundUp = m[1] === '1' ? roundUp31 : roundUp30;
  return changed ? roundUp(Math.min(1.08 * (impact + exploitability), 10)) : roundUp(Math.min(impact + exploitability, 10));
}

/** The v2 base score of `AV:N/AC:L/Au:N/C:P/I:P/A:P` (optionally in parentheses or after `CVSS:2.0/`). */
export function cvss2BaseScore(vector: string): number | undefined {
  const text = vector.trim().replace(/^\((.*)\)$/, '$1').replace(/^CVSS:2\.0\//, '').replace(/\/$/, '');
  const metrics = splitMetrics(text.split('/'), V2_BASE, V2_OTHER);
  if (!metrics) return undefined;
  const v = (k: string): number => V2_BASE[k]![metrics.get(k)!]!;
  const impact = 10.41 * (1 - (1 - v('C')) * (1 - v('I')) * (1 - v('A')));
  const exploitability = 20 * v('AV') * v('AC') * v('Au');
  const f = impact === 0 ? 0 : 1.176;
  const raw = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
  return Math.round(raw * 10 + 1e-9) / 10;
}

const V4_BASE = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

/** True for a syntactically valid `CVSS:4.0/…` vector with the eleven base metrics, none repeated. */
export function isCvss4Vector(vector: string): boolean {
  const m = /^CVSS:4\.0\/(.*?)\/?$/.exec(vector.trim());
  if (!m) return false;
  const keys = m[1]!.split('/').map((p) => p.split(':')[0]);
  if (new Set(keys).size !== keys.length) return false;
  return V4_BASE.every((k) => keys.includes(k));
}

type Cvss4Module = typeof import('ae-cvss-calculator');
let cvss4Module: Cvss4Module | undefined;

/** The CVSS-B score (base metrics only) of a `CVSS:4.0/…` vector, or undefined when it is not valid. */
export function cvss4BaseScore(vector: string): number | undefined {
  const text = vector.trim().replace(/\/$/, '');
  if (!isCvss4Vector(text)) return undefined;
  cvss4Module ??= createRequire(import.meta.url)('ae-cvss-calculator') as Cvss4Module;
  try {
    const score = new cvss4Module.Cvss4P0(text).calculateScores().baseMetricsOnly;
    return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 10 ? score : undefined;
  } catch {
    return undefined; // a metric value the specification does not define (AV:Q)
  }
}

/**
 * Parses a vector of any supported version; the version comes from the
 * prefix (`CVSS:3.1/`, `CVSS:4.0/`), a bare `AV:…/Au:…` vector is v2.
 * Returns undefined for vectors that are not CVSS at all or miss base metrics.
 */
export function parseCvss(vector: string): Cvss | undefined {
  const text = vector.trim();
  const prefix = /^CVSS:(\d\.\d)\//.exec(text);
  const version = (prefix ? prefix[1] : text.includes('Au:') ? '2.0' : undefined) as CvssVersion | undefined;
  switch (version) {
    case '3.0':
    case '3.1': {
      const score = cvss3BaseScore(text);
      return score === undefined ? undefined : { version, vector: text, score };
    }
    case '2.0': {
      const score = cvss2BaseScore(text);
      return score === undefined ? undefined : { version, vector: text, score };
    }
    case '4.0': {
      if (!isCvss4Vector(text)) return undefined;
      const score = cvss4BaseScore(text);
      return score === undefined ? undefined : { version, vector: text, score };
    }
    default:
      return undefined;
  }
}
