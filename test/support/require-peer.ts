/**
 * What a test does when something it needs (Chromium, a schema, root, a peer
 * tool) is missing: skip with the reason on a developer's machine, fail in CI
 * (`PORTCULLIS_REQUIRE_PEERS=1`, set by `.ci/run`), where a skip would hide
 * that the test never ran.
 */
import type { TestContext } from 'node:test';

export function peersRequired(): boolean {
  return process.env.PORTCULLIS_REQUIRE_PEERS === '1';
}

/** Skips (or, in CI, fails) the test; returns so callers can `return missingPeer(t, …)`. */
export function missingPeer(t: TestContext, what: string): void {
  if (peersRequired()) throw new Error(`${what}: required here (PORTCULLIS_REQUIRE_PEERS=1); install it, or run the test as .ci/run does`);
  t.skip(what);
}
