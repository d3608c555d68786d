/**
 * The Notary client against the real notary-server with publications by the
 * real notary CLI: lookup of the signed tag, trust on first use stored 0600
 * under the trust dir, a republish seen as a version bump, a rotated root
 * followed through N.root.json, and a swapped GUN root refused.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { NotaryClient, NotaryError } from '../../../src/engine/notary/index.js';
import { HttpError } from '../../../src/http/index.js';
import { TufError } from '../../../src/trust/tuf/index.js';
import { notaryCli, notaryDemo, randomTarget, startNotaryPeer, uniqueGun, type NotaryPeer } from '../../support/notary.js';

let peer: NotaryPeer;
let home: string;
const gun = uniqueGun('engine-notary');
const first = randomTarget('latest');

before(async () => {
  peer = await startNotaryPeer();
  home = await mkdtemp(join(tmpdir(), 'portcullis-home-'));
  await notaryDemo(gun, first);
});

const open = (h = home) => NotaryClient.open({ server: peer.url, caFile: peer.ca, home: h });

test('lookupSignedTarget answers the digest the real CLI signed, and caches the root 0600 / 0700', async () => {
  const client = await open();
  try {
    const signed = await client.lookupSignedTarget(gun, 'latest');
    assert.deepEqual(signed, { digest: `sha256:${first.sha256}`, size: first.size, role: 'targets/releases' });
    const dir = client.cache.gunDirectory(gun);
    assert.equal(dir, join(home, 'trust', 'tuf', ...gun.split('/')));
    assert.equal((await stat(join(dir, 'root.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'versions.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    await assert.rejects(client.lookupSignedTarget(gun, 'nope'), (e: unknown) => e instanceof NotaryError && e.code === 'TARGET_NOT_SIGNED');
  } finally {
    await client.close();
  }
});

test('a republish is picked up with higher versions; unknown GUNs are not found', async () => {
  const next = randomTarget('v2');
  await notaryDemo(gun, next);
  const client = await open();
  try {
    const before = (await client.cache.load(gun))?.versions.get('targets') ?? 0;
    assert.deepEqual(await client.lookupSignedTarget(gun, 'v2'), { digest: `sha256:${next.sha256}`, size: next.size, role: 'targets/releases' });
    assert.ok(((await client.cache.load(gun))?.versions.get('targets') ?? 0) > before);
    await assert.rejects(client.update(uniqueGun('absent')), (e: unknown) => e instanceof HttpError && e.code === 'NOT_FOUND');
  } finally {
    await client.close();
  }
});

test('a root rotated with `notary key rotate <gun> root` is followed through its chain', async () => {
  const cli = { server: peer.url, trustDir: peer.trustDir, ca: peer.ca };
  const rotated = await notaryCli(cli, ['key', 'rotate', gun, 'root']);
  assert.equal(rotated.code, 0, rotated.stderr);
  const client = await open();
  try {
    const repo = await client.update(gun);
    assert.equal(repo.root.signed.version, 2);
    assert.equal(repo.targets.get('latest')?.sha256, first.sha256);
  } finally {
    await client.close();
  }
});

test('a trusted root that is not the served one refuses the GUN; a readable cache is refused', async () => {
  const other = uniqueGun('engine-notary-other');
  await notaryDemo(other, randomTarget('latest'));
  const client = await open();
  try {
    // Pretend we trusted the other GUN's root for this one: the served root is not signed by it.
    const otherRoot = (await (async () => {
      const c2 = await open(await mkdtemp(join(tmpdir(), 'portcullis-home-')));
      try {
        return (await c2.update(other)).root.bytes;
      } finally {
        await c2.close();
      }
    })());
    const dir = client.cache.gunDirectory(gun);
    await writeFile(join(dir, 'root.json'), otherRoot, { mode: 0o600 });
    await assert.rejects(client.update(gun), (e: unknown) => e instanceof TufError && (e.code === 'ROOT_ROTATION_INVALID' || e.code === 'ROLLBACK'));
    await chmod(join(dir, 'root.json'), 0o644);
    await assert.rejects(client.update(gun), (e: unknown) => e instanceof NotaryError && e.code === 'TRUST_CACHE_INSECURE');
  } finally {
    await client.close();
  }
});
