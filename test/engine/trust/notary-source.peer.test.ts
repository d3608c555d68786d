/**
 * Notary as a trust source (engine/trust/notary-source.ts) against the real
 * notary-server, with metadata published by the real notary CLI: what each
 * answer becomes — signed (role, key ids), by digest, restricted roles,
 * expired metadata, a GUN the server does not know, a configured server that
 * cannot be reached.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parseImageRef } from '../../../src/core/index.js';
import { consultNotary } from '../../../src/engine/trust/notary-source.js';
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
