/**
 * Debian package versions: `[epoch:]upstream_version[-debian_revision]`.
 *
 * Written by hand: no maintained npm library implements dpkg's comparison in
 * TypeScript. Rules from Debian Policy §5.6.12 ("Version") and dpkg's own
 * implementation: `parseversion()` in lib/dpkg/parsehelp.c (what is rejected)
 * and `verrevcmp()` / `dpkg_version_compare()` in lib/dpkg/version.c (the
 * order). Checked against `dpkg --compare-versions` by the property test.
 *
 * Order, per part (upstream, then revision): alternate a run of non-digits,
 * compared character by character with `~` < end of string < letters <
 * everything else (ASCII order within each class), and a run of digits,
 * compared numerically. Epochs compare as integers.
 */
import { invalid } from './errors.js';
import { defineScheme, sign, type Ordering, type ParsedVersion } from './scheme.js';

export interface DpkgVersion extends ParsedVersion {
  readonly scheme: 'dpkg';
  readonly epoch: number;
  readonly upstream: string;
  /** '' when there is no `-revision`, which dpkg orders like "0". */
  readonly revision: string;
}

const INT_MAX = 2147483647;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Parses like dpkg's parseversion(): its hard errors throw; its warnings (a
 * version not starting with a digit, characters outside Policy's set) are
 * accepted, as `dpkg --compare-versions` accepts them.
 */
export function parseDpkg(version: string): DpkgVersion {
  const text = version.trim();
  if (text === '') throw invalid('dpkg', version, 'version string is empty');
  if (/\s/.test(text)) throw invalid('dpkg', version, 'version string has embedded spaces');
  let rest = text;
  let epoch = 0;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (epochText === '') throw invalid('dpkg', version, 'epoch in version is empty');
    if (!/^[0-9]+$/.test(epochText)) throw invalid('dpkg', version, 'epoch in version is not number');
    epoch = Number(epochText);
    if (epoch > INT_MAX) throw invalid('dpkg', version, 'epoch in version is too big');
    rest = text.slice(colon + 1);
    if (rest === '') throw invalid('dpkg', version, 'nothing after colon in version number');
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') throw invalid('dpkg', version, 'revision number is empty');
  }
  if (upstream === '') throw invalid('dpkg', version, 'version number is empty');
  return { scheme: 'dpkg', raw: version, epoch, upstream, revision };
}

/** Policy's strict form (no dpkg warnings): digit first, only `A-Za-z0-9.+~-:` / `A-Za-z0-9.+~`. */
export function isStrictDpkg(version: string): boolean {
  try {
    const v = parseDpkg(version);
    return /^[0-9][A-Za-z0-9.+~:-]*$/.test(v.upstream) && /^[A-Za-z0-9.+~]*$/.test(v.revision);
  } catch {
    return false;
  }
}

// The weight of one character in a non-digit run (dpkg's order()).
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

/** dpkg's verrevcmp over one part (upstream version or revision). */
export function verrevcmp(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit run, character by character.
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    // Digit run, numerically: skip leading zeros, then the longer run wins,
    // else the first differing digit.
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

export function compareDpkgParsed(a: DpkgVersion, b: DpkgVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

export const dpkg = defineScheme<DpkgVersion>({ name: 'dpkg', parse: parseDpkg, compareParsed: compareDpkgParsed });
