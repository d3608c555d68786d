/**
 * What a test does when something it needs (Chromium, a schema, root, a peer
 * tool) is missing: skip with the reason on a developer's machine, fail in CI
 * (`PORTCULLIS_REQUIRE_PEERS=1`, set by `.ci/run`), where a skip would hide
 * that the test never ran. Only peer-tier files (`*.peer.test.ts`) may need a
 * peer at all (see tier-guard.ts).
 */
import type { TestContext } from 'node:test';
import { inPeerTier } from './tier-guard.js';

export function peersRequired(): boolean {
  return process.env.PORTCULLIS_REQUIRE_PEERS === '1';
}

/** Skips (or, in CI, fails) the test; returns so callers can `return missingPeer(t, …)`. */
export function missingPeer(t: TestContext, what: string): void {
  // A fast-tier test never skips: what it needs is missing, so it fails, in every run.
  if (!inPeerTier()) throw new Error(`${what}: missing, and a fast-tier test (*.test.ts) never skips; tests that need peers go in *.peer.test.ts`);
  if (peersRequired()) throw new Error(`${what}: required here (PORTCULLIS_REQUIRE_PEERS=1); install it, or run the test as .ci/run does`);
  t.skip(what);
}
