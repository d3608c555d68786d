import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import {
  GENERATE_ALGORITHMS,
  KeyError,
  algorithmOf,
  generateKeyPair,
  keyIdOf,
  keyIdOfKey,
  publicKeyFromPem,
  publicKeyPem,
  signBytes,
  verifyBytes,
} from '../../../src/trust/keys/index.js';

const data = Buffer.from('portcullis signs this payload');

for (const algorithm of GENERATE_ALGORITHMS) {
  test(`${algorithm}: generate, export PEM, id = sha256(SPKI DER), sign/verify round trip`, () => {
    const pair = generateKeyPair(algorithm);
    assert.equal(pair.algorithm, algorithm);
    assert.equal(algorithmOf(pair.privateKey), algorithm);
    const pem = publicKeyPem(pair.publicKey);
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    const der = createPublicKey(pem).export({ format: 'der', type: 'spki' });
    assert.equal(pair.keyId, createHash('sha256').update(der).digest('hex'));
    assert.equal(keyIdOf(der), pair.keyId);
    assert.equal(keyIdOfKey(publicKeyFromPem(pem)), pair.keyId);

    const sig = signBytes(pair.privateKey, data);
    assert.equal(verifyBytes(pair.publicKey, data, sig), true);
    assert.equal(verifyBytes(pem, data, sig), true, 'PEM public keys verify too');
    assert.equal(verifyBytes(pair.publicKey, Buffer.from('another payload'), sig), false);
    const bad = Buffer.from(sig);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    assert.equal(verifyBytes(pair.publicKey, data, bad), false);
    const other = generateKeyPair(algorithm);
    assert.equal(verifyBytes(other.publicKey, data, sig), false);
    pair.pkcs8.fill(0);
  });
}

test('ECDSA P-256 signatures are ASN.1 DER over SHA-256 (as cosign)', () => {
  const pair = generateKeyPair('ecdsa-p256');
  const sig = signBytes(pair.privateKey, data);
  assert.equal(sig[0], 0x30, 'DER SEQUENCE');
  assert.ok(sig.length >= 8 && sig.length <= 72);
  assert.equal(nodeVerify('sha256', data, { key: pair.publicKey, dsaEncoding: 'der' }, sig), true);
  assert.equal(nodeVerify('sha384', data, { key: pair.publicKey, dsaEncoding: 'der' }, sig), false);
});

test('Ed25519 signatures are pure Ed25519 (64 bytes over the message)', () => {
  const pair = generateKeyPair('ed25519');
  const sig = signBytes(pair.privateKey, data);
  assert.equal(sig.length, 64);
  assert.equal(nodeVerify(null, data, pair.publicKey, sig), true);
});

test('RSA signatures are PKCS#1 v1.5 with SHA-256, not PSS', () => {
  const pair = generateKeyPair('rsa-3072');
  const sig = signBytes(pair.privateKey, data);
  assert.equal(sig.length, 384);
  assert.equal(nodeVerify('sha256', data, { key: pair.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig), true);
  assert.equal(nodeVerify('sha256', data, { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING }, sig), false);
});

test('keys outside the accepted set are refused with KEY_UNSUPPORTED', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.throws(() => algorithmOf(small.privateKey), (e: unknown) => e instanceof KeyError && e.code === 'KEY_UNSUPPORTED');
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  assert.throws(() => signBytes(k1.privateKey, data), (e: unknown) => e instanceof KeyError && e.code === 'KEY_UNSUPPORTED');
  assert.throws(() => generateKeyPair('dsa' as never), (e: unknown) => e instanceof KeyError && e.code === 'KEY_UNSUPPORTED');
});

test('signBytes refuses a public key', () => {
  const pair = generateKeyPair('ed25519');
  assert.throws(() => signBytes(pair.publicKey, data), (e: unknown) => e instanceof KeyError && e.code === 'ARGUMENT_INVALID');
});

test('verifyBytes refuses what is not a public key with a KeyError', () => {
  assert.throws(() => verifyBytes('not a pem', data, Buffer.alloc(64)), (e: unknown) => e instanceof KeyError && e.code === 'KEY_FORMAT_UNKNOWN');
});
