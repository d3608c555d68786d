/** The trust engine with a store in a temp home: sign/verify by API, and content trust pinning the verified digest. */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ManifestBlob } from '../../../src/image/types.js';
import { KeyStore } from '../../../src/trust/keys/store.js';
import { enforceContentTrust, signImage, TrustError, verifyImage } from '../../../src/engine/trust/index.js';
import { peerImages, startRegistry, type RegistryPeer } from '../../support/peers.js';
import { skopeoCopy, skopeoInspect } from '../../support/skopeo.js';

let registry: RegistryPeer;
let store: KeyStore;
let oci: string;
const context = { tlsVerify: false };

before(async () => {
  oci = (await peerImages('tiny')).tinyOci;
  registry = await startRegistry();
  const home = await mkdtemp(join(tmpdir(), 'portcullis-engine-trust-'));
  store = new KeyStore({ home, scrypt: { N: 16384, r: 8, p: 1 } });
  await store.generate({ role: 'root', passphrase: 'r' });
  await store.generate({ role: 'repository', passphrase: 'p', repositories: [`${registry.host}/**`], rootPassphrase: 'r' });
});

after(async () => {
  await registry?.stop();
});

describe('trust engine', () => {
  test('signImage signs the digest the tag resolves to; verifyImage reports who signed what', async () => {
    const ref = `${registry.host}/engine/app:1`;
    await skopeoCopy(oci, `docker://${ref}`);
    const digest = (await skopeoInspect(oci)).Digest;
    const key = await store.unlock('repository', 'p');
    const signed = await signImage(ref, { key, context });
    assert.equal(signed.digest, digest);
    assert.deepEqual(signed.pushed.map((p) => p.layout), ['tag', 'bundle']);
    const report = await verifyImage(`docker://${ref}`, { context, store });
    assert.equal(report.verified, true);
    assert.ok(report.signatures.every((s) => s.keyId === key.id && s.status === 'verified'));
  });

  test('content trust pins the source to the verified digest and refuses any other manifest', async () => {
    const ref = `${registry.host}/engine/pin:1`;
    await skopeoCopy(oci, `docker://${ref}`);
    await signImage(ref, { key: await store.unlock('repository', 'p'), context, layout: 'bundle' });
    const result = await enforceContentTrust(`docker://${ref}`, { context, contentTrust: true, store });
    assert.ok(result);
    assert.equal(result.source, `docker://${registry.host}/engine/pin@${result.digest}`);
    await result.beforeCopy({ digest: result.digest } as ManifestBlob);
    await assert.rejects(result.beforeCopy({ digest: `sha256:${'0'.repeat(64)}` } as ManifestBlob), (e: unknown) => e instanceof TrustError && e.code === 'TRUST_REFUSED');
    // off, no policy: nothing enforced, nothing fetched
    assert.equal(await enforceContentTrust(`docker://${ref}`, { context, contentTrust: false, store }), undefined);
    // unsigned: Docker's message
    const unsigned = `${registry.host}/engine/unsigned:1`;
    await skopeoCopy(oci, `docker://${unsigned}`);
    await assert.rejects(enforceContentTrust(`docker://${unsigned}`, { context, contentTrust: true, store }), (e: unknown) => e instanceof TrustError && e.code === 'TRUST_REFUSED' && e.message === `remote trust data does not exist for ${registry.host}/engine/unsigned`);
  });
});
