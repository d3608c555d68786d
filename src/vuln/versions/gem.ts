/**
 * RubyGems versions, ordered like Gem::Version (rubygems lib/rubygems/version.rb).
 *
 * Written by hand: no maintained npm library implements Gem::Version in
 * TypeScript. Syntax: `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
 * with surrounding whitespace; the empty string means "0"; `-` reads as
 * `.pre.`. A version containing a letter is a prerelease.
 *
 * Order (Gem::Version#<=>): split into segments, each a run of digits (an
 * integer) or of letters (a string); drop trailing zeros from the numeric
 * head and from the part after the first string segment; compare segment by
 * segment with a missing segment as 0: a string is below any number, strings
 * compare bytewise, numbers numerically. So 1.0.a < 1.0 and 1.0.b1 > 1.0.a2.
 */
import { invalid } from './errors.js';
import { compareDigits, compareStrings, defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

export interface GemVersion extends ParsedVersion {
  readonly scheme: 'gem';
  /** The version after `strip` and `-` → `.pre.` ('0' for the empty string). */
  readonly version: string;
  /** Canonical segments: numbers as digit strings without leading zeros, tagged. */
  readonly segments: readonly GemSegment[];
  readonly prerelease: boolean;
}

export type GemSegment = { readonly num: string } | { readonly str: string };

const GEM_RE = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

function trimZeros(segs: GemSegment[]): GemSegment[] {
  let end = segs.length;
  while (end > 0) {
    const s = segs[end - 1]!;
    if (!('num' in s) || s.num !== '0') break;
    end--;
  }
  return segs.slice(0, end);
}

export function parseGem(version: string): GemVersion {
  const m = GEM_RE.exec(version);
  if (!m) throw invalid('gem', version, 'malformed version number string');
  const v = (m[1] ?? '0').replaceAll('-', '.pre.');
  const raw: GemSegment[] = (v.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) =>
    /^[0-9]/.test(s) ? { num: s.replace(/^0+(?=.)/, '') } : { str: s },
  );
  const firstString = raw.findIndex((s) => 'str' in s);
  const head = firstString < 0 ? raw : raw.slice(0, firstString);
  const tail = firstString < 0 ? [] : raw.slice(firstString);
  return {
    scheme: 'gem',
    raw: version,
    version: v,
    segments: [...trimZeros(head), ...trimZeros(tail)],
    prerelease: /[a-zA-Z]/.test(v),
  };
}

export function compareGemParsed(a: GemVersion, b: GemVersion): Ordering {
  const zero: GemSegment = { num: '0' };
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? zero;
    const y = b.segments[i] ?? zero;
    if ('num' in x && 'num' in y) {
      const r = compareDigits(x.num, y.num);
      if (r !== 0) return r;
    } else if ('str' in x && 'str' in y) {
      const r = compareStrings(x.str, y.str);
      if (r !== 0) return r;
    } else {
      return 'str' in x ? -1 : 1;
    }
  }
  return 0;
}

export const gem = defineScheme<GemVersion>({ name: 'gem', parse: parseGem, compareParsed: compareGemParsed });
