/**
 * RPM versions: `[epoch:]version[-release]` (EVR).
 *
 * Written by hand: no maintained npm library implements rpmvercmp in
 * TypeScript. Rules from rpm's rpmio/rpmvercmp.c (`rpmvercmp`, segment order)
 * and lib/rpmver.c (`parseEVR`, `rpmverCmp`, epoch/release handling), as in
 * rpm 4.18; upstream vectors: tests/rpmvercmp.at. Checked against rpm's own
 * `rpm.vercmp` by the property test.
 *
 * rpmvercmp: separators (anything not ASCII alphanumeric, `~` or `^`) only
 * split segments. `~` sorts before everything, even the end of the string;
 * `^` sorts after the end of the string but before any further segment.
 * Numeric segments compare as integers and beat alphabetic ones; alphabetic
 * segments compare as ASCII strings; running out of segments loses.
 *
 * EVR: the epoch is the leading digits before `:` (missing = 0), the release
 * is everything after the last `-`. Epoch, then version, then release; a
 * release present on only one side makes that side newer (rpm 4.18's
 * rpmverCmp: a missing release is older, not a wildcard).
 */
import { invalid } from './errors.js';
import { defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

export interface RpmVersion extends ParsedVersion {
  readonly scheme: 'rpm';
  /** null when the string has no `epoch:` (compared as "0"). */
  readonly epoch: string | null;
  readonly version: string;
  /** null when there is no `-release`. */
  readonly release: string | null;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

/** rpm's rpmvercmp on one EVR component. */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    // Tilde: before everything, even the end.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // Caret: after the end, before anything else.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(a[i]);
    const test = numeric ? isDigit : isAlpha;
    let ie = i;
    let je = j;
    while (ie < a.length && test(a[ie])) ie++;
    while (je < b.length && test(b[je])) je++;
    // b's segment is of the other kind: numeric beats alphabetic.
    if (je === j) return numeric ? 1 : -1;

    let x = a.slice(i, ie);
    let y = b.slice(j, je);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** parseEVR from lib/rpmver.c. Only the empty string is rejected (rpmverParse returns NULL). */
export function parseRpm(version: string): RpmVersion {
  if (version === '') throw invalid('rpm', version, 'empty EVR');
  let s = 0;
  while (s < version.length && isDigit(version[s])) s++;
  const lastHyphen = version.lastIndexOf('-');
  const hyphen = lastHyphen >= s ? lastHyphen : -1;
  let epoch: string | null = null;
  let start = 0;
  if (version[s] === ':') {
    epoch = s === 0 ? '0' : version.slice(0, s);
    start = s + 1;
  }
  const end = hyphen >= 0 ? hyphen : version.length;
  return {
    scheme: 'rpm',
    raw: version,
    epoch,
    version: version.slice(start, end),
    release: hyphen >= 0 ? version.slice(hyphen + 1) : null,
  };
}

function compareOptional(a: string | null, b: string | null): Ordering {
  if (a === null && b === null) return 0;
  if (b === null) return 1;
  if (a === null) return -1;
  return rpmvercmp(a, b);
}

export function compareRpmParsed(a: RpmVersion, b: RpmVersion): Ordering {
  return (
    rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') ||
    rpmvercmp(a.version, b.version) ||
    compareOptional(a.release, b.release)
  );
}

export const rpm = defineScheme<RpmVersion>({ name: 'rpm', parse: parseRpm, compareParsed: compareRpmParsed });
