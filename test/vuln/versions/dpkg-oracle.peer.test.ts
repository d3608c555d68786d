/**
 * Property test: our dpkg order against Debian's real implementations on
 * 10,000 random, realistic version pairs.
 *
 * `dpkg --compare-versions` (vercmp.sh dpkg) costs one dpkg process per pair:
 * measured here at ~40 ms per call under load (1,000 pairs: 40 s), so 10,000
 * pairs would take minutes even in parallel on 2 cores. So all pairs go
 * through Dpkg::Version (libdpkg-perl, from the same dpkg source package;
 * one process, ~0.1 s per 1,000 pairs), and a seeded sample of
 * PORTCULLIS_DPKG_BINARY_PAIRS pairs (default 300; set 10000 to run all)
 * also goes through the dpkg binary, in parallel batches, which must agree
 * with both. Where Dpkg::Version alone disagrees (it compares long digit runs
 * as doubles), the dpkg binary decides. Replay a failure with
 * PORTCULLIS_SEED=<seed printed below>.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpkg } from '../../../src/vuln/versions/dpkg.js';
import { dpkgPair, dpkgPerl, parallelism, pickSeed, prng, vercmp } from './oracle-support.js';

const PAIRS = 10_000;
const BINARY_PAIRS = Number(process.env.PORTCULLIS_DPKG_BINARY_PAIRS ?? 300);

test('dpkg compare agrees with Debian on 10,000 random pairs', async (t) => {
  const seed = pickSeed();
  t.diagnostic(`seed ${seed} (PORTCULLIS_SEED=${seed} replays this run)`);
  console.log(`dpkg oracle seed: ${seed}`);
  const rng = prng(seed);
  const pairs = Array.from({ length: PAIRS }, () => dpkgPair(rng));
  for (const [a, b] of pairs) assert.ok(dpkg.isValid(a) && dpkg.isValid(b), `generator made an invalid pair: ${a} ${b}`);

  const perl = await dpkgPerl(pairs);
  const perlMismatches = pairs
    .map(([a, b], i) => ({ a, b, oracle: perl[i], ours: dpkg.compare(a, b) }))
    .filter((m) => m.oracle !== m.ours);
  // Dpkg::Version compares digit runs as Perl numbers (doubles): runs past 2^53 can be equal there while C dpkg
  // (libdpkg's verrevcmp, which apt and dpkg use) tells them apart, e.g. 100-22024010120240101953 < …103000 (seed
  // 2013780421). The dpkg binary decides those pairs; a disagreement counts only when it disagrees too.
  const decided = perlMismatches.length > 0 ? await vercmp('dpkg', perlMismatches.map((m) => [m.a, m.b] as const), parallelism()) : [];
  const mismatches = perlMismatches.map((m, i) => ({ ...m, dpkg: decided[i] })).filter((m) => m.dpkg !== m.ours);
  assert.deepEqual(mismatches.slice(0, 20), [], `seed ${seed}: ${mismatches.length} disagreements with Dpkg::Version and dpkg --compare-versions`);

  // The binary itself, on a spread sample (every k-th pair).
  const step = Math.max(1, Math.floor(PAIRS / Math.max(1, BINARY_PAIRS)));
  const sample = pairs.filter((_, i) => i % step === 0).slice(0, BINARY_PAIRS);
  const binary = await vercmp('dpkg', sample, parallelism());
  const binaryMismatches = sample
    .map(([a, b], i) => ({ a, b, dpkg: binary[i], ours: dpkg.compare(a, b) }))
    .filter((m) => m.dpkg !== m.ours);
  assert.deepEqual(binaryMismatches.slice(0, 20), [], `seed ${seed}: disagreements with dpkg --compare-versions`);

  // The pairs must exercise all three outcomes, or the test proves little.
  const outcomes = new Set(perl);
  assert.deepEqual([...outcomes].sort(), [-1, 0, 1]);
  t.diagnostic(`${pairs.length} pairs vs Dpkg::Version, ${sample.length} vs dpkg --compare-versions`);
});
