/**
 * Reading Docker's trust directory without the docker CLI: notary's PEM
 * headers, the PBKDF2 bound checked before a key is derived, key ids as notary
 * names its key files. (The real docker CLI's files: test/cli/trust/docker-trust.peer.test.ts.)
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { MAX_PBKDF2_ITERATIONS, notaryKeyId, openNotaryKey, parseNotaryKeyPem, pbkdf2Iterations } from '../../../src/engine/notary/docker-trust.js';
import { KeyError } from '../../../src/trust/index.js';
import { keyIdOf } from '../../../src/trust/tuf/index.js';

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const oid = (hex: string) => der(0x06, Buffer.from(hex, 'hex'));
const int = (n: number) => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return der(0x02, Buffer.from(bytes));
};

/** An EncryptedPrivateKeyInfo with PBES2/PBKDF2 and `iterations`, junk ciphertext. */
function encryptedInfo(iterations: number): Buffer {
  const pbkdf2 = der(0x30, oid('2a864886f70d01050c'), der(0x30, der(0x04, Buffer.alloc(8, 1)), int(iterations)));
  const scheme = der(0x30, oid('608648016503040102'), der(0x04, Buffer.alloc(16, 2)));
  return der(0x30, der(0x30, oid('2a864886f70d01050d'), der(0x30, pbkdf2, scheme)), der(0x04, Buffer.alloc(48, 3)));
}

function notaryPem(body: Buffer, headers: string): string {
  const b64 = body.toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${headers}\n\n${b64}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

test('notary PEM headers: role and gun read, the body left as OpenSSL reads it', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw-123' }) as string;
  const withHeaders = pem.replace('-----BEGIN ENCRYPTED PRIVATE KEY-----\n', '-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: 127.0.0.1:5000/team/app\nrole: targets\n\n');
  const parsed = parseNotaryKeyPem(withHeaders, 'k.key');
  assert.equal(parsed.role, 'targets');
  assert.equal(parsed.gun, '127.0.0.1:5000/team/app');
  const key = openNotaryKey(parsed, 'pw-123', 'k.key');
  assert.equal(notaryKeyId(key), keyIdOf('ecdsa', publicKey.export({ format: 'der', type: 'spki' })));
  assert.throws(() => openNotaryKey(parsed, 'wrong', 'k.key'), (e: unknown) => e instanceof KeyError && e.code === 'PASSPHRASE_INVALID');
  assert.throws(() => parseNotaryKeyPem(pem, 'plain.key'), (e: unknown) => e instanceof KeyError && e.code === 'KEY_CORRUPT' && /no "role" header/.test(e.message));
  assert.throws(() => parseNotaryKeyPem('-----BEGIN EC PRIVATE KEY-----\nrole: root\n\nAAAA\n-----END EC PRIVATE KEY-----\n', 'old.key'), (e: unknown) => e instanceof KeyError && e.code === 'KEY_UNSUPPORTED');
});

test('the PBKDF2 iteration count is read and bounded before a key is derived', () => {
  assert.equal(pbkdf2Iterations(encryptedInfo(2048), 'x'), 2048);
  assert.equal(pbkdf2Iterations(encryptedInfo(0x7fffffff), 'x'), 0x7fffffff);
  const planted = parseNotaryKeyPem(notaryPem(encryptedInfo(MAX_PBKDF2_ITERATIONS + 1), 'role: root'), 'planted.key');
  assert.throws(() => openNotaryKey(planted, 'pw', 'planted.key'), (e: unknown) => e instanceof KeyError && e.code === 'KDF_UNSUPPORTED' && /100001 PBKDF2 iterations/.test(e.message));
  const junk = parseNotaryKeyPem(notaryPem(encryptedInfo(2048), 'role: root'), 'junk.key');
  assert.throws(() => openNotaryKey(junk, 'pw', 'junk.key'), (e: unknown) => e instanceof KeyError && e.code === 'PASSPHRASE_INVALID');
  assert.throws(() => pbkdf2Iterations(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'x'), (e: unknown) => e instanceof KeyError && e.code === 'KEY_CORRUPT');
  assert.throws(() => pbkdf2Iterations(der(0x30, der(0x30, oid('2a864886f70d01050e'))), 'x'), (e: unknown) => e instanceof KeyError && e.code === 'KDF_UNSUPPORTED');
});
