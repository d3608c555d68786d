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

/** 51-bit hash of a string: FNV-1a (32 bits) and a multiplicative hash (19 bits). */
export function pathHash(path: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * TWO_19 + ((b >>> 0) & (TWO_19 - 1));
}

function key(path: string, directory: boolean): number {
  return pathHash(path) * 2 + (directory ? 1 : 0);
}

export interface PathIndex {
  hasDir(path: string): boolean;
  hasNonDir(path: string): boolean;
  hasAny(path: string): boolean;
  readonly size: number;
}

/** Collects a layer's paths while it streams; `finish()` freezes them into a sorted array. */
export class PathIndexBuilder implements PathIndex {
  private readonly keys = new Set<number>();
  private lastParent: string | undefined;

  add(path: string, directory: boolean): void {
    this.keys.add(key(path, directory));
    const parent = parentOf(path);
    if (parent === this.lastParent) return;
    this.lastParent = parent;
    let dir = parent;
    for (;;) {
      const k = key(dir, true);
      if (this.keys.has(k)) break;
      this.keys.add(k);
      if (dir === '') break;
      dir = parentOf(dir);
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
