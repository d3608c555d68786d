import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SCRYPT,
  ENCRYPTED_KEY_LABEL,
  GENERATE_ALGORITHMS,
  KeyError,
  decryptPrivateKey,
  encryptPrivateKey,
  generateKeyPair,
  keyIdOfKey,
  readEncryptedKey,
  signBytes,
  verifyBytes,
  type EncryptedKeyMetadata,
  type GenerateAlgorithm,
} from '../../../src/trust/keys/index.js';
import { editPemJson, errorText, flipBase64, thrown } from './fixtures.js';

const PASS = 'correct horse battery staple \u00e9';
const FAST = { scrypt: { N: 2 ** 14, r: 8, p: 1 } };

async function sealed(algorithm: GenerateAlgorithm, options = FAST) {
  const pair = generateKeyPair(algorithm);
  const metadata: EncryptedKeyMetadata = { role: 'repository', algorithm, keyId: pair.keyId, created: '2025-01-02T03:04:05.000Z' };
  const pem = await encryptPrivateKey(pair.pkcs8, PASS, metadata, options);
  return { pair, pem, metadata };
}

function isCode(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

for (const algorithm of GENERATE_ALGORITHMS) {
  test(`${algorithm}: encrypt → decrypt round trip gives back the same key`, async () => {
    const { pair, pem, metadata } = await sealed(algorithm);
    assert.ok(pem.startsWith(`-----BEGIN ${ENCRYPTED_KEY_LABEL}-----\n`));
    const { privateKey, metadata: read } = await decryptPrivateKey(pem, PASS);
    assert.deepEqual(read, metadata);
    assert.equal(keyIdOfKey(privateKey), pair.keyId);
    assert.deepEqual(privateKey.export({ format: 'der', type: 'pkcs8' }), Buffer.from(pair.pkcs8), 'the same PKCS#8 bytes');
    const msg = Buffer.from('after the round trip');
    assert.equal(verifyBytes(pair.publicKey, msg, signBytes(privateKey, msg)), true);
  });
}

test('default parameters are N=2^17 r=8 p=1 and are stored in the file', async () => {
  assert.deepEqual({ ...DEFAULT_SCRYPT }, { N: 131072, r: 8, p: 1 });
  const { pem } = await sealed('ecdsa-p256', {} as typeof FAST);
  const file = readEncryptedKey(pem);
  assert.deepEqual({ ...file.kdf.params }, { N: 131072, r: 8, p: 1 });
  assert.equal(file.kdf.salt.length, 32);
  assert.equal(file.cipher.name, 'aes-256-gcm');
  assert.equal(file.cipher.nonce.length, 12);
  const { metadata } = await decryptPrivateKey(pem, PASS);
  assert.equal(metadata.algorithm, 'ecdsa-p256');
});

test('the same passphrase in another Unicode normalisation opens the key (NFC)', async () => {
  const { pair, pem, metadata } = await sealed('ed25519');
  const nfd = PASS.normalize('NFD');
  assert.notEqual(nfd, PASS, 'the passphrase really has another normalisation');
  const { privateKey, metadata: read } = await decryptPrivateKey(pem, nfd);
  assert.deepEqual(privateKey.export({ format: 'der', type: 'pkcs8' }), Buffer.from(pair.pkcs8), 'the original key, byte for byte');
  assert.deepEqual(read, metadata);
  const msg = Buffer.from('opened with the NFD passphrase');
  assert.equal(verifyBytes(pair.publicKey, msg, signBytes(privateKey, msg)), true);
});

test('wrong passphrase → PASSPHRASE_INVALID, and the message never holds a passphrase', async () => {
  const { pem } = await sealed('ecdsa-p256');
  const wrong = 'not-the-passphrase-4711';
  const err = await thrown(() => decryptPrivateKey(pem, wrong));
  assert.ok(isCode('PASSPHRASE_INVALID')(err), String(err));
  const text = errorText(err);
  assert.ok(!text.includes(wrong));
  assert.ok(!text.includes(PASS));
});

test('empty passphrase is refused for encryption and decryption', async () => {
  const pair = generateKeyPair('ed25519');
  const meta: EncryptedKeyMetadata = { role: 'root', algorithm: 'ed25519', keyId: pair.keyId, created: new Date().toISOString() };
  await assert.rejects(encryptPrivateKey(pair.pkcs8, '', meta, FAST), isCode('PASSPHRASE_REQUIRED'));
  const pem = await encryptPrivateKey(pair.pkcs8, PASS, meta, FAST);
  await assert.rejects(decryptPrivateKey(pem, ''), isCode('PASSPHRASE_REQUIRED'));
});

test('metadata that does not describe the key is refused at encryption', async () => {
  const pair = generateKeyPair('ed25519');
  const other = generateKeyPair('ed25519');
  await assert.rejects(
    encryptPrivateKey(pair.pkcs8, PASS, { role: 'root', algorithm: 'ed25519', keyId: other.keyId, created: new Date().toISOString() }, FAST),
    isCode('ARGUMENT_INVALID'),
  );
});

test('the passphrase does not appear in the file, in any encoding', async () => {
  const { pem } = await sealed('rsa-3072');
  const body = Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64').toString('utf8');
  for (const haystack of [pem, body]) {
    assert.ok(!haystack.includes(PASS));
    assert.ok(!haystack.includes(Buffer.from(PASS).toString('base64')));
    assert.ok(!haystack.includes(Buffer.from(PASS).toString('hex')));
  }
});

test('tampered ciphertext → KEY_CORRUPT', async () => {
  const { pem } = await sealed('ecdsa-p256');
  const bad = editPemJson(pem, (b) => {
    b.ciphertext = flipBase64(b.ciphertext, 10);
  });
  await assert.rejects(decryptPrivateKey(bad, PASS), isCode('KEY_CORRUPT'));
  const badTag = editPemJson(pem, (b) => {
    const c = Buffer.from(b.ciphertext, 'base64');
    b.ciphertext = flipBase64(b.ciphertext, c.length - 1);
  });
  await assert.rejects(decryptPrivateKey(badTag, PASS), isCode('KEY_CORRUPT'));
});

test('tampered clear metadata (role, algorithm, key id, created) and nonce → KEY_CORRUPT', async () => {
  const { pem } = await sealed('ecdsa-p256');
  const other = generateKeyPair('ecdsa-p256');
  const edits: Array<(b: Record<string, any>) => void> = [
    (b) => (b.metadata.role = 'root'),
    (b) => (b.metadata.created = '2030-01-01T00:00:00.000Z'),
    (b) => (b.metadata.keyId = other.keyId),
    (b) => (b.metadata.algorithm = 'ecdsa-p384'),
    (b) => (b.cipher.nonce = flipBase64(b.cipher.nonce)),
  ];
  for (const edit of edits) {
    const bad = editPemJson(pem, edit);
    await assert.rejects(decryptPrivateKey(bad, PASS), isCode('KEY_CORRUPT'), edit.toString());
  }
});

test('malformed files → KEY_CORRUPT; unknown versions, KDFs and ciphers have their own codes', async () => {
  const { pem } = await sealed('ed25519');
  const cases: Array<[(b: Record<string, any>) => void, string]> = [
    [(b) => delete b.metadata, 'KEY_CORRUPT'],
    [(b) => (b.metadata.role = 'admin'), 'KEY_CORRUPT'],
    [(b) => (b.check = 'AAAA'), 'KEY_CORRUPT'],
    [(b) => (b.ciphertext = '!!!!'), 'KEY_CORRUPT'],
    [(b) => (b.version = 2), 'KEY_FORMAT_UNKNOWN'],
    [(b) => (b.kdf.name = 'pbkdf2'), 'KDF_UNSUPPORTED'],
    [(b) => (b.cipher.name = 'aes-128-cbc'), 'CIPHER_UNSUPPORTED'],
  ];
  for (const [edit, code] of cases) {
    await assert.rejects(decryptPrivateKey(editPemJson(pem, edit), PASS), isCode(code), edit.toString());
  }
  await assert.rejects(decryptPrivateKey(pem.replace(/[A-Za-z]/, '*'), PASS), (e: unknown) => e instanceof KeyError);
});

test('KDF parameters out of bounds are refused before any derivation', async () => {
  const { pem } = await sealed('ed25519');
  for (const params of [{ N: 2 ** 22, r: 8, p: 1 }, { N: 2 ** 20, r: 16, p: 1 }, { N: 1000, r: 8, p: 1 }, { N: 2 ** 10, r: 8, p: 1 }, { N: 2 ** 15, r: 8, p: 64 }]) {
    const bad = editPemJson(pem, (b) => (b.kdf.params = params));
    assert.throws(() => readEncryptedKey(bad), isCode('KDF_UNSUPPORTED'), JSON.stringify(params));
    await assert.rejects(decryptPrivateKey(bad, PASS), isCode('KDF_UNSUPPORTED'));
  }
  const pair = generateKeyPair('ed25519');
  await assert.rejects(
    encryptPrivateKey(pair.pkcs8, PASS, { role: 'root', algorithm: 'ed25519', keyId: pair.keyId, created: new Date().toISOString() }, { scrypt: { N: 2 ** 21, r: 8, p: 1 } }),
    isCode('KDF_UNSUPPORTED'),
  );
});

test('a stronger stored parameter set still opens (parameters can rise later)', async () => {
  const { pem } = await sealed('ed25519', { scrypt: { N: 2 ** 15, r: 9, p: 2 } });
  assert.deepEqual({ ...readEncryptedKey(pem).kdf.params }, { N: 2 ** 15, r: 9, p: 2 });
  await decryptPrivateKey(pem, PASS);
});
