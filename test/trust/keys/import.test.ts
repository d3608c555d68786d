import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { KeyError, encryptPrivateKey, generateKeyPair, parseKeyMaterial } from '../../../src/trust/keys/index.js';

function isCode(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

test('plain PKCS#8 PEM, SEC 1 and PKCS#1 private keys import without a passphrase', async () => {
  const ec = generateKeyPair('ecdsa-p256');
  const pkcs8 = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const sec1 = ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string;
  for (const [pem, format] of [[pkcs8, 'pkcs8'], [sec1, 'sec1']] as const) {
    const parsed = await parseKeyMaterial(pem);
    assert.equal(parsed.kind, 'private');
    assert.equal(parsed.format, format);
    assert.equal(parsed.keyId, ec.keyId);
  }
  const rsa = generateKeyPair('rsa-3072');
  const pkcs1 = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  const parsed = await parseKeyMaterial(Buffer.from(pkcs1));
  assert.equal(parsed.format, 'pkcs1');
  assert.equal(parsed.algorithm, 'rsa-3072');
  assert.equal(parsed.keyId, rsa.keyId);
});

test('DER PKCS#8 and DER SubjectPublicKeyInfo import', async () => {
  const ed = generateKeyPair('ed25519');
  const priv = await parseKeyMaterial(ed.pkcs8);
  assert.equal(priv.kind, 'private');
  assert.equal(priv.keyId, ed.keyId);
  const pub = await parseKeyMaterial(ed.spki);
  assert.equal(pub.kind, 'public');
  assert.equal(pub.keyId, ed.keyId);
});

test('our own format imports with its passphrase and carries its metadata', async () => {
  const pair = generateKeyPair('ed25519');
  const created = '2024-06-01T00:00:00.000Z';
  const pem = await encryptPrivateKey(pair.pkcs8, 'pw-own', { role: 'root', algorithm: 'ed25519', keyId: pair.keyId, created }, { scrypt: { N: 2 ** 14, r: 8, p: 1 } });
  const parsed = await parseKeyMaterial(pem, { passphrase: 'pw-own' });
  assert.equal(parsed.kind, 'private');
  assert.equal(parsed.format, 'portcullis');
  if (parsed.kind === 'private') assert.deepEqual(parsed.metadata, { role: 'root', algorithm: 'ed25519', keyId: pair.keyId, created });
  await assert.rejects(parseKeyMaterial(pem), isCode('PASSPHRASE_REQUIRED'));
  await assert.rejects(parseKeyMaterial(pem, { passphrase: 'nope' }), isCode('PASSPHRASE_INVALID'));
});

test('refused and unknown inputs', async () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const encPkcs8 = ec.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
  await assert.rejects(parseKeyMaterial(encPkcs8, { passphrase: 'x' }), isCode('KEY_FORMAT_UNKNOWN'));
  const legacy = ec.privateKey.export({ format: 'pem', type: 'sec1', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
  await assert.rejects(parseKeyMaterial(legacy, { passphrase: 'x' }), isCode('KEY_FORMAT_UNKNOWN'));
  await assert.rejects(parseKeyMaterial('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), isCode('KEY_FORMAT_UNKNOWN'));
  await assert.rejects(parseKeyMaterial(Buffer.from([1, 2, 3, 4])), isCode('KEY_FORMAT_UNKNOWN'));
  const pub = ec.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  await assert.rejects(parseKeyMaterial(pub + pub), isCode('KEY_FORMAT_UNKNOWN'));
  await assert.rejects(parseKeyMaterial('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), isCode('KEY_CORRUPT'));
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  await assert.rejects(parseKeyMaterial(k1.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string), isCode('KEY_UNSUPPORTED'));
});

test('one EC key has one key id, whether its point is compressed or not (else one private key met threshold 2)', async () => {
  const ec = generateKeyPair('ecdsa-p256');
  const jwk = ec.publicKey.export({ format: 'jwk' });
  const y = Buffer.from(String(jwk.y), 'base64url');
  const compressed = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), Buffer.from([(y[31]! & 1) === 1 ? 3 : 2]), Buffer.from(String(jwk.x), 'base64url')]);
  assert.notEqual(compressed.length, ec.spki.length);
  const pem = `-----BEGIN PUBLIC KEY-----\n${compressed.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  for (const material of [compressed, pem]) {
    const parsed = await parseKeyMaterial(material);
    assert.equal(parsed.kind, 'public');
    assert.equal(parsed.keyId, ec.keyId);
  }
});
