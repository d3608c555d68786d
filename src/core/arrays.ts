/**
 * Array helpers that stay safe on input-sized arrays. Spreading an array into
 * a call (push or Math.max with `...values`) passes every element as an
 * argument, and V8 throws "Maximum call stack size exceeded" somewhere past
 * ~100,000 of them:
 * a layer with 130,000 package.json files was enough to turn a cataloguer's
 * result into a crash. These loop instead (test/unit/no-spread-calls.test.ts
 * keeps spread arguments out of src/).
 */

/** Appends every element of `source` to `target`, in order; returns `target`. */
export function appendAll<T>(target: T[], source: Iterable<T>): T[] {
  for (const item of source) target.push(item);
  return target;
}

/** The largest of `values`, or `empty` when there are none. */
export function maxOf(values: Iterable<number>, empty: number): number {
  let max: number | undefined;
  for (const v of values) if (max === undefined || v > max) max = v;
  return max ?? empty;
}

/** The smallest of `values`, or `empty` when there are none. */
export function minOf(values: Iterable<number>, empty: number): number {
  let min: number | undefined;
  for (const v of values) if (min === undefined || v < min) min = v;
  return min ?? empty;
}
