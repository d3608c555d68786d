/**
 * Notary as a trust source (engine/trust/notary-source.ts) against the real
 * notary-server, with metadata published by the real notary CLI: what each
 * answer becomes — signed (role, key ids), by digest, restricted roles,
 * expired metadata, a GUN the server does not know, a configured server that
 * cannot be reached.
 */
import assert from 'node:assert/strict';
import { access, copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parseImageRef } from '../../../src/core/index.js';
import { consultNotary } from '../../../src/engine/trust/notary-source.js';
import { TrustCache } from '../../../src/engine/notary/index.js';
import { buildRepo } from '../../trust/tuf/fixtures.js';
import type { RegistryClient } from '../../../src/image/transports/docker/index.js';
import { DEFAULT_NOTARY_RULE } from '../../../src/trust/index.js';
import { notaryDemo, randomTarget, startNotaryPeer, uniqueGun, type NotaryPeer } from '../../support/notary.js';

let peer: NotaryPeer;
let certDir: string;
const gun = uniqueGun('notary-source');
const target = randomTarget('latest');
// Only an explicit server is asked here: the registry client is never used.
const noRegistry = {} as unknown as RegistryClient;

before(async () => {
  peer = await startNotaryPeer();
  await notaryDemo(gun, target);
  certDir = await mkdtemp(join(tmpdir(), 'notary-source-certs-'));
  await mkdir(certDir, { recursive: true });
  await copyFile(peer.ca, join(certDir, 'ca.crt'));
});

async function consult(ref: string, options: { server?: string; now?: Date; roles?: string[] } = {}) {
  const home = await mkdtemp(join(tmpdir(), 'notary-source-home-'));
  const now = options.now;
  return consultNotary(
    parseImageRef(ref),
    noRegistry,
    { server: options.server ?? peer.url },
    options.roles ? { ...DEFAULT_NOTARY_RULE, roles: options.roles } : DEFAULT_NOTARY_RULE,
    { context: { env: { ...process.env, PORTCULLIS_HOME: home }, certDir }, ...(now ? { now: () => now } : {}) },
  );
}

test('a tag signed in targets/releases: digest, size, role and the delegation key that signed', async () => {
  const { finding, server } = await consult(`${gun}:latest`);
  assert.equal(server, peer.url);
  assert.equal(finding.kind, 'signed');
  if (finding.kind !== 'signed') return;
  assert.deepEqual([finding.digest, finding.size, finding.role, finding.tag], [`sha256:${target.sha256}`, target.size, 'targets/releases', 'latest']);
  assert.equal(finding.keyIds.length, 1);
});

test('roles: [targets] takes the admin role\'s target; by digest, a target of an accepted role with that digest', async () => {
  const { finding } = await consult(`${gun}:latest`, { roles: ['targets'] });
  assert.equal(finding.kind === 'signed' ? finding.role : finding.kind, 'targets');
  const byDigest = await consult(`${gun}@sha256:${target.sha256}`);
  assert.equal(byDigest.finding.kind === 'signed' ? byDigest.finding.tag : byDigest.finding.kind, 'latest');
  const otherDigest = await consult(`${gun}@sha256:${'0'.repeat(64)}`);
  assert.equal(otherDigest.finding.kind, 'not-signed');
  const tagAndDigest = await consult(`${gun}:latest@sha256:${'0'.repeat(64)}`);
  assert.equal(tagAndDigest.finding.kind, 'mismatch');
});

test('a tag not signed; a GUN the server does not know is no data', async () => {
  assert.equal((await consult(`${gun}:nope`)).finding.kind, 'not-signed');
  const unknown = await consult(`${uniqueGun('absent')}:latest`);
  assert.equal(unknown.finding.kind, 'no-data');
});

test('metadata expired at the clock used (the timestamp lives 14 days): a failure that refuses, named expired', async () => {
  const { finding } = await consult(`${gun}:latest`, { now: new Date(Date.now() + 30 * 86_400_000) });
  assert.equal(finding.kind, 'failed');
  if (finding.kind === 'failed') {
    assert.equal(finding.reason, 'expired');
    assert.match(finding.detail, /^EXPIRED: /);
  }
});

test('a configured server that cannot be reached is a failure, not "no data"', async () => {
  const { finding } = await consult(`${gun}:latest`, { server: 'https://127.0.0.1:1' });
  assert.equal(finding.kind, 'failed');
  assert.equal(finding.kind === 'failed' ? finding.reason : '', 'unavailable');
});

test('the registry host in capitals is the same GUN: it meets the root pinned for it, not a fresh trust on first use', async () => {
  const lower = `registry.example/case/${uniqueGun('x').split('/')[2]}`;
  const spelled = lower.replace('registry.example', 'REGISTRY.Example');
  await notaryDemo(lower, randomTarget('latest'));
  const at = async (home: string) =>
    consultNotary(parseImageRef(`${spelled}:latest`), noRegistry, { server: peer.url }, DEFAULT_NOTARY_RULE, { context: { env: { ...process.env, PORTCULLIS_HOME: home }, certDir } });
  // Trust on first use under the capitalised spelling pins the lowercase GUN.
  const fresh = await mkdtemp(join(tmpdir(), 'notary-source-home-'));
  assert.equal((await at(fresh)).finding.kind, 'signed');
  await access(join(fresh, 'trust', 'tuf', ...lower.split('/'), 'root.json'));
  await assert.rejects(access(join(fresh, 'trust', 'tuf', ...spelled.split('/'))));
  // A root pinned for the GUN (another one than the server now serves) is held against the capitalised spelling too.
  const pinned = await mkdtemp(join(tmpdir(), 'notary-source-home-'));
  await new TrustCache({ home: pinned }).save(lower, { root: buildRepo({ gun: lower }).root, versions: new Map([['root', 1]]) });
  const finding = (await at(pinned)).finding;
  assert.equal(finding.kind, 'failed', JSON.stringify(finding));
});
