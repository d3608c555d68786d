/**
 * Repository globs in certifications. A glob is a repository name
 * (`registry.example/team/app`, no tag or digest) where, segment by segment
 * (segments split on `/`):
 * - `*` inside a segment matches any run of characters except `/`
 *   (`registry.example/team/*` matches `registry.example/team/app`, not
 *   `registry.example/team/a/b` nor `registry.example/other/x`);
 * - a segment that is exactly `**` matches zero or more whole segments
 *   (`registry.example/team/**` matches every repository below team/).
 * Matching is case-sensitive and anchored at both ends. Pure.
 */
import { KeyError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9._\-:*]+$/;

export function validateGlob(glob: string): void {
  if (typeof glob !== 'string' || glob.length === 0 || glob.length > 512) throw new KeyError('GLOB_INVALID', 'a repository glob must be a non-empty string of at most 512 characters');
  const segments = glob.split('/');
  for (const s of segments) {
    if (!SEGMENT.test(s)) throw new KeyError('GLOB_INVALID', `repository glob ${JSON.stringify(glob)} has an empty or invalid segment`);
    if (s.includes('**') && s !== '**') throw new KeyError('GLOB_INVALID', `in ${JSON.stringify(glob)}, ** must be a whole segment`);
  }
}

function segmentRegex(segment: string): RegExp {
  const body = segment
    .split('*')
    .map((part) => part.replace(/[.\-:]/g, (c) => `\\${c}`))
    .join('[^/]*');
  return new RegExp(`^${body}$`);
}

/** Whether the repository name matches the glob. Invalid globs never match. */
export function matchRepository(glob: string, repository: string): boolean {
  try {
    validateGlob(glob);
  } catch {
    return false;
  }
  if (typeof repository !== 'string' || repository.length === 0) return false;
  const g = glob.split('/');
  const r = repository.split('/');
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    const cached = memo.get(k);
    if (cached !== undefined) return cached;
    let result: boolean;
    if (i === g.length) result = j === r.length;
    else if (g[i] === '**') result = match(i + 1, j) || (j < r.length && match(i, j + 1));
    else result = j < r.length && r[j]!.length > 0 && segmentRegex(g[i]!).test(r[j]!) && match(i + 1, j + 1);
    memo.set(k, result);
    return result;
  };
  return match(0, 0);
}
