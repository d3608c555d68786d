/**
 * Go module versions: semantic versions with a required leading `v`, as
 * golang.org/x/mod/semver reads them (the rules the go command uses).
 *
 * Written by hand from the x/mod/semver package documentation and the Go
 * modules reference (https://go.dev/ref/mod#versions): `vMAJOR[.MINOR[.PATCH]]`
 * with `v1` and `v1.2` as shorthands for `v1.0.0` and `v1.2.0` (shorthands
 * take no pre-release or build), no leading zeros, SemVer 2.0.0 pre-release
 * order, build metadata (including `+incompatible`) ignored. Pseudo-versions
 * (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109…`) are ordinary
 * pre-releases and sort by those rules, which is what their format is built
 * for. Vectors: x/mod semver/semver_test.go.
 *
 * `compare` follows semver.Compare: an invalid version is equal to every
 * other invalid one and below every valid one.
 */
import { invalid } from './errors.js';
import { compareDigits, compareStrings, defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

export interface GoVersion extends ParsedVersion {
  readonly scheme: 'go';
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Without the leading `-`; '' when absent. */
  readonly prerelease: string;
  /** Without the leading `+`; '' when absent. */
  readonly build: string;
  /** x/mod's Canonical(): `vMAJOR.MINOR.PATCH[-pre]`, build dropped. */
  readonly canonical: string;
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const GO_RE = new RegExp(
  `^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?)?)?$`,
);

export function parseGo(version: string): GoVersion {
  const m = GO_RE.exec(version);
  if (!m) throw invalid('go', version, 'not vMAJOR[.MINOR[.PATCH[-pre][+build]]]');
  const pre = m[4] ?? '';
  // Numeric pre-release identifiers may not have leading zeros.
  if (pre !== '' && pre.split('.').some((id) => /^0[0-9]+$/.test(id))) {
    throw invalid('go', version, 'numeric pre-release identifier with a leading zero');
  }
  const major = m[1]!;
  const minor = m[2] ?? '0';
  const patch = m[3] ?? '0';
  return {
    scheme: 'go',
    raw: version,
    major,
    minor,
    patch,
    prerelease: pre,
    build: m[5] ?? '',
    canonical: `v${major}.${minor}.${patch}${pre ? `-${pre}` : ''}`,
  };
}

/** SemVer 2.0.0 §11 pre-release precedence; '' (a release) is highest. */
export function comparePrerelease(a: string, b: string): Ordering {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const xs = a.split('.');
  const ys = b.split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x === y) continue;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) return compareDigits(x, y);
    if (xn) return -1;
    if (yn) return 1;
    return compareStrings(x, y);
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
}

export function compareGoParsed(a: GoVersion, b: GoVersion): Ordering {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function tryParse(v: string): GoVersion | undefined {
  try {
    return parseGo(v);
  } catch {
    return undefined;
  }
}

export const go = defineScheme<GoVersion>({
  name: 'go',
  parse: parseGo,
  compareParsed: compareGoParsed,
  compare(a, b) {
    const x = tryParse(a);
    const y = tryParse(b);
    if (!x || !y) return x ? 1 : y ? -1 : 0;
    return compareGoParsed(x, y);
  },
});

const PSEUDO_RE =
  /^v[0-9]+\.(?:0\.0-|[0-9]+\.[0-9]+-(?:[^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** `v0.0.0-20191109021931-daa7c04131f5` and the two other pseudo-version forms (go.dev/ref/mod#pseudo-versions). */
export function isPseudoVersion(version: string): boolean {
  return tryParse(version) !== undefined && PSEUDO_RE.test(version);
}

/**
 * OSV's `Go` ecosystem writes versions without the `v`
 * (https://go.dev/security/vuln/database#schema): this variant adds it
 * before delegating, so module versions from binaries (`v1.2.3`) and OSV
 * events (`1.2.3`) compare. Used by all.ts for the ecosystem only.
 */
export const goOsv = defineScheme<GoVersion>({
  name: 'go',
  parse: (v) => parseGo(withV(v)),
  compareParsed: compareGoParsed,
  compare: (a, b) => go.compare(withV(a), withV(b)),
});

function withV(v: string): string {
  return /^[0-9]/.test(v) ? `v${v}` : v;
}
