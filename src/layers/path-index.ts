/**
 * Which paths one layer holds, remembered after its bytes are gone, in about
 * 8 bytes a path: a 51-bit hash of the path plus one bit "directory" (entries
 * that are directories, and every ancestor of every entry) or "not a
 * directory". The walker asks it where a path it did not keep was last
 * written (to fetch a link target in a second, targeted pass) and whether a
 * layer has anything under a directory. A hash collision (about n / 2^51) can
 * only make the walker read a layer for nothing, never drop a file it has.
 */
import { parentOf } from './path.js';

const TWO_19 = 2 ** 19;
const FNV_OFFSET = 0x811c9dc5;
const MUL_SEED = 0x9747b28c;
const SLASH = 47;

/**
 * 51-bit hash of a string: FNV-1a (32 bits) and a multiplicative hash (19
 * bits). Both run over the characters in order, so the hashes of every
 * prefix of a path come out of one pass (`prefixesOf`, `PrefixHasher`):
 * asking about all ancestors of a path costs its length, not its length
 * times its depth.
 */
export function pathHash(path: string): number {
  let a = FNV_OFFSET;
  let b = MUL_SEED;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * TWO_19 + ((b >>> 0) & (TWO_19 - 1));
}

/** pathHash('') */
export const ROOT_HASH = pathHash('');

/**
 * 30 bits of a pathHash, a small integer V8 keeps unboxed: several times
 * faster as a Map/Set key than the 51-bit number. For pre-filters and
 * counts whose collisions only cost a check of the real path, never for
 * the PathIndex itself.
 */
export function shortHash(hash: number): number {
  return (hash | 0) & 0x3fffffff;
}

/** A normalised path's prefixes: prefix i is `path.slice(0, end[i])` and hashes to `hash[i]`. */
export interface Prefixes {
  /** Root first (end 0), then each ancestor, then the path itself (absent when the path is the root). */
  readonly hash: number[];
  readonly end: number[];
}

/** The root, every ancestor and the path itself, with their pathHash, in one pass over the path. */
export function prefixesOf(path: string): Prefixes {
  const hash = [ROOT_HASH];
  const end = [0];
  let a = FNV_OFFSET;
  let b = MUL_SEED;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === SLASH) {
      hash.push((a >>> 0) * TWO_19 + ((b >>> 0) & (TWO_19 - 1)));
      end.push(i);
    }
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  if (path.length > 0) {
    hash.push((a >>> 0) * TWO_19 + ((b >>> 0) & (TWO_19 - 1)));
    end.push(path.length);
  }
  return { hash, end };
}

/**
 * pathHash of a path built one component at a time (push, pop back with
 * `..`, clear for an absolute symlink), each step costing the component's
 * length: what symlink resolution needs to ask "can this prefix be a
 * symlink?" without building the prefix string.
 */
export class PrefixHasher {
  private readonly a: number[] = [];
  private readonly b: number[] = [];

  /** Appends a component (no slashes) and answers the pathHash of the path so far. */
  push(part: string): number {
    const depth = this.a.length;
    let a = depth === 0 ? FNV_OFFSET : (this.a[depth - 1] as number);
    let b = depth === 0 ? MUL_SEED : (this.b[depth - 1] as number);
    for (let i = depth === 0 ? 0 : -1; i < part.length; i++) {
      const c = i < 0 ? SLASH : part.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a.push(a);
    this.b.push(b);
    return (a >>> 0) * TWO_19 + ((b >>> 0) & (TWO_19 - 1));
  }

  pop(): void {
    this.a.pop();
    this.b.pop();
  }

  clear(): void {
    this.a.length = 0;
    this.b.length = 0;
  }
}

function key(path: string, directory: boolean): number {
  return pathHash(path) * 2 + (directory ? 1 : 0);
}

export interface PathIndex {
  hasDir(path: string): boolean;
  hasNonDir(path: string): boolean;
  hasAny(path: string): boolean;
  /** hasDir / hasNonDir by pathHash, for callers that hashed every prefix of a path at once (`prefixesOf`). */
  hasDirHash(hash: number): boolean;
  hasNonDirHash(hash: number): boolean;
  readonly size: number;
}

/** Collects a layer's paths while it streams; `finish()` freezes them into a sorted array. */
export class PathIndexBuilder implements PathIndex {
  private readonly keys = new Set<number>();
  private lastParent: string | undefined;

  add(path: string, directory: boolean): void {
    const parent = parentOf(path);
    if (parent === this.lastParent) {
      this.keys.add(key(path, directory));
      return;
    }
    this.lastParent = parent;
    // Every ancestor is a directory: hash them all in one pass, add from the deepest up to the first one already known.
    const { hash } = prefixesOf(path);
    const last = hash.length - 1;
    this.keys.add((hash[last] as number) * 2 + (directory ? 1 : 0));
    for (let i = last - 1; i >= 0; i--) {
      const k = (hash[i] as number) * 2 + 1;
      if (this.keys.has(k)) break;
      this.keys.add(k);
    }
  }

  hasDir(path: string): boolean {
    return this.keys.has(key(path, true));
  }

  hasNonDir(path: string): boolean {
    return this.keys.has(key(path, false));
  }

  hasAny(path: string): boolean {
    return this.hasDir(path) || this.hasNonDir(path);
  }

  hasDirHash(hash: number): boolean {
    return this.keys.has(hash * 2 + 1);
  }

  hasNonDirHash(hash: number): boolean {
    return this.keys.has(hash * 2);
  }

  get size(): number {
    return this.keys.size;
  }

  finish(): PathIndex {
    const sorted = Float64Array.from(this.keys).sort();
    this.keys.clear();
    return new FrozenPathIndex(sorted);
  }
}

class FrozenPathIndex implements PathIndex {
  constructor(private readonly keys: Float64Array) {}

  get size(): number {
    return this.keys.length;
  }

  hasDir(path: string): boolean {
    return this.lookup(key(path, true));
  }

  hasNonDir(path: string): boolean {
    return this.lookup(key(path, false));
  }

  hasAny(path: string): boolean {
    const k = pathHash(path) * 2;
    return this.lookup(k) || this.lookup(k + 1);
  }

  hasDirHash(hash: number): boolean {
    return this.lookup(hash * 2 + 1);
  }

  hasNonDirHash(hash: number): boolean {
    return this.lookup(hash * 2);
  }

  private lookup(k: number): boolean {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.keys[mid] as number;
      if (v === k) return true;
      if (v < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
