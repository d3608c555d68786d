/**
 * PEP 440 comparison: ours (src/vuln/versions/pep440.ts, parsed versions
 * memoised per scheme) against @renovatebot/pep440 (a devDependency kept for
 * this figure), in the same run, on the 8,564 upstream vector pairs of
 * ../shared/vulndata/vercmp/pep440.tsv compared over and over as a matcher
 * does (the same strings again and again), and ours without the memo (every
 * comparison parses both strings, as the library's compare() does). Also prints the agreement on the
 * vectors and on versions with numbers past 2^53, where packaging (Python
 * ints) and ours (BigInt) still order and the library's JS numbers do not.
 *
 *   npx tsx bench/pep440.ts          # BENCH_ROUNDS (default 20), BENCH_RUNS (default 5, best kept)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compare as libCompare } from '@renovatebot/pep440';
import { comparePep440Parsed, parsePep440, pep440 } from '../src/vuln/versions/pep440.js';
import { VULNDATA } from '../test/support/paths.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const pairs = readFileSync(join(VULNDATA, 'vercmp', 'pep440.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split('\t') as [string, string, string]);

let disagree = 0;
for (const [a, b, expected] of pairs) {
  if (String(pep440.compare(a, b)) !== expected) disagree++;
  if (String(Math.sign(libCompare(a, b))) !== expected) disagree++;
}

function best(fn: (a: string, b: string) => number): number {
  let fastest = Infinity;
  for (let run = 0; run < RUNS; run++) {
    let sink = 0;
    const t0 = performance.now();
    for (let r = 0; r < ROUNDS; r++) for (const [a, b] of pairs) sink += fn(a, b);
    fastest = Math.min(fastest, performance.now() - t0);
    if (sink === Number.MAX_SAFE_INTEGER) console.log(sink);
  }
  return fastest;
}

const ours = best((a, b) => pep440.compare(a, b));
const cold = best((a, b) => comparePep440Parsed(parsePep440(a), parsePep440(b)));
const lib = best((a, b) => libCompare(a, b));
const n = pairs.length * ROUNDS;
const big: [string, string][] = [
  ['1.99999999999999999999', '1.99999999999999999998'],
  ['9007199254740993', '9007199254740992'],
  ['1.0.post18446744073709551617', '1.0.post18446744073709551616'],
];
console.log(`vectors: ${pairs.length} pairs, disagreements with upstream: ${disagree}`);
console.log(`| implementation | ${n.toLocaleString('en')} comparisons | per comparison | vs ours |`);
console.log('| --- | --- | --- | --- |');
console.log(`| ours (memoised parse, BigInt) | ${ours.toFixed(0)} ms | ${((ours / n) * 1e6).toFixed(0)} ns | 1.0× |`);
console.log(`| ours, parsing both strings every time (no memo) | ${cold.toFixed(0)} ms | ${((cold / n) * 1e6).toFixed(0)} ns | ${(cold / ours).toFixed(1)}× |`);
console.log(`| @renovatebot/pep440 4.2.4 compare() | ${lib.toFixed(0)} ms | ${((lib / n) * 1e6).toFixed(0)} ns | ${(lib / ours).toFixed(1)}× |`);
for (const [a, b] of big) console.log(`compare(${a}, ${b}): ours ${pep440.compare(a, b)}, library ${Math.sign(libCompare(a, b))} (packaging: 1)`);
