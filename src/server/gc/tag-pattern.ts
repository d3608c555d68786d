/**
 * Tag patterns for retention rules: `*` is any run of characters, `?` one
 * character, everything else itself (`v1.*`, `release-?`, `*`). Written here
 * rather than taken from a glob library because tags are single path-free
 * words of at most 128 characters: path globbing (minimatch, picomatch) brings
 * slashes, braces and extglobs that a tag never needs and an operator would
 * have to learn. The matcher is the classic two-pointer wildcard walk, so a
 * pattern like `*a*a*a*b` costs at most length(tag) × length(pattern) steps,
 * never the exponential backtracking a naive regular expression can take.
 */

/** True when `tag` matches `pattern` as a whole. */
export function matchesTagPattern(pattern: string, tag: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < tag.length) {
    const c = pattern[p];
    if (c === '*') {
      starP = p++;
      starT = t;
    } else if (c !== undefined && (c === '?' || c === tag[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      // Let the last `*` take one more character and try the rest again.
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** A pattern an operator may write: tag characters, `*` and `?`, at most 256 of them. */
export function isTagPattern(pattern: string): boolean {
  return /^[A-Za-z0-9_.*?-]{1,256}$/.test(pattern);
}
