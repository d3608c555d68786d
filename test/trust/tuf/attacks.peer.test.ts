/**
 * Attacks the real CLI will not stage, on repositories built with our own
 * keys in Notary's exact shape (fixtures.ts): thresholds above one,
 * delegations signing outside their paths, root rotation chains.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { generateSigningKey, makeKey, parseSnapshotMetadata, TufError, verifyRepository, type RepositoryFiles } from '../../../src/trust/tuf/index.js';
import { buildRepo, certKey, type Repo } from './fixtures.js';

const gun = 'registry.example/team/app';
const H = 'ab'.repeat(32);
const code = (expected: string) => (e: unknown) => e instanceof TufError && e.code === expected;
const files = (r: Repo): RepositoryFiles => ({ root: r.root, timestamp: r.timestamp, snapshot: r.snapshot, targets: r.targets, delegations: r.delegations });

test('a synthetic repository in Notary shape verifies', () => {
  const repo = buildRepo({ gun, targets: { latest: { sha256: H, length: 10 } } });
  const v = verifyRepository(files(repo), { gun, now: new Date() });
  assert.deepEqual(v.targets.get('latest'), { name: 'latest', length: 10, sha256: H, role: 'targets' });
});

test('targets with threshold 2 and one valid signature is below threshold', () => {
  const keys = [generateSigningKey('ecdsa'), generateSigningKey('ed25519')];
  const ok = buildRepo({ gun, targetsKeys: keys, targetsThreshold: 2, targets: { latest: { sha256: H, length: 1 } } });
  assert.equal(verifyRepository(files(ok), { gun, now: new Date() }).targets.size, 1);
  const one = buildRepo({ gun, targetsKeys: keys, targetsThreshold: 2, targetsSigners: [keys[0]!], targets: { latest: { sha256: H, length: 1 } } });
  assert.throws(() => verifyRepository(files(one), { gun, now: new Date() }), code('THRESHOLD_NOT_MET'));
  // Two signatures by the same key count once.
  const twice = buildRepo({ gun, targetsKeys: keys, targetsThreshold: 2, targetsSigners: [keys[0]!, keys[0]!], targets: { latest: { sha256: H, length: 1 } } });
  assert.throws(() => verifyRepository(files(twice), { gun, now: new Date() }), code('THRESHOLD_NOT_MET'));
});

test('threshold 2 is not met by one key listed under two key ids (bare and certificate; compressed and uncompressed point)', () => {
  const cert = certKey('targets-signer');
  const bare = { public: makeKey('ecdsa', createPublicKey(cert.privateKey).export({ format: 'der', type: 'spki' })), privateKey: cert.privateKey };
  assert.notEqual(bare.public.id, cert.public.id);
  const one = buildRepo({ gun, targetsKeys: [bare, cert], targetsThreshold: 2, targets: { latest: { sha256: H, length: 1 } } });
  assert.throws(() => verifyRepository(files(one), { gun, now: new Date() }), (e: unknown) => code('THRESHOLD_NOT_MET')(e) && /1 valid signature \(2 key ids but 1 distinct key\), threshold is 2/.test((e as Error).message));
  const key = generateSigningKey('ecdsa');
  const jwk = createPublicKey(key.privateKey).export({ format: 'jwk' });
  const y = Buffer.from(String(jwk.y), 'base64url');
  const compressedPoint = Buffer.concat([Buffer.from([(y[y.length - 1]! & 1) === 1 ? 3 : 2]), Buffer.from(String(jwk.x), 'base64url')]);
  const compressed = { public: makeKey('ecdsa', Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), compressedPoint])), privateKey: key.privateKey };
  assert.notEqual(compressed.public.id, key.public.id);
  const encodings = buildRepo({ gun, targetsKeys: [key, compressed], targetsThreshold: 2, targets: { latest: { sha256: H, length: 1 } } });
  assert.throws(() => verifyRepository(files(encodings), { gun, now: new Date() }), code('THRESHOLD_NOT_MET'));
  // Two keys are two signers.
  const two = buildRepo({ gun, targetsKeys: [key, cert], targetsThreshold: 2, targets: { latest: { sha256: H, length: 1 } } });
  assert.equal(verifyRepository(files(two), { gun, now: new Date() }).targets.size, 1);
});

test('a signature by a key outside the role does not count', () => {
  const stranger = generateSigningKey('ecdsa');
  const repo = buildRepo({ gun, targetsSigners: [stranger], targets: { latest: { sha256: H, length: 1 } } });
  assert.throws(() => verifyRepository(files(repo), { gun, now: new Date() }), code('THRESHOLD_NOT_MET'));
});

test('a delegation signing outside its paths is refused', () => {
  const key = generateSigningKey('ecdsa');
  const repo = buildRepo({ gun, delegations: [{ name: 'targets/releases', keys: [key], paths: ['prod/'], targets: { latest: { sha256: H, length: 1 } } }] });
  assert.throws(() => verifyRepository(files(repo), { gun, now: new Date() }), code('DELEGATION_PATH_FORBIDDEN'));
  const inside = buildRepo({ gun, delegations: [{ name: 'targets/releases', keys: [key], paths: ['prod/'], targets: { 'prod/1': { sha256: H, length: 1 } } }] });
  assert.equal(verifyRepository(files(inside), { gun, now: new Date() }).targets.get('prod/1')?.role, 'targets/releases');
});

test('a nested delegation cannot widen the paths its parent was given', () => {
  const a = generateSigningKey('ecdsa');
  const b = generateSigningKey('ecdsa');
  const repo = buildRepo({
    gun,
    delegations: [
      { name: 'targets/team', keys: [a], paths: ['team/'], targets: {} },
      { name: 'targets/team/ci', keys: [b], paths: [''], targets: { 'other/x': { sha256: H, length: 1 } } },
    ],
  });
  assert.throws(() => verifyRepository(files(repo), { gun, now: new Date() }), code('DELEGATION_PATH_FORBIDDEN'));
});

test('a delegation signed by a key its parent did not list is below threshold', () => {
  const listed = generateSigningKey('ecdsa');
  const other = generateSigningKey('ecdsa');
  const repo = buildRepo({ gun, delegations: [{ name: 'targets/releases', keys: [listed], signers: [other], paths: [''], targets: {} }] });
  assert.throws(() => verifyRepository(files(repo), { gun, now: new Date() }), code('THRESHOLD_NOT_MET'));
});

test('targets resolve releases first, as docker pull asks notary', () => {
  const key = generateSigningKey('ecdsa');
  const other = 'cd'.repeat(32);
  const repo = buildRepo({
    gun,
    targets: { latest: { sha256: H, length: 1 }, only: { sha256: H, length: 2 } },
    delegations: [{ name: 'targets/releases', keys: [key], paths: [''], targets: { latest: { sha256: other, length: 3 } } }],
  });
  const v = verifyRepository(files(repo), { gun, now: new Date() });
  assert.deepEqual([v.targets.get('latest')?.role, v.targets.get('latest')?.sha256], ['targets/releases', other]);
  assert.equal(v.targets.get('only')?.role, 'targets');
});

test('root rotation: accepted through the N.root.json chain signed by old and new keys', () => {
  const k1 = certKey(gun);
  const k2 = certKey(gun);
  const k3 = certKey(gun);
  const v1 = buildRepo({ gun });
  const base = { ...v1.keys, root: [k1] };
  const r1 = buildRepo({ gun, rootKeys: [k1] }, base);
  const r2 = buildRepo({ gun, rootKeys: [k2], rootSigners: [k1, k2], rootVersion: 2 }, base);
  const r3 = buildRepo({ gun, rootKeys: [k3], rootSigners: [k2, k3], rootVersion: 3 }, base);
  const v = verifyRepository({ ...files(r3), rootChain: new Map([[2, r2.root]]) }, { gun, now: new Date(), trustedRoot: r1.root });
  assert.equal(v.root.signed.version, 3);
  // Without 2.root.json there is no path from v1 to v3.
  assert.throws(() => verifyRepository(files(r3), { gun, now: new Date(), trustedRoot: r1.root }), code('ROOT_ROTATION_INVALID'));
  // A v2 signed only by its own new key is not a rotation the old root agreed to.
  const rogue = buildRepo({ gun, rootKeys: [k2], rootSigners: [k2], rootVersion: 2 }, base);
  assert.throws(() => verifyRepository(files(rogue), { gun, now: new Date(), trustedRoot: r1.root }), code('ROOT_ROTATION_INVALID'));
  // Going back to v1 after trusting v2 is a rollback.
  assert.throws(() => verifyRepository(files(r1), { gun, now: new Date(), trustedRoot: r2.root }), code('ROLLBACK'));
});

test('root keys must be certificates for the GUN, valid now', () => {
  const plain = buildRepo({ gun, rootKeys: [generateSigningKey('ecdsa')] });
  assert.throws(() => verifyRepository(files(plain), { gun, now: new Date() }), code('ROOT_INVALID'));
  const otherCn = buildRepo({ gun, rootKeys: [certKey('registry.example/team/other')] });
  assert.throws(() => verifyRepository(files(otherCn), { gun, now: new Date() }), code('ROOT_INVALID'));
  const wildcard = buildRepo({ gun, rootKeys: [certKey('registry.example/team/*')] });
  assert.equal(verifyRepository(files(wildcard), { gun, now: new Date() }).root.signed.version, 1);
  const later = new Date(Date.now() + 2 * 86400_000);
  const shortLived = buildRepo({ gun, rootKeys: [certKey(gun, 1)] });
  assert.throws(() => verifyRepository(files(shortLived), { gun, now: later }), code('ROOT_INVALID'));
});

test('a file of one role given as another is a role mismatch', () => {
  const repo = buildRepo({ gun });
  assert.throws(() => parseSnapshotMetadata(repo.targets), code('ROLE_MISMATCH'));
});

test('malformed metadata is refused', () => {
  assert.throws(() => parseSnapshotMetadata(Buffer.from('{"signed":')), code('METADATA_INVALID'));
  const repo = buildRepo({ gun });
  const snap = JSON.parse(repo.snapshot.toString()) as { signed: { version: number } };
  snap.signed.version = 0;
  assert.throws(() => parseSnapshotMetadata(Buffer.from(JSON.stringify(snap))), code('METADATA_INVALID'));
});
