/**
 * The statistics every bench reports: the median of a sample and the fastest
 * of several runs. One copy, so that every figure in bench/README.md is
 * computed the same way (an empty sample is NaN, never a plausible 0).
 */

/** The middle value (the upper one of an even sample); NaN for no values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The fastest of `runs` timed calls of `fn`, in milliseconds. */
export async function fastestOf(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest;
}
