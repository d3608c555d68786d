import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { createPublicKey } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import {
  COSIGN_KEY_LABEL,
  KeyError,
  SIGSTORE_KEY_LABEL,
  decryptCosignKey,
  encryptCosignKey,
  generateKeyPair,
  keyIdOfKey,
  parseKeyMaterial,
  publicKeyPem,
  readCosignKey,
  signBytes,
  verifyBytes,
} from '../../../src/trust/keys/index.js';
import {
  COSIGN_TEST_SIGSTORE_KEY,
  COSIGN_TEST_SIGSTORE_PASSWORD,
  POLICY_CONTROLLER_COSIGN_KEY,
  POLICY_CONTROLLER_COSIGN_PASSWORD,
  POLICY_CONTROLLER_COSIGN_PUB,
  editPemJson,
  errorText,
  flipBase64,
  thrown,
} from './fixtures.js';

function isCode(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

/** Count calls to crypto.scrypt made by the code under test (the named export is rebound). */
async function countingScrypt<T>(fn: () => Promise<T>): Promise<{ calls: number; result?: T; error?: unknown }> {
  const original = crypto.scrypt;
  let calls = 0;
  (crypto as { scrypt: unknown }).scrypt = (...args: unknown[]) => {
    calls += 1;
    return (original as (...a: unknown[]) => unknown)(...args);
  };
  syncBuiltinESMExports();
  try {
    const result = await fn();
    return { calls, result };
  } catch (error) {
    return { calls, error };
  } finally {
    (crypto as { scrypt: unknown }).scrypt = original;
    syncBuiltinESMExports();
  }
}

test('cosign key published with its public key (sigstore/policy-controller examples/keys): import, sign, verify with cosign.pub', async () => {
  const parsed = await parseKeyMaterial(POLICY_CONTROLLER_COSIGN_KEY, { passphrase: POLICY_CONTROLLER_COSIGN_PASSWORD });
  assert.equal(parsed.kind, 'private');
  assert.equal(parsed.format, 'cosign');
  assert.equal(parsed.algorithm, 'ecdsa-p256');
  const published = createPublicKey(POLICY_CONTROLLER_COSIGN_PUB);
  assert.equal(parsed.keyId, keyIdOfKey(published));
  assert.equal(publicKeyPem(parsed.publicKey), POLICY_CONTROLLER_COSIGN_PUB);
  if (parsed.kind !== 'private') return;
  const payload = Buffer.from('{"critical":{"identity":{"docker-reference":"registry.example/team/app"}}}');
  const sig = signBytes(parsed.privateKey, payload);
  assert.equal(verifyBytes(POLICY_CONTROLLER_COSIGN_PUB, payload, sig), true);
  assert.equal(verifyBytes(POLICY_CONTROLLER_COSIGN_PUB, Buffer.from('something else'), sig), false);
});

test('the cosign public key PEM imports as a public key with the same id', async () => {
  const parsed = await parseKeyMaterial(POLICY_CONTROLLER_COSIGN_PUB);
  assert.equal(parsed.kind, 'public');
  assert.equal(parsed.format, 'spki');
  assert.equal(parsed.algorithm, 'ecdsa-p256');
  const priv = await decryptCosignKey(POLICY_CONTROLLER_COSIGN_KEY, '');
  assert.equal(parsed.keyId, keyIdOfKey(priv));
});

test('ENCRYPTED SIGSTORE PRIVATE KEY from cosign keys_test.go opens with its password', async () => {
  const meta = readCosignKey(COSIGN_TEST_SIGSTORE_KEY);
  assert.equal(meta.label, SIGSTORE_KEY_LABEL);
  assert.deepEqual({ ...meta.params }, { N: 32768, r: 8, p: 1 });
  const key = await decryptCosignKey(COSIGN_TEST_SIGSTORE_KEY, COSIGN_TEST_SIGSTORE_PASSWORD);
  const msg = Buffer.from('hello cosign');
  assert.equal(verifyBytes(createPublicKey(key), msg, signBytes(key, msg)), true);
});

test('wrong cosign password → PASSPHRASE_INVALID without the password in the message', async () => {
  const wrong = 'definitely-wrong-password';
  const err = await thrown(() => decryptCosignKey(COSIGN_TEST_SIGSTORE_KEY, wrong));
  assert.ok(isCode('PASSPHRASE_INVALID')(err));
  assert.ok(!errorText(err).includes(wrong));
  await assert.rejects(decryptCosignKey(POLICY_CONTROLLER_COSIGN_KEY, 'x'), isCode('PASSPHRASE_INVALID'));
  await assert.rejects(parseKeyMaterial(COSIGN_TEST_SIGSTORE_KEY), isCode('PASSPHRASE_REQUIRED'));
});

test('a cosign key whose scrypt N is 2^20 is refused with KDF_UNSUPPORTED, and scrypt never runs', async () => {
  const crafted = editPemJson(COSIGN_TEST_SIGSTORE_KEY, (b) => {
    b.kdf.params.N = 2 ** 20;
  });
  assert.throws(() => readCosignKey(crafted), isCode('KDF_UNSUPPORTED'));
  const refused = await countingScrypt(() => decryptCosignKey(crafted, COSIGN_TEST_SIGSTORE_PASSWORD));
  assert.ok(isCode('KDF_UNSUPPORTED')(refused.error), String(refused.error));
  assert.equal(refused.calls, 0);
  const viaImport = await countingScrypt(() => parseKeyMaterial(crafted, { passphrase: COSIGN_TEST_SIGSTORE_PASSWORD }));
  assert.ok(isCode('KDF_UNSUPPORTED')(viaImport.error));
  assert.equal(viaImport.calls, 0);
  // The spy does see scrypt when the parameters are acceptable.
  const accepted = await countingScrypt(() => decryptCosignKey(COSIGN_TEST_SIGSTORE_KEY, COSIGN_TEST_SIGSTORE_PASSWORD));
  assert.equal(accepted.error, undefined);
  assert.equal(accepted.calls, 1);
});

test('other unexpected KDF parameters, KDF names and ciphers are refused', async () => {
  const cases: Array<[(b: Record<string, any>) => void, string]> = [
    [(b) => (b.kdf.params = { N: 32768, r: 16, p: 1 }), 'KDF_UNSUPPORTED'],
    [(b) => (b.kdf.params = { N: 32768, r: 8, p: 2 }), 'KDF_UNSUPPORTED'],
    [(b) => (b.kdf.params = { N: 16384, r: 8, p: 1 }), 'KDF_UNSUPPORTED'],
    [(b) => (b.kdf.params = { N: '32768', r: 8, p: 1 }), 'KDF_UNSUPPORTED'],
    [(b) => (b.kdf.name = 'argon2id'), 'KDF_UNSUPPORTED'],
    [(b) => (b.cipher.name = 'aes-gcm'), 'CIPHER_UNSUPPORTED'],
    [(b) => (b.cipher.nonce = 'AAAA'), 'KEY_CORRUPT'],
    [(b) => delete b.kdf, 'KEY_CORRUPT'],
  ];
  for (const [edit, code] of cases) {
    await assert.rejects(decryptCosignKey(editPemJson(COSIGN_TEST_SIGSTORE_KEY, edit), 'hello'), isCode(code), edit.toString());
  }
});

test('an altered cosign ciphertext does not open (reported as PASSPHRASE_INVALID: the format cannot tell)', async () => {
  const bad = editPemJson(COSIGN_TEST_SIGSTORE_KEY, (b) => {
    b.ciphertext = flipBase64(b.ciphertext, 40);
  });
  await assert.rejects(decryptCosignKey(bad, COSIGN_TEST_SIGSTORE_PASSWORD), isCode('PASSPHRASE_INVALID'));
});

test('encryptCosignKey writes what decryptCosignKey (and cosign) read: both labels, default N=2^16', async () => {
  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    const pair = generateKeyPair(algorithm);
    const pem = await encryptCosignKey(pair.pkcs8, 'pw');
    assert.ok(pem.startsWith(`-----BEGIN ${SIGSTORE_KEY_LABEL}-----`));
    const read = readCosignKey(pem);
    assert.deepEqual({ ...read.params }, { N: 65536, r: 8, p: 1 });
    assert.equal(read.salt.length, 32);
    assert.equal(read.nonce.length, 24);
    assert.equal(keyIdOfKey(await decryptCosignKey(pem, 'pw')), pair.keyId);
    const legacy = await encryptCosignKey(pair.pkcs8, '', { label: COSIGN_KEY_LABEL, scrypt: { N: 32768, r: 8, p: 1 } });
    assert.ok(legacy.startsWith(`-----BEGIN ${COSIGN_KEY_LABEL}-----`));
    assert.equal(keyIdOfKey(await decryptCosignKey(legacy, '')), pair.keyId);
  }
  const pair = generateKeyPair('ed25519');
  await assert.rejects(encryptCosignKey(pair.pkcs8, 'pw', { scrypt: { N: 2 ** 20, r: 8, p: 1 } }), isCode('KDF_UNSUPPORTED'));
});
