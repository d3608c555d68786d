/**
 * Composer (Packagist) versions: Composer normalises a version string with
 * composer/semver's VersionParser::normalize and orders normalised versions
 * with PHP's version_compare (Constraint::versionCompare).
 *
 * Written by hand: no maintained npm library implements Composer's
 * normalisation or PHP's version_compare. Rules from composer/semver
 * src/VersionParser.php (`normalize`, `normalizeBranch`, `expandStability`,
 * the modifier regex) and php-src ext/standard/versioning.c
 * (`php_canonicalize_version`, `php_version_compare`,
 * `compare_special_version_forms`).
 *
 * Normalising: `v1.2` → `1.2.0.0`; stability suffixes expand (`a`→alpha,
 * `b`→beta, `rc`→RC, `p`/`pl`→patch, `stable` dropped) as in
 * `1.0.0.0-beta2`, `-dev` appended for dev versions; date versions keep their
 * numbers; `1.x-dev` → `1.9999999.9999999.9999999-dev`; other branches are
 * `dev-NAME`. Build metadata, `@stability` flags and `as` aliases are dropped.
 *
 * Order (version_compare): parts split at `.`, `-`, `_`, `+` and digit/letter
 * switches; numbers numerically; dev < alpha = a < beta = b < RC = rc <
 * a number < patch = pl = p; unknown words lowest. Dev branches (`dev-…`)
 * have no order: comparing two different ones throws VERSION_INCOMPARABLE.
 */
import { invalid, VersionError } from './errors.js';
import { compareDigits, defineScheme, sign, type Ordering, type ParsedVersion } from './scheme.js';

export interface ComposerVersion extends ParsedVersion {
  readonly scheme: 'composer';
  /** VersionParser::normalize's result. */
  readonly normalized: string;
  /** True for `dev-…` branch names, which have no order. */
  readonly branch: boolean;
}

const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const CLASSICAL_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, 'i');
const BRANCH_RE = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

function expandStability(s: string): string {
  switch (s.toLowerCase()) {
    case 'a':
      return 'alpha';
    case 'b':
      return 'beta';
    case 'p':
    case 'pl':
      return 'patch';
    case 'rc':
      return 'RC';
    default:
      return s.toLowerCase();
  }
}

function normalizeBranch(name: string): string {
  const m = BRANCH_RE.exec(name.trim());
  if (!m) return `dev-${name.trim()}`;
  let v = '';
  for (let i = 1; i < 5; i++) v += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
  return `${v.replaceAll('x', '9999999')}-dev`;
}

/** composer/semver VersionParser::normalize. */
export function normalizeComposer(input: string): string {
  let version = input.trim();
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(version);
  if (alias) version = alias[1]!;
  const flag = /@(?:stable|RC|beta|alpha|dev)$/i.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === 'master' || version === 'trunk' || version === 'default') version = `dev-${version}`;
  if (version.toLowerCase().startsWith('dev-')) return `dev-${version.slice(4)}`;
  const build = /^([^,\s+]+)\+[^\s]+$/.exec(version);
  if (build) version = build[1]!;

  let m = CLASSICAL_RE.exec(version);
  let index = 5;
  let out = '';
  if (m) {
    out = m[1]! + (m[2] || '.0') + (m[3] || '.0') + (m[4] || '.0');
  } else {
    m = DATE_RE.exec(version);
    index = 2;
    if (m) out = m[1]!.replace(/\D/g, '.');
  }
  if (m) {
    const stability = m[index];
    if (stability) {
      if (stability === 'stable') return out;
      out += `-${expandStability(stability)}${m[index + 1] ? m[index + 1]!.replace(/^[.-]+/, '') : ''}`;
    }
    if (m[index + 2]) out += '-dev';
    return out;
  }
  const dev = /^(.*?)[.-]?dev$/i.exec(version);
  if (dev) {
    const normalized = normalizeBranch(dev[1]!);
    if (!normalized.includes('dev-')) return normalized;
  }
  throw invalid('composer', input, 'not a version Composer can normalise');
}

const SPECIAL_FORMS: readonly [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** php_canonicalize_version: separators to `.`, a `.` at digit/non-digit switches. */
function canonicalize(v: string): string {
  let out = v[0] ?? '';
  let lp = v[0] ?? '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    const last = out[out.length - 1];
    const isdig = (x: string): boolean => isDigit(x);
    const isndig = (x: string): boolean => !isDigit(x) && x !== '.';
    if (c === '-' || c === '_' || c === '+') {
      if (last !== '.') out += '.';
    } else if ((isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c))) {
      if (last !== '.') out += '.';
      out += c;
    } else if (!isAlnum(c)) {
      if (last !== '.') out += '.';
    } else {
      out += c;
    }
    lp = c;
  }
  return out;
}

/** PHP's version_compare($a, $b) as a sign. */
export function phpVersionCompare(a: string, b: string): Ordering {
  if (a === '' || b === '') return a === b ? 0 : a !== '' ? 1 : -1;
  const v1 = a.startsWith('#') ? a : canonicalize(a);
  const v2 = b.startsWith('#') ? b : canonicalize(b);
  const p1 = v1.split('.');
  const p2 = v2.split('.');
  let i = 0;
  let compare: Ordering = 0;
  while (i < p1.length && i < p2.length) {
    const x = p1[i]!;
    const y = p2[i]!;
    if (x === '' || y === '') break;
    if (isDigit(x[0]) && isDigit(y[0])) compare = compareDigits(x.match(/^[0-9]+/)![0], y.match(/^[0-9]+/)![0]);
    else if (!isDigit(x[0]) && !isDigit(y[0])) compare = sign(specialForm(x) - specialForm(y));
    else compare = isDigit(x[0]) ? sign(specialForm('#N#') - specialForm(y)) : sign(specialForm(x) - specialForm('#N#'));
    if (compare !== 0) return compare;
    i++;
  }
  if (i < p1.length && i >= p2.length) {
    const rest = p1.slice(i).join('.');
    return isDigit(rest[0]) ? 1 : phpVersionCompare(rest, '#N#');
  }
  if (i < p2.length && i >= p1.length) {
    const rest = p2.slice(i).join('.');
    return isDigit(rest[0]) ? -1 : phpVersionCompare('#N#', rest);
  }
  return 0;
}

export function parseComposer(version: string): ComposerVersion {
  const normalized = normalizeComposer(version);
  return { scheme: 'composer', raw: version, normalized, branch: normalized.startsWith('dev-') };
}

export function compareComposerParsed(a: ComposerVersion, b: ComposerVersion): Ordering {
  if (a.branch || b.branch) {
    if (a.normalized === b.normalized) return 0;
    throw new VersionError('VERSION_INCOMPARABLE', `composer: dev branches have no order (${a.normalized}, ${b.normalized})`);
  }
  return phpVersionCompare(a.normalized, b.normalized);
}

export const composer = defineScheme<ComposerVersion>({ name: 'composer', parse: parseComposer, compareParsed: compareComposerParsed });
