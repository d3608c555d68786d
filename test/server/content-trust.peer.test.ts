/**
 * Docker Content Trust on the registry's own Notary data: repositories
 * built with real certificate root keys (test/trust/tuf/fixtures.ts),
 * stored in the Notary store, read back as a client fetches them
 * (notary/repository.ts) and verified; then the decision. A pull by tag is
 * signed only when the tag's resolved target (targets/releases first) is
 * the manifest, digest and length; a tag signed for another digest is a
 * mismatch that refuses even a cosign-verified image; by digest, some role
 * must sign that digest; stored data that is incomplete is `invalid`, never
 * signed. A peer test: the root certificates are made with openssl.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import { contentTrustDecision, signatureDecision, signedDigests, type ContentTrustDecision, type NotaryEvidence } from '../../src/server/content-trust.js';
import { keyBox, ServerKeys, TufNotaryService } from '../../src/server/notary/index.js';
import { SqliteTufStore } from '../../src/server/notary/sqlite.js';
import { readNotaryEvidence } from '../../src/server/signature-check.js';
import { canonicalKeyId, generateSigningKey } from '../../src/trust/tuf/index.js';
import { buildRepo, type Repo } from '../trust/tuf/fixtures.js';

const gun = 'reg.example:5000/team/app';
const hex = (seed: string): string => createHash('sha256').update(seed).digest('hex');
const [d1, d2, d3] = [hex('one'), hex('two'), hex('three')];
const digest = (h: string): Digest => `sha256:${h}`;
const releasesKey = generateSigningKey('ecdsa');
const repo: Repo = buildRepo({
  gun,
  targets: { v1: { sha256: d1, length: 100 }, shared: { sha256: d1, length: 100 } },
  delegations: [{ name: 'targets/releases', keys: [releasesKey], paths: [''], targets: { v2: { sha256: d2, length: 200 }, shared: { sha256: d2, length: 200 } } }],
});

const stores: SqliteTufStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

async function stored(files: Repo, skip: readonly string[] = []): Promise<TufNotaryService> {
  const store = new SqliteTufStore(':memory:');
  stores.push(store);
  const all: Array<[string, Buffer]> = [['root', files.root], ['targets', files.targets], ...files.delegations, ['snapshot', files.snapshot], ['timestamp', files.timestamp]];
  await store.put(gun, all.filter(([role]) => !skip.includes(role)).map(([role, data]) => ({ role, version: 1, data })));
  return new TufNotaryService({ store, keys: new ServerKeys(store, keyBox(Buffer.alloc(32, 9))) });
}

let evidence: NotaryEvidence;
/** A role's signers as the decision reports them: verified key ids, with notary's canonical ids (the same for bare keys). */
const signer = (role: string, ids: readonly string[]) => ({ role, keyIds: ids, keys: ids.map((id) => ({ keyId: id, canonicalId: id })) });
const rootKeys = repo.keys.root.map((k) => ({ keyId: k.public.id, canonicalId: canonicalKeyId(k.public) }));
const decide = (tag: string | undefined, h: string, size: number): ContentTrustDecision => contentTrustDecision({ gun, digest: digest(h), size, tag, evidence });

test('stored data read back as a client fetches it verifies, root → timestamp → snapshot → targets → delegations', async () => {
  evidence = await readNotaryEvidence(await stored(repo), gun);
  assert.equal(evidence.state, 'verified', JSON.stringify(evidence));
  assert.deepEqual(await readNotaryEvidence(await stored(repo), 'reg.example:5000/team/none'), { state: 'none' });
});

test('by tag: the signed target must be the manifest; another digest or length is a mismatch naming both', () => {
  const targetsKeys = repo.keys.targets.map((k) => k.public.id);
  assert.deepEqual(decide('v1', d1, 100), { outcome: 'signed', message: `tag v1 signed by targets in ${gun}`, signers: [signer('targets', targetsKeys)], rootKeys });
  assert.deepEqual(decide('v1', d3, 100), {
    outcome: 'mismatch',
    message: `tag v1 is signed (targets) for sha256:${d1} (100 bytes), but the registry has sha256:${d3} (100 bytes) under it`,
  });
  assert.equal(decide('v1', d1, 101).outcome, 'mismatch');
  assert.deepEqual(decide('v2', d2, 200), { outcome: 'signed', message: `tag v2 signed by targets/releases in ${gun}`, signers: [signer('targets/releases', [releasesKey.public.id])], rootKeys });
  // `shared` is in both roles: targets/releases wins, as docker pull resolves it.
  assert.equal(decide('shared', d2, 200).outcome, 'signed');
  assert.equal(decide('shared', d1, 100).outcome, 'mismatch');
  assert.deepEqual(decide('nope', d1, 100), { outcome: 'unsigned', message: `tag nope is not signed in the Notary trust data for ${gun}` });
});

test('by digest: some verified role signs that digest and length', () => {
  const byDigest = decide(undefined, d2, 200);
  assert.equal(byDigest.outcome, 'signed');
  assert.deepEqual(byDigest.outcome === 'signed' && byDigest.signers.map((s) => s.role), ['targets/releases']);
  assert.equal(decide(undefined, d1, 100).outcome, 'signed');
  assert.equal(decide(undefined, d3, 100).outcome, 'unsigned');
  assert.equal(decide(undefined, d2, 999).outcome, 'unsigned');
});

test('by digest: an image listed by a signed index is signed through it; listed only by unsigned ones it is not', () => {
  const child = hex('child');
  const through = contentTrustDecision({ gun, digest: digest(child), size: 50, evidence, listedBy: [digest(d3), digest(d2)] });
  assert.deepEqual(through, {
    outcome: 'signed',
    message: `sha256:${child} is listed by an index signed by targets/releases in ${gun}`,
    signers: [signer('targets/releases', [releasesKey.public.id])],
    rootKeys,
  });
  assert.equal(contentTrustDecision({ gun, digest: digest(child), size: 50, evidence, listedBy: [digest(d3)] }).outcome, 'unsigned');
  assert.equal(contentTrustDecision({ gun, digest: digest(child), size: 50, tag: 'v2', evidence, listedBy: [digest(d2)] }).outcome, 'mismatch', 'by tag, only the tag counts');
  assert.deepEqual(signedDigests(evidence, 10).sort(), [digest(d1), digest(d2)].sort());
  assert.deepEqual(signedDigests(evidence, 1).length, 1);
  assert.deepEqual(signedDigests({ state: 'none' }, 10), []);
});

test('incomplete or tampered stored data is invalid, never signed', async () => {
  const missing = await readNotaryEvidence(await stored(repo, ['targets/releases']), gun);
  assert.deepEqual(missing, { state: 'invalid', error: 'targets/releases as snapshot records it is not stored' });
  const expired = buildRepo({ gun, targets: { v1: { sha256: d1, length: 100 } }, expires: new Date(Date.now() - 86400_000) });
  const stale = await readNotaryEvidence(await stored(expired), gun, new Date());
  assert.equal(stale.state, 'invalid');
  assert.match(contentTrustDecision({ gun, digest: digest(d1), size: 100, tag: 'v1', evidence: stale }).message, /does not verify: .*expired/);
});

test('the decision: cosign or content trust signs it; a mismatch refuses even a cosign-verified image; nothing at all is unsigned', () => {
  const identity = gun;
  const none = { verified: false, unsigned: true };
  const cosignOk = { verified: true, unsigned: false };
  const signed = decide('v1', d1, 100);
  const mismatch = decide('v1', d3, 100);
  assert.deepEqual(signatureDecision({ contentTrustCounts: true, identity, digest: digest(d1), cosign: none, contentTrust: signed }), { allowed: true });
  assert.deepEqual(signatureDecision({ contentTrustCounts: true, identity, digest: digest(d1), cosign: cosignOk, contentTrust: decide('nope', d1, 100) }), { allowed: true });
  const refused = signatureDecision({ contentTrustCounts: true, identity, digest: digest(d3), cosign: cosignOk, contentTrust: mismatch });
  assert.equal(refused.allowed, false);
  assert.equal(!refused.allowed && refused.reason, `${gun}: content trust: ${mismatch.message}`);
  const unsigned = signatureDecision({ contentTrustCounts: true, identity, digest: digest(d3), cosign: none, contentTrust: decide('nope', d3, 100) });
  assert.deepEqual(unsigned, { allowed: false, reason: `remote trust data does not exist for ${gun}; content trust: tag nope is not signed in the Notary trust data for ${gun}`, summary: 'unsigned' });
  const invalid = signatureDecision({ contentTrustCounts: true, identity, digest: digest(d3), cosign: none, contentTrust: { outcome: 'invalid', message: 'bad' } });
  assert.equal(!invalid.allowed && invalid.summary, 'no trusted signature');
  assert.deepEqual(signatureDecision({ contentTrustCounts: true, identity, digest: digest(d3), cosign: none }), { allowed: false, reason: `remote trust data does not exist for ${gun}`, summary: 'unsigned' });
  // Under a trust policy file (contentTrustCounts false) a Notary signature alone does not pass, and the refusal says why.
  const policyOnly = signatureDecision({ contentTrustCounts: false, identity, digest: digest(d1), cosign: none, contentTrust: signed });
  assert.deepEqual(policyOnly, {
    allowed: false,
    reason: `${gun}@sha256:${d1}: no signature; content trust: tag v1 signed by targets in ${gun} (not accepted: the trust policy does not name Notary as a source)`,
    summary: 'no trusted signature',
  });
  assert.deepEqual(signatureDecision({ contentTrustCounts: false, identity, digest: digest(d1), cosign: cosignOk, contentTrust: signed }), { allowed: true });
  // notary.authoritative: a tag Notary does not sign is refused although cosign verified it; a signed one passes.
  const authoritative = signatureDecision({ contentTrustCounts: true, contentTrustAuthoritative: true, identity, digest: digest(d1), cosign: cosignOk, contentTrust: decide('nope', d1, 100) });
  assert.equal(authoritative.allowed, false);
  assert.match(!authoritative.allowed ? authoritative.reason : '', /makes Notary authoritative for this repository and it does not sign this image \(tag nope is not signed/);
  assert.equal(signatureDecision({ contentTrustCounts: true, contentTrustAuthoritative: true, identity, digest: digest(d1), cosign: cosignOk }).allowed, false, 'no Notary service at all: refused');
  assert.deepEqual(signatureDecision({ contentTrustCounts: true, contentTrustAuthoritative: true, identity, digest: digest(d1), cosign: none, contentTrust: signed }), { allowed: true });
});
