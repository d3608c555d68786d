/**
 * Byte-level compatibility with cosign, both directions: signatures made by
 * cosign (published fixtures) verify here; signatures made here verify with
 * an independent implementation of cosign's check (openssl over the exact
 * payload bytes) and have exactly cosign's payload shape.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { keyIdOfKey } from '../../../src/trust/keys/keys.js';
import {
  SignatureError,
  appendToSignatureManifest,
  cosignTag,
  layerSignature,
  parseBundle,
  parseEnvelope,
  parseSimpleSigningPayload,
  parseStatement,
  readSignatureLayers,
  signatureLayer,
  verifyEnvelope,
  verifySignature,
  type CandidateKey } from '../../../src/trust/signatures/index.js';
import * as fx from './fixtures.js';

const DIGEST = 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00' as const;

function candidate(pem: string, trusted = true, reason = 'explicit'): CandidateKey {
  const publicKey = createPublicKey(pem);
  return { id: keyIdOfKey(publicKey), publicKey, source: 'file', trusted, reason };
}

describe('cosign-made signatures verify in portcullis', () => {
  test('simple signing (containers/image cosign fixture)', () => {
    const payload = Buffer.from(fx.COSIGN_PAYLOAD_B64, 'base64');
    const check = verifySignature(
      { layout: 'tag', location: 'fixture', kind: 'simple-signing', payload, signature: Buffer.from(fx.COSIGN_SIGNATURE_B64, 'base64') },
      { digest: fx.COSIGN_MANIFEST_DIGEST as `sha256:${string}`, repository: '192.168.64.2:5000/cosign-signed-single-sample' },
      [candidate(fx.COSIGN_PUB)],
    );
    assert.equal(check.status, 'verified', check.message);
    assert.equal(check.identity, 'match');
    const parsed = parseSimpleSigningPayload(payload);
    assert.equal(parsed.manifestDigest, fx.COSIGN_MANIFEST_DIGEST);
  });

  test('the same signature with one payload byte changed does not verify', () => {
    const payload = Buffer.from(fx.COSIGN_PAYLOAD_B64, 'base64');
    payload[payload.length - 3] = payload[payload.length - 3]! ^ 1;
    const check = verifySignature(
      { layout: 'tag', location: 'fixture', kind: 'simple-signing', payload, signature: Buffer.from(fx.COSIGN_SIGNATURE_B64, 'base64') },
      { digest: DIGEST, repository: 'x/y' },
      [candidate(fx.COSIGN_PUB)],
    );
    assert.equal(check.status, 'unknown-key');
  });

  test('DSSE envelope (cosign verify_blob_attestation_test fixture)', () => {
    const envelope = parseEnvelope(Buffer.from(fx.COSIGN_DSSE_ENVELOPE_B64, 'base64'));
    assert.equal(verifyEnvelope(envelope, createPublicKey(fx.COSIGN_DSSE_PUB)), true);
    const statement = parseStatement(envelope.payload);
    assert.equal(statement.subject[0]?.digest.sha256, '658781cd4ed9bca60dacd09f7bb914bb51502e8b5d619f57f39a1d652596cc24');
    assert.equal(verifyEnvelope(envelope, createPublicKey(fx.COSIGN_PUB)), false);
  });

  test('Sigstore bundle with a public-key hint (sigstore-js fixture)', () => {
    const bundle = parseBundle(Buffer.from(JSON.stringify(fx.SIGSTORE_JS_BUNDLE)));
    assert.equal(bundle.keyHint, 'key-1');
    assert.ok(bundle.dsseEnvelope);
    assert.equal(verifyEnvelope(bundle.dsseEnvelope, createPublicKey(fx.SIGSTORE_JS_KEY_1)), true);
    assert.equal(bundle.dsseEnvelope.payload.toString(), 'hello, world!');
  });
});

describe('simple-signing parsing matches cosign', () => {
  test('keys match case-insensitively, ambiguous keys are refused', () => {
    const p = parseSimpleSigningPayload(Buffer.from(`{"Critical":{"Identity":{"Docker-Reference":"a/b"},"image":{"Docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`));
    assert.equal(p.manifestDigest, DIGEST);
    assert.equal(p.dockerReference, 'a/b');
    assert.throws(
      () => parseSimpleSigningPayload(Buffer.from(`{"critical":{"identity":{},"image":{"docker-manifest-digest":"${DIGEST}","Docker-Manifest-Digest":"${DIGEST}"},"type":"cosign container image signature"}}`)),
      (e: unknown) => e instanceof SignatureError && e.code === 'PAYLOAD_INVALID',
    );
    assert.throws(() => parseSimpleSigningPayload(Buffer.from('{"critical":{"type":"other"}}')), (e: unknown) => e instanceof SignatureError && e.code === 'PAYLOAD_INVALID');
  });

  test('keys fold as Go folds them: ſ is s and the Kelvin sign is k, so a second digest spelled with them is refused, not skipped', () => {
    const OTHER = `sha256:${'b'.repeat(64)}`;
    const payload = (image: string) => Buffer.from(`{"critical":{"identity":{"docker-reference":"a/b"},"image":{${image}},"type":"cosign container image signature"},"optional":null}`);
    assert.equal(parseSimpleSigningPayload(payload(`"docker-manife\u017ft-digest":"${OTHER}"`)).manifestDigest, OTHER);
    assert.equal(parseSimpleSigningPayload(Buffer.from(`{"critical":{"identity":{"doc\u212aer-reference":"a/b"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"}}`)).dockerReference, 'a/b');
    for (const twice of [`"docker-manifest-digest":"${DIGEST}","docker-manife\u017ft-digest":"${OTHER}"`, `"docker-manife\u017ft-digest":"${OTHER}","docker-manifest-digest":"${DIGEST}"`]) {
      assert.throws(() => parseSimpleSigningPayload(payload(twice)), (e: unknown) => e instanceof SignatureError && e.code === 'PAYLOAD_INVALID' && /ambiguous keys/.test(e.message));
    }
  });
});

describe('cosign tag layout', () => {
  test('adding a signature appends a layer and never drops another', () => {
    assert.equal(cosignTag(DIGEST), `sha256-${DIGEST.slice(7)}.sig`);
    const one = appendToSignatureManifest(undefined, [signatureLayer(Buffer.from('p1'), Buffer.from('s1'))]);
    const two = appendToSignatureManifest(one.manifest, [signatureLayer(Buffer.from('p2'), Buffer.from('s2'))]);
    const layers = readSignatureLayers(two.manifest);
    assert.equal(layers.length, 2);
    assert.deepEqual(layerSignature(layers[0]!), Buffer.from('s1'));
    assert.deepEqual(layerSignature(layers[1]!), Buffer.from('s2'));
    const again = appendToSignatureManifest(two.manifest, [signatureLayer(Buffer.from('p2'), Buffer.from('s2'))]);
    assert.equal(again.changed, false);
    assert.equal(readSignatureLayers(again.manifest).length, 2);
  });

  test('a .sig manifest of more than 256 layers is refused whole, not read layer by layer', () => {
    let built = appendToSignatureManifest(undefined, [signatureLayer(Buffer.from('p0'), Buffer.from('s0'))]);
    for (let i = 1; i < 256; i++) built = appendToSignatureManifest(built.manifest, [signatureLayer(Buffer.from(`p${i}`), Buffer.from(`s${i}`))]);
    assert.equal(readSignatureLayers(built.manifest).length, 256);
    assert.throws(() => appendToSignatureManifest(built.manifest, [signatureLayer(Buffer.from('p256'), Buffer.from('s256'))]), (e: unknown) => e instanceof SignatureError && e.code === 'SIGNATURE_MANIFEST_INVALID');
    const json = JSON.parse(built.manifest.toString()) as { layers: unknown[] };
    json.layers.push(json.layers[0]);
    assert.throws(() => readSignatureLayers(Buffer.from(JSON.stringify(json))), (e: unknown) => e instanceof SignatureError && e.code === 'SIGNATURE_MANIFEST_INVALID' && /257 layers, over 256/.test(e.message));
  });
});
