/**
 * The one role every version scheme plays. A scheme parses a version string
 * the way its ecosystem's own tool does and orders two versions exactly like
 * that tool; the matcher never compares versions any other way.
 *
 * Implement the minimum, derive the rest: a scheme file usually supplies
 * `parse` and `compareParsed` to `defineScheme`, which derives `compare` and
 * `isValid`. Schemes whose upstream comparator orders *any* string (apk, rpm,
 * maven, go) pass their own `compare` so garbage sorts the way upstream sorts
 * it instead of throwing.
 */
import { VersionError } from './errors.js';

/** The sign of a comparison: a < b → -1, a == b → 0, a > b → 1. */
export type Ordering = -1 | 0 | 1;

export type SchemeName =
  | 'dpkg'
  | 'apk'
  | 'rpm'
  | 'semver'
  | 'pep440'
  | 'maven'
  | 'go'
  | 'gem'
  | 'nuget'
  | 'composer';

/** What every parsed version carries; each scheme returns a richer subtype. */
export interface ParsedVersion {
  readonly scheme: SchemeName;
  /** The string as given. */
  readonly raw: string;
}

export interface VersionScheme<P extends ParsedVersion = ParsedVersion> {
  readonly name: SchemeName;
  /** Throws VersionError('VERSION_INVALID') where upstream rejects the string. */
  parse(version: string): P;
  /** Upstream's order. Throws VersionError for inputs upstream cannot order (see each scheme). */
  compare(a: string, b: string): Ordering;
  /** True when `parse` would succeed. */
  isValid(version: string): boolean;
}

export function sign(n: number | bigint): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares two strings of ASCII digits as unbounded non-negative integers. */
export function compareDigits(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a[i] === '0') i++;
  while (j < b.length - 1 && b[j] === '0') j++;
  const x = a.slice(i);
  const y = b.slice(j);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Plain code-unit comparison (C's strcmp/memcmp on ASCII, Java's String.compareTo). */
export function compareStrings(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SchemeParts<P extends ParsedVersion> {
  readonly name: SchemeName;
  readonly parse: (version: string) => P;
  readonly compareParsed: (a: P, b: P) => Ordering;
  /** Overrides the derived `parse`-both-then-`compareParsed`. */
  readonly compare?: (a: string, b: string) => Ordering;
}

export interface DefinedScheme<P extends ParsedVersion> extends VersionScheme<P> {
  compareParsed(a: P, b: P): Ordering;
}

/**
 * Parsed versions are memoised per scheme: matching compares the same few
 * thousand strings (installed versions, range events) over and over, and
 * parsing dominated that work. Bounded: the memo is dropped when it fills.
 * Parsed values are frozen-by-convention (never mutated), so sharing is safe.
 */
const PARSE_MEMO_LIMIT = 50_000;

function memoise<P>(parse: (version: string) => P): (version: string) => P {
  let memo = new Map<string, P>();
  return (version: string): P => {
    const hit = memo.get(version);
    if (hit !== undefined) return hit;
    const parsed = parse(version); // errors are not cached: invalid input stays an error every time
    if (memo.size >= PARSE_MEMO_LIMIT) memo = new Map();
    memo.set(version, parsed);
    return parsed;
  };
}

/** Schemes whose `compare` is the derived one: `compareParsed(parse(a), parse(b))`. */
const COMPARES_PARSED = new WeakSet<VersionScheme>();

/**
 * `(other) => scheme.compare(version, other)`, for one version compared with
 * many (an entry's ranges and listed versions): where `compare` is the derived
 * one, `version` is parsed once, at the first call (so an invalid one throws
 * where `compare` would, and only if a comparison is made), and each call is
 * `compareParsed(thatParse, parse(other))` — the derived `compare` with its
 * first parse (a memo lookup) done already; the results and errors are
 * `compare`'s, as parsing is a pure function. Otherwise it is `compare`.
 */
export function comparerFor(scheme: VersionScheme, version: string): (other: string) => Ordering {
  if (!COMPARES_PARSED.has(scheme)) return (other) => scheme.compare(version, other);
  const defined = scheme as DefinedScheme<ParsedVersion>;
  let parsed: ParsedVersion | undefined;
  return (other) => defined.compareParsed((parsed ??= defined.parse(version)), defined.parse(other));
}

export function defineScheme<P extends ParsedVersion>(parts: SchemeParts<P>): DefinedScheme<P> {
  const { name, compareParsed } = parts;
  const parse = memoise(parts.parse);
  const scheme: DefinedScheme<P> = Object.freeze({
    name,
    parse,
    compareParsed,
    compare: parts.compare ?? ((a: string, b: string) => compareParsed(parse(a), parse(b))),
    isValid(version: string): boolean {
      try {
        parse(version);
        return true;
      } catch (error) {
        if (error instanceof VersionError) return false;
        throw error;
      }
    },
  });
  if (!parts.compare) COMPARES_PARSED.add(scheme);
  return scheme;
}
