/**
 * Property test: our rpm order against rpm 4.18's own `rpm.vercmp` (Lua,
 * epoch-aware EVR compare) on 10,000 random, realistic version pairs, all
 * through one rpm process (vercmp.sh rpm -). Replay a failure with
 * PORTCULLIS_SEED=<seed printed below>.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rpm } from '../../../src/vuln/versions/rpm.js';
import { pickSeed, prng, rpmPair, vercmp } from './oracle-support.js';

const PAIRS = 10_000;

test('rpm compare agrees with rpm.vercmp on 10,000 random pairs', async (t) => {
  const seed = pickSeed();
  t.diagnostic(`seed ${seed} (PORTCULLIS_SEED=${seed} replays this run)`);
  console.log(`rpm oracle seed: ${seed}`);
  const rng = prng(seed);
  const pairs = Array.from({ length: PAIRS }, () => rpmPair(rng));
  const oracle = await vercmp('rpm', pairs);
  const mismatches = pairs
    .map(([a, b], i) => ({ a, b, oracle: oracle[i], ours: rpm.compare(a, b) }))
    .filter((m) => m.oracle !== m.ours);
  assert.deepEqual(mismatches.slice(0, 20), [], `seed ${seed}: ${mismatches.length} disagreements with rpm.vercmp`);
  assert.deepEqual([...new Set(oracle)].sort(), [-1, 0, 1]);
});
