/**
 * A trust session shared by many verifications: one pooled registry client,
 * the tag resolved again on every call (a moved tag is verified as the new
 * digest, never with an earlier answer), a revocation written between two
 * verifications seen by the second, and nothing usable after close().
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../src/image/transports/docker/client.js';
import { KeyStore } from '../../../src/trust/keys/store.js';
import { cosignTag } from '../../../src/trust/signatures/index.js';
import { openTrustSession, signImage, verifyImage } from '../../../src/engine/trust/index.js';
import { peerImages, startRegistry, type RegistryPeer } from '../../support/peers.js';
import { skopeoCopy } from '../../support/skopeo.js';

let registry: RegistryPeer;
let store: KeyStore;
const context = { tlsVerify: false };

before(async () => {
  const { tinyOci } = await peerImages('tiny');
  registry = await startRegistry();
  store = new KeyStore({ home: await mkdtemp(join(tmpdir(), 'portcullis-trust-session-')), scrypt: { N: 16384, r: 8, p: 1 } });
  await store.generate({ role: 'root', passphrase: 'r' });
  await store.generate({ role: 'repository', passphrase: 'p', repositories: [`${registry.host}/**`], rootPassphrase: 'r' });
  await skopeoCopy(tinyOci, `docker://${registry.host}/session/app:base`);
  // three distinct images (one annotation each) from the same blobs
  const client = await RegistryClient.create({ registry: registry.host, tlsVerify: false });
  try {
    const base = await client.getManifest('session/app', 'base');
    for (const tag of ['a', 'b', 'c', 'unsigned']) {
      const json = JSON.parse(base.bytes.toString()) as Record<string, unknown>;
      json.annotations = { 'test.tag': tag };
      await client.putManifest('session/app', tag, { bytes: Buffer.from(JSON.stringify(json)), mediaType: base.mediaType });
    }
  } finally {
    await client.close();
  }
});

after(async () => {
  await registry?.stop();
});

describe('trust session', () => {
  test('verifies many images through one client; each digest on its own evidence; a moved tag is resolved again', async () => {
    const key = await store.unlock('repository', 'p');
    const session = openTrustSession();
    try {
      const a = await signImage(`${registry.host}/session/app:a`, { key, context, session });
      const b = await signImage(`${registry.host}/session/app:b`, { key, context, session });
      assert.notEqual(a.digest, b.digest);
      for (let i = 0; i < 2; i++) {
        const ra = await verifyImage(`docker://${registry.host}/session/app:a`, { context, store, session });
        const rb = await verifyImage(`docker://${registry.host}/session/app:b`, { context, store, session });
        assert.equal(ra.digest, a.digest);
        assert.equal(rb.digest, b.digest);
        assert.equal(ra.verified, true);
        assert.equal(rb.verified, true);
        assert.deepEqual(ra.signatures.map((s) => s.status), ['verified', 'verified']);
      }
      assert.equal(session.clients.size, 1, 'one client for the registry');
      const unsigned = await verifyImage(`docker://${registry.host}/session/app:unsigned`, { context, store, session });
      assert.equal(unsigned.verified, false);
      assert.equal(unsigned.signatures.length, 0);
      // move tag a onto the unsigned image: the same session resolves it again and finds nothing signed
      const client = await session.clients.clientFor({ registry: registry.host, repository: 'session/app', tag: 'unsigned' }, context);
      const moved = await client.getManifest('session/app', 'unsigned');
      await client.putManifest('session/app', 'a', { bytes: moved.bytes, mediaType: moved.mediaType });
      const again = await verifyImage(`docker://${registry.host}/session/app:a`, { context, store, session });
      assert.equal(again.digest, moved.digest);
      assert.equal(again.verified, false);
      assert.equal(again.signatures.length, 0);
    } finally {
      await session.close();
    }
    await assert.rejects(verifyImage(`docker://${registry.host}/session/app:b`, { context, store, session }), /closed/);
  });

  test('a key revoked between two verifications of one session is refused by the second', async () => {
    const home = await mkdtemp(join(tmpdir(), 'portcullis-trust-session-revoke-'));
    const own = new KeyStore({ home, scrypt: { N: 16384, r: 8, p: 1 } });
    await own.generate({ role: 'root', passphrase: 'r' });
    const info = await own.generate({ role: 'repository', passphrase: 'p', repositories: [`${registry.host}/**`], rootPassphrase: 'r' });
    const session = openTrustSession();
    try {
      const ref = `docker://${registry.host}/session/app:b`;
      await signImage(ref, { key: await own.unlock(info.id, 'p'), context, session, layout: 'tag' });
      const first = await verifyImage(ref, { context, store: own, session });
      assert.equal(first.verified, true);
      await own.revoke(info.id, { rootPassphrase: 'r' });
      const second = await verifyImage(ref, { context, store: own, session });
      assert.equal(second.verified, false);
      assert.ok(second.signatures.some((s) => s.keyId === info.id && s.status === 'untrusted-key'));
    } finally {
      await session.close();
    }
  });

  test('a signature taken off the registry is gone for the next verification of the session (manifests are always read again)', async () => {
    const key = await store.unlock('repository', 'p');
    const session = openTrustSession();
    try {
      const ref = `docker://${registry.host}/session/app:c`;
      const signed = await signImage(ref, { key, context, session, layout: 'tag' });
      assert.equal((await verifyImage(ref, { context, store, session })).verified, true);
      const client = await session.clients.clientFor({ registry: registry.host, repository: 'session/app', tag: 'c' }, context);
      const tag = cosignTag(signed.digest, 'sig');
      const sig = await client.getManifest('session/app', tag);
      const emptied = { ...(JSON.parse(sig.bytes.toString()) as Record<string, unknown>), layers: [] };
      await client.putManifest('session/app', tag, { bytes: Buffer.from(JSON.stringify(emptied)), mediaType: sig.mediaType });
      const after = await verifyImage(ref, { context, store, session });
      assert.equal(after.signatures.length, 0);
      assert.equal(after.verified, false);
    } finally {
      await session.close();
    }
  });
});
