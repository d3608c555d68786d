/**
 * verifyRepository against what the real notary CLI published to the real
 * notary-server (../shared/peers/notary.sh demo, run here), then the same
 * bytes tampered with, replayed, or checked in the future.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { notaryDemo, randomTarget, startNotaryPeer, uniqueGun, type DemoOutput, type NotaryPeer } from '../../support/notary.js';
import { canonicalKeyId, parseRootMetadata, parseTargetsMetadata, TufError, verifyRepository, type RepositoryFiles } from '../../../src/trust/tuf/index.js';

let peer: NotaryPeer;
let first: DemoOutput;
let second: DemoOutput;
const gun = uniqueGun('tuf-verify');
let now: Date;

const filesOf = (demo: DemoOutput): RepositoryFiles => ({
  root: demo.files.root,
  timestamp: demo.files.timestamp,
  snapshot: demo.files.snapshot,
  targets: demo.files.targets,
  delegations: new Map([['targets/releases', demo.files.releases]]),
});

const code = (expected: string) => (e: unknown) => e instanceof TufError && e.code === expected;

before(async () => {
  peer = await startNotaryPeer();
  first = await notaryDemo(gun, randomTarget('latest'));
  // A second publish of another tag bumps targets, releases, snapshot and timestamp.
  second = await notaryDemo(gun, randomTarget('v2'));
  now = new Date(); // after `init`: the root certificate is valid from its creation second on
});

test('the real notary publication verifies and yields exactly the target published', () => {
  const repo = verifyRepository(filesOf(first), { gun, now });
  const latest = repo.targets.get('latest');
  assert.deepEqual(
    { sha256: latest?.sha256, length: latest?.length, role: latest?.role },
    { sha256: first.target.sha256, length: first.target.size, role: 'targets/releases' },
  );
  assert.equal(repo.byRole.get('targets')?.get('latest')?.sha256, first.target.sha256);
  assert.deepEqual([...repo.targets.keys()], ['latest']);
  assert.equal(repo.versions.get('root'), 1);
});

test('the second publication carries both tags with bumped versions', () => {
  const a = verifyRepository(filesOf(first), { gun, now });
  const b = verifyRepository(filesOf(second), { gun, now, trustedRoot: first.files.root, previousVersions: a.versions });
  assert.equal(b.targets.get('v2')?.sha256, second.target.sha256);
  assert.equal(b.targets.get('v2')?.length, second.target.size);
  assert.equal(b.targets.get('latest')?.sha256, first.target.sha256);
  for (const role of ['timestamp', 'snapshot', 'targets', 'targets/releases']) {
    assert.ok((b.versions.get(role) ?? 0) > (a.versions.get(role) ?? 0), role);
  }
});

test('the CLI names private key files by the canonical key ID, root.json lists the certificate ID', async () => {
  const root = parseRootMetadata(first.files.root);
  const rootKey = root.signed.keys.get(root.signed.roles.get('root')?.keyids[0] ?? '');
  assert.ok(rootKey);
  const privateFiles = await readdir(join(peer.trustDir, 'private'));
  assert.ok(privateFiles.includes(`${canonicalKeyId(rootKey)}.key`));
  assert.ok(!privateFiles.includes(`${rootKey.id}.key`));
  const delegationKey = parseTargetsMetadata(first.files.targets).signed.delegationKeys.values().next().value;
  assert.ok(delegationKey);
  assert.ok(privateFiles.includes(`${canonicalKeyId(delegationKey)}.key`));
});

test('a flipped byte in targets.json is a hash mismatch', () => {
  const targets = Buffer.from(first.files.targets);
  const at = targets.indexOf('"sig":"') + 10;
  targets[at] = targets[at] === 0x41 ? 0x42 : 0x41;
  assert.throws(() => verifyRepository({ ...filesOf(first), targets }, { gun, now }), code('HASH_MISMATCH'));
});

test('a truncated targets/releases.json is a length mismatch', () => {
  const releases = first.files.releases.subarray(0, first.files.releases.length - 1);
  assert.throws(() => verifyRepository({ ...filesOf(first), delegations: new Map([['targets/releases', releases]]) }, { gun, now }), code('LENGTH_MISMATCH'));
});

test('metadata checked after its expiry is refused (freeze)', () => {
  const later = new Date(now.getTime() + 30 * 86400_000); // the server's timestamp lives 14 days
  assert.throws(() => verifyRepository(filesOf(first), { gun, now: later }), code('EXPIRED'));
});

test('replaying the older snapshot after seeing the newer one is a rollback', () => {
  const b = verifyRepository(filesOf(second), { gun, now });
  assert.throws(
    () => verifyRepository(filesOf(first), { gun, now, previousVersions: new Map([['snapshot', b.versions.get('snapshot') ?? 0]]) }),
    code('ROLLBACK'),
  );
  assert.throws(() => verifyRepository(filesOf(first), { gun, now, previousVersions: b.versions }), code('ROLLBACK'));
});

test('mix and match: the new timestamp with the old snapshot does not verify', () => {
  assert.throws(
    () => verifyRepository({ ...filesOf(first), timestamp: second.files.timestamp }, { gun, now }),
    (e: unknown) => e instanceof TufError && (e.code === 'LENGTH_MISMATCH' || e.code === 'HASH_MISMATCH'),
  );
});

test('timestamp without its signature is below threshold', () => {
  const ts = JSON.parse(first.files.timestamp.toString('utf8')) as { signatures: unknown[] };
  ts.signatures = [];
  assert.throws(() => verifyRepository({ ...filesOf(first), timestamp: Buffer.from(JSON.stringify(ts)) }, { gun, now }), code('THRESHOLD_NOT_MET'));
});

test('the root of one GUN is not trusted for another', () => {
  assert.throws(() => verifyRepository(filesOf(first), { gun: `${gun}-other`, now }), code('ROOT_INVALID'));
});

test('a delegation named in snapshot but not supplied is missing metadata', () => {
  assert.throws(() => verifyRepository({ ...filesOf(first), delegations: new Map() }, { gun, now }), code('METADATA_MISSING'));
});
