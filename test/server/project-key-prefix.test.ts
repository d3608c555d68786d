/**
 * A project's trust policy reads key id prefixes as `verify` does: a prefix
 * names a key only when it is the prefix of exactly one key the registry's
 * verification knew (trust/policy evaluate.ts). Proves: a key ground to share
 * the six hex digits a project pins, imported for another repository, does not
 * meet the project's signature requirement; the full id does; a prefix unique
 * among the known keys still works.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VerifyReport } from '../../src/engine/trust/index.js';
import { projectTrustDecision } from '../../src/server/project-trust.js';
import { projectTrustPolicy } from '../../src/server/project-trust-policy.js';
import type { SignatureCheck } from '../../src/trust/index.js';

const REPO = 'registry.example/team/app';
const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const NOW = new Date('2026-01-01T00:00:00Z');
const MINE = `3f2a9c${'1'.repeat(58)}`;
const GROUND = `3f2a9c${'e'.repeat(58)}`;

const byGround: SignatureCheck = {
  layout: 'tag',
  location: 'x',
  status: 'untrusted-key',
  message: 'key 3f2a9ceeeeee is not certified by the root key for registry.example/team/app',
  keyId: GROUND,
  keySource: 'store',
  keyReason: 'repository-not-covered',
  identity: 'match',
  signedIdentity: REPO,
  signedDigest: DIGEST,
};
const report = (signatures: SignatureCheck[], knownKeyIds: string[]): VerifyReport => ({ digest: DIGEST, signatures, attestations: [], knownKeyIds }) as unknown as VerifyReport;
const judge = (keys: string[], r: VerifyReport) => projectTrustDecision(r, projectTrustPolicy({ keys }, 'settings', 'trustPolicy', 'team'), REPO, NOW);

test('a ground key sharing the pinned prefix does not meet a project policy; the full id and a unique prefix do', () => {
  const refused = judge(['3f2a9c'], report([byGround], [MINE, GROUND]));
  assert.equal(refused.allowed, false);
  assert.match(refused.allowed ? '' : refused.reason, /key id 3f2a9c names more than one key of the trust store and keys given: write the full 64-digit id/);
  const mineSigned: SignatureCheck = { ...byGround, status: 'verified', message: 'verified', keyId: MINE, keyReason: 'authorized' };
  assert.deepEqual(judge([MINE], report([mineSigned, byGround], [MINE, GROUND])), { allowed: true });
  assert.deepEqual(judge(['3f2a9c'], report([mineSigned], [MINE, 'ab'.repeat(32)])), { allowed: true });
});
