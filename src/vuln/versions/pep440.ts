/**
 * Python package versions, PEP 440 (https://peps.python.org/pep-0440/, now
 * the "Version specifiers" spec at packaging.python.org).
 *
 * Written by hand, though @renovatebot/pep440 exists (4.2.4 supports Node
 * 20, 5.x needs 22) and agrees with us on all 8,564 upstream vectors
 * (bench/pep440.ts, which keeps it as a devDependency to measure):
 * - it keeps numbers as JS numbers, so past 2^53 distinct versions compare
 *   equal (`9007199254740993` vs `…992`, `1.0.post18446744073709551617` vs
 *   `…616`: 0 for the library, 1 for packaging and for us, with BigInt) — a
 *   fixed version that sorts equal to an affected one hides a finding;
 * - its `compare` takes strings only and re-parses both every time, so the
 *   per-scheme memo of parsed versions cannot be used: 20× slower than ours
 *   on the matcher's repeated comparisons (2.0 µs vs 0.1 µs; 1.3× slower
 *   than ours when both parse every time);
 * - invalid input throws a TypeError, not a coded VERSION_INVALID, and
 *   `clean` joins a multi-part local version with commas (`+ubuntu,1`).
 * The accepted syntax is the spec's "Appendix B" regular
 * expression with its normalisations (case-insensitive; `alpha`→`a`,
 * `beta`→`b`, `c`/`pre`/`preview`→`rc`, `rev`/`r`→`post`, `1.0-1` as
 * `1.0.post1`, implicit 0 numbers, optional `.`/`-`/`_` separators, leading
 * `v`, surrounding whitespace, local `-`/`_` as `.`), and the order is
 * pypa/packaging's `Version` sort key; vectors: packaging
 * tests/test_version.py.
 *
 * Order: epoch; release with trailing zeros ignored; then a dev-only release
 * (`1.0.dev1`) < pre-releases (a < b < rc, by number) < the release <
 * post-releases; within each, `.devN` sorts first; then local versions: none
 * < any, segment by segment with numbers above strings.
 */
import { invalid } from './errors.js';
import { defineScheme, sign, type Ordering, type ParsedVersion } from './scheme.js';

export interface Pep440Version extends ParsedVersion {
  readonly scheme: 'pep440';
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: { readonly label: 'a' | 'b' | 'rc'; readonly number: bigint } | null;
  readonly post: bigint | null;
  readonly dev: bigint | null;
  /** Lowercased, separators normalised to `.`, split. */
  readonly local: readonly (string | bigint)[] | null;
  /** The normalised form (`str(Version(v))` in packaging). */
  readonly normalized: string;
}

const PEP440_RE = new RegExp(
  '^\\s*v?' +
    '(?:([0-9]+)!)?' + // epoch
    '([0-9]+(?:\\.[0-9]+)*)' + // release
    '([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?' + // pre
    '((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?' + // post
    '([-_.]?(dev)[-_.]?([0-9]+)?)?' + // dev
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + // local
    '\\s*$',
  'i',
);

function preLabel(l: string): 'a' | 'b' | 'rc' {
  const s = l.toLowerCase();
  if (s === 'a' || s === 'alpha') return 'a';
  if (s === 'b' || s === 'beta') return 'b';
  return 'rc';
}

export function parsePep440(version: string): Pep440Version {
  const m = PEP440_RE.exec(version);
  if (!m) throw invalid('pep440', version, 'not a PEP 440 version');
  const epoch = BigInt(m[1] ?? '0');
  const release = m[2]!.split('.').map((x) => BigInt(x));
  const pre = m[3] !== undefined ? { label: preLabel(m[4]!), number: BigInt(m[5] ?? '0') } : null;
  const post = m[6] !== undefined ? BigInt(m[7] ?? m[9] ?? '0') : null;
  const dev = m[10] !== undefined ? BigInt(m[12] ?? '0') : null;
  const local =
    m[13] !== undefined
      ? m[13]
          .toLowerCase()
          .split(/[-_.]/)
          .map((p) => (/^[0-9]+$/.test(p) ? BigInt(p) : p))
      : null;
  let normalized = `${epoch !== 0n ? `${epoch}!` : ''}${release.join('.')}`;
  if (pre) normalized += `${pre.label}${pre.number}`;
  if (post !== null) normalized += `.post${post}`;
  if (dev !== null) normalized += `.dev${dev}`;
  if (local) normalized += `+${local.join('.')}`;
  return { scheme: 'pep440', raw: version, epoch, release, pre, post, dev, local, normalized };
}

/** By relational operators: `sign(a - b)` allocated a BigInt per comparison (matching compares ~100,000 per scan). */
function cmp(a: bigint, b: bigint): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRelease(a: readonly bigint[], b: readonly bigint[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = cmp(a[i] ?? 0n, b[i] ?? 0n);
    if (r !== 0) return r;
  }
  return 0;
}

// Rank of the pre-release phase: dev-only release < pre-release < none.
function prePhase(v: Pep440Version): number {
  if (v.pre === null && v.post === null && v.dev !== null) return 0;
  return v.pre === null ? 2 : 1;
}

const PRE_LABEL_RANK = { a: 0, b: 1, rc: 2 } as const;

function compareLocal(a: Pep440Version['local'], b: Pep440Version['local']): Ordering {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      if (x !== y) return cmp(x, y);
    } else if (typeof x === 'bigint') {
      return 1;
    } else if (typeof y === 'bigint') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return sign(a.length - b.length);
}

export function comparePep440Parsed(a: Pep440Version, b: Pep440Version): Ordering {
  let r = cmp(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (r !== 0) return r;
  // The pre-release key (phase, label, number), compared without building it: both in phase 1 have a `pre`.
  const phase = prePhase(a);
  r = sign(phase - prePhase(b));
  if (r !== 0) return r;
  if (phase === 1) {
    r = sign(PRE_LABEL_RANK[a.pre!.label] - PRE_LABEL_RANK[b.pre!.label]) || cmp(a.pre!.number, b.pre!.number);
    if (r !== 0) return r;
  }
  // No post-release sorts before any post-release.
  if (a.post !== b.post) {
    if (a.post === null) return -1;
    if (b.post === null) return 1;
    return cmp(a.post, b.post);
  }
  // No dev-release sorts after any dev-release.
  if (a.dev !== b.dev) {
    if (a.dev === null) return 1;
    if (b.dev === null) return -1;
    return cmp(a.dev, b.dev);
  }
  return compareLocal(a.local, b.local);
}

export const pep440 = defineScheme<Pep440Version>({ name: 'pep440', parse: parsePep440, compareParsed: comparePep440Parsed });
