/**
 * A project's trust policy with Notary (`sources`, `notary` in its
 * settings): parsed by the same strict parser, and judged on the registry's
 * content-trust decision. Proves: Notary counts for a project only when its
 * `sources` name it (a stored `keys: [...]` policy does not start accepting
 * Notary); under the project's pins a Notary signature meets its signature
 * requirement, another root is refused naming the keys; `authoritative`
 * refuses what Notary does not sign; `notary` without `sources` naming it is
 * refused as written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VerifyReport } from '../../src/engine/trust/index.js';
import type { ContentTrustDecision } from '../../src/server/content-trust.js';
import { ServeError } from '../../src/server/errors.js';
import { projectTrustDecision } from '../../src/server/project-trust.js';
import { projectTrustPolicy } from '../../src/server/project-trust-policy.js';

const GUN = 'registry.example/team/app';
const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const [ROOT, ROOT_CANONICAL, OTHER_ROOT, SIGNER] = ['1', '2', '3', '4'].map((c) => c.repeat(64)) as [string, string, string, string];
const NOW = new Date('2026-01-01T00:00:00Z');
/** Nothing signed with cosign: only Notary can meet a signature requirement here. */
const report = { digest: DIGEST, signatures: [], attestations: [] } as unknown as VerifyReport;

const signedUnder = (root: string, canonical: string): ContentTrustDecision => ({
  outcome: 'signed',
  message: `tag v1 signed by targets/releases in ${GUN}`,
  signers: [{ role: 'targets/releases', keyIds: [SIGNER], keys: [{ keyId: SIGNER, canonicalId: SIGNER }] }],
  rootKeys: [{ keyId: root, canonicalId: canonical }],
});
const judge = (policy: unknown, contentTrust?: ContentTrustDecision) => projectTrustDecision(report, projectTrustPolicy(policy, 'settings', 'trustPolicy', 'team'), GUN, NOW, contentTrust);

test('without sources naming notary, a Notary signature does not meet a project\'s signature requirement', () => {
  const d = judge({ keys: ['root-certified'] }, signedUnder(ROOT, ROOT_CANONICAL));
  assert.equal(d.allowed, false);
  assert.match(d.allowed ? '' : d.reason, /project team policy: signature requirement not met/);
});

test('sources naming notary with pinned keys: the pinned root (either id) passes, another root is refused naming both', () => {
  for (const pin of [ROOT, ROOT_CANONICAL]) {
    assert.deepEqual(judge({ sources: ['notary'], notary: { rootKeys: [pin], signers: [SIGNER] } }, signedUnder(ROOT, ROOT_CANONICAL)), { allowed: true });
  }
  const d = judge({ sources: ['cosign', 'notary'], notary: { rootKeys: [ROOT] } }, signedUnder(OTHER_ROOT, OTHER_ROOT));
  assert.equal(d.allowed, false);
  assert.equal(
    d.allowed ? '' : d.reason,
    `${GUN}@${DIGEST}: project team policy: signature requirement not met: no signature found for ${GUN}@${DIGEST}; notary: the Notary root of ${GUN} is signed by root key ${OTHER_ROOT}, not by a pinned one (notary.rootKeys: ${ROOT})`,
  );
});

test('authoritative: what Notary does not sign is refused', () => {
  const d = judge({ sources: ['cosign', 'notary'], notary: { authoritative: true } }, { outcome: 'unsigned', message: `tag v1 is not signed in the Notary trust data for ${GUN}` });
  assert.equal(d.allowed, false);
  assert.match(d.allowed ? '' : d.reason, /notary requirement not met: Notary is authoritative for this project and does not sign this image \(tag v1 is not signed/);
});

test('notary without sources naming it is refused as written; with them it parses', () => {
  assert.throws(() => projectTrustPolicy({ notary: { rootKeys: [ROOT] } }, 'settings', 'trustPolicy'), (e: unknown) => e instanceof ServeError && /notary: needs "notary" in sources/.test(e.message));
  assert.throws(() => projectTrustPolicy({ sources: ['notary'], notary: { rootKeys: ['abc'] } }, 'settings', 'trustPolicy'), (e: unknown) => e instanceof ServeError && /"rootKeys" entries are full Notary key ids/.test(e.message));
  assert.deepEqual(projectTrustPolicy({ sources: 'notary', notary: { signers: [SIGNER] } }, 'settings', 'trustPolicy').notary, { authoritative: false, roles: [], rootKeys: [], signers: [SIGNER] });
});
