/**
 * Alpine (apk) versions: `digits{.digits}{letter}{_suffix{digits}}…{~hash}{-rN}`.
 *
 * Written by hand: no maintained npm library implements apk-tools' ordering in
 * TypeScript. Rules from apk-tools src/version.c (apk-tools 3: `token_next`,
 * `token_cmp`, `apk_version_compare_fuzzy`, `apk_version_validate`); vectors:
 * test/unit/version.data.
 *
 * A version is a token stream: initial number, `.number`s, at most one
 * lowercase letter, `_suffix[N]`s, an optional `~hexhash`, an optional `-rN`.
 * Pre-release suffixes `_alpha _beta _pre _rc` sort below no suffix; `_cvs
 * _svn _git _hg _p` above it. Numbers after a `.` that start with `0` compare
 * as strings (Gentoo's rule), others numerically; hashes compare as strings.
 * When one stream runs out first, the longer one is newer unless its next
 * token is a pre-release suffix; tokens of different kinds order by kind.
 *
 * `compare` orders any string the way apk does (invalid tails stop the token
 * stream and sort low), because apk-tools compares without validating.
 */
import { invalid } from './errors.js';
import { compareDigits, compareStrings, defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

const enum Tok {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  CommitHash = 5,
  RevisionNo = 6,
  End = 7,
  Invalid = 8,
}

// Suffix order: index below NONE is a pre-release, above it a post-release.
const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'] as const;
const SUFFIX_NONE = 4;

interface Token {
  type: Tok;
  /** The token's text (digits, letter, suffix name or hash). */
  value: string;
  /** Suffix rank (index in SUFFIXES) for Suffix tokens. */
  suffix: number;
}

/** A cursor over one version string, advancing token by token like apk's token_first/token_next. */
class Tokens {
  private pos = 0;
  readonly tok: Token = { type: Tok.InitialDigit, value: '', suffix: -1 };

  constructor(private readonly s: string) {
    this.digits();
  }

  private digits(): void {
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos]! >= '0' && this.s[this.pos]! <= '9') this.pos++;
    this.tok.value = this.s.slice(start, this.pos);
    if (this.tok.value === '') this.tok.type = Tok.Invalid;
  }

  private span(re: RegExp): string {
    const start = this.pos;
    while (this.pos < this.s.length && re.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  next(): void {
    const t = this.tok;
    if (this.pos >= this.s.length) {
      t.type = Tok.End;
      return;
    }
    const c = this.s[this.pos]!;
    if (c >= 'a' && c <= 'z') {
      if (t.type > Tok.Digit) return this.invalid();
      t.value = c;
      t.type = Tok.Letter;
      this.pos++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') {
        if (t.type > Tok.Digit) return this.invalid();
        this.pos++;
      }
      if (t.type === Tok.InitialDigit || t.type === Tok.Digit) t.type = Tok.Digit;
      else if (t.type === Tok.Suffix) t.type = Tok.SuffixNo;
      else return this.invalid();
      this.digits();
    } else if (c === '_') {
      if (t.type > Tok.SuffixNo) return this.invalid();
      this.pos++;
      t.value = this.span(/[a-z]/);
      t.suffix = t.value === '' ? -1 : SUFFIXES.indexOf(t.value as (typeof SUFFIXES)[number]);
      if (t.suffix < 0 || t.suffix === SUFFIX_NONE) return this.invalid();
      t.type = Tok.Suffix;
    } else if (c === '~') {
      if (t.type >= Tok.CommitHash) return this.invalid();
      this.pos++;
      t.value = this.span(/[0-9a-f]/);
      if (t.value === '') return this.invalid();
      t.type = Tok.CommitHash;
    } else if (c === '-') {
      if (t.type >= Tok.RevisionNo || this.s[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      t.type = Tok.RevisionNo;
      this.digits();
    } else {
      this.invalid();
    }
  }

  private invalid(): void {
    this.tok.type = Tok.Invalid;
  }
}

function tokenCmp(a: Token, b: Token): Ordering {
  switch (a.type) {
    case Tok.Digit:
      if (a.value.startsWith('0') || b.value.startsWith('0')) return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case Tok.InitialDigit:
    case Tok.SuffixNo:
    case Tok.RevisionNo:
      return compareDigits(a.value, b.value);
    case Tok.Letter:
      return compareStrings(a.value, b.value);
    case Tok.Suffix:
      return a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0;
    default:
      return compareStrings(a.value, b.value);
  }
}

/**
 * apk_version_compare_fuzzy. With `fuzzy`, `a` matching `b` as a prefix
 * (b's tokens exhausted) counts as equal: `3.6.9 ~ 3.6`.
 */
function compareApk(a: string, b: string, fuzzy = false): Ordering {
  const ta = new Tokens(a);
  const tb = new Tokens(b);
  while (ta.tok.type === tb.tok.type && ta.tok.type < Tok.End) {
    const r = tokenCmp(ta.tok, tb.tok);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  const at = ta.tok;
  const bt = tb.tok;
  if (at.type === bt.type) return 0;
  if (bt.type === Tok.End && fuzzy) return 0;
  if (at.type === Tok.Suffix && at.suffix < SUFFIX_NONE) return -1;
  if (bt.type === Tok.Suffix && bt.suffix < SUFFIX_NONE) return 1;
  return at.type > bt.type ? -1 : 1;
}

export interface ApkVersion extends ParsedVersion {
  readonly scheme: 'apk';
  /** Everything before `-rN`. */
  readonly version: string;
  /** The N of `-rN`; 0 when absent. */
  readonly revision: number;
}

export function parseApk(version: string): ApkVersion {
  const t = new Tokens(version);
  while (t.tok.type < Tok.End) t.next();
  if (t.tok.type !== Tok.End) throw invalid('apk', version, 'not digit{.digit}{letter}{_suffix{N}}{~hash}{-rN}');
  const m = /-r([0-9]+)$/.exec(version);
  return {
    scheme: 'apk',
    raw: version,
    version: m ? version.slice(0, m.index) : version,
    revision: m ? Number(m[1]) : 0,
  };
}

export const apk = defineScheme<ApkVersion>({
  name: 'apk',
  parse: parseApk,
  compareParsed: (a, b) => compareApk(a.raw, b.raw),
  compare: (a, b) => compareApk(a, b),
});

/**
 * apk's dependency operators over two versions (apk_version_match):
 * `<`, `<=`, `=`, `>=`, `>`, `~` (fuzzy: `b` is a prefix of `a`), `<~`, `>~`,
 * each optionally prefixed by `!` (negated, a conflict in apk's terms).
 */
export function apkMatch(a: string, op: string, b: string): boolean {
  let conflict = false;
  let ops = op;
  if (ops.startsWith('!')) {
    conflict = true;
    ops = ops.slice(1);
  }
  const LESS = 1;
  const EQUAL = 2;
  const GREATER = 4;
  const FUZZY = 8;
  let mask = 0;
  for (const c of ops) {
    if (c === '<') mask |= LESS;
    else if (c === '>') mask |= GREATER;
    else if (c === '=') mask |= EQUAL;
    else if (c === '~') mask |= FUZZY | EQUAL;
    else throw invalid('apk', op, 'unknown operator');
  }
  if (mask === 0) throw invalid('apk', op, 'empty operator');
  const r = compareApk(a, b, (mask & FUZZY) !== 0);
  const bit = r < 0 ? LESS : r > 0 ? GREATER : EQUAL;
  const ok = (bit & mask) !== 0;
  return conflict ? !ok : ok;
}
