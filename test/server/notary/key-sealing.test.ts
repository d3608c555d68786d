/**
 * The Notary server keys at rest: what the key column holds is not the key
 * (nor its 32-byte seed) and opens only with the key-encryption key that
 * sealed it, for the row it was sealed for; a start with another key, a
 * configured key file that is missing or not a key, or PostgreSQL without a
 * key stops with CONFIG_INVALID; the Notary file of an earlier portcullis
 * (keys in clear) is imported, sealed, and deleted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ServeError } from '../../../src/server/errors.js';
import { decodeKey, keyBox, loadKeyBox } from '../../../src/server/notary/key-sealing.js';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { exportSigningKey, generateSigningKey, parseKey, type JsonValue } from '../../../src/trust/tuf/index.js';

const configInvalid = (pattern: RegExp) => (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && pattern.test(e.message);

async function timestampKeyId(notary: Awaited<ReturnType<typeof openNotaryService>>, gun: string): Promise<string> {
  const answer = await notary.handle({ gun, path: 'timestamp.key', method: 'GET', mayWrite: async () => true });
  assert.equal(answer.status, 200, String(answer.body));
  return parseKey(JSON.parse(String(answer.body)) as JsonValue, 'timestamp.key').id;
}

function keyRows(root: string): Array<{ gun: string; key_id: string; sealed_key: Buffer; kek_id: string }> {
  const db = new Database(join(root, 'registry.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT gun, key_id, sealed_key, kek_id FROM notary_keys ORDER BY seq').all() as Array<{ gun: string; key_id: string; sealed_key: Buffer; kek_id: string }>;
  } finally {
    db.close();
  }
}

test('the key column holds the key sealed, not in clear; it opens only with its key and for its row', async () => {
  const root = await mkdtemp(join(tmpdir(), 'notary-seal-'));
  const notary = await openNotaryService({ root });
  const gun = 'reg.example/team/app';
  const keyId = await timestampKeyId(notary, gun);
  await notary.close();
  const keyFile = join(root, 'notary', 'key-encryption.key');
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  const box = keyBox(decodeKey(await readFile(keyFile, 'utf8'))!);
  const [row] = keyRows(root);
  assert.equal(row?.key_id, keyId);
  assert.equal(row?.kek_id, box.kekId);
  const clear = box.open(row!.sealed_key, { gun, role: 'timestamp', keyId });
  assert.equal(clear.subarray(0, 2).toString('hex'), '302e', 'what opens is a PKCS#8 ed25519 key');
  assert.equal(row!.sealed_key.includes(clear), false, 'the DER key is not in the column');
  assert.equal(row!.sealed_key.includes(clear.subarray(-32)), false, 'nor its seed');
  assert.throws(() => box.open(row!.sealed_key, { gun: 'reg.example/team/other', role: 'timestamp', keyId }), /does not open/);
  assert.throws(() => keyBox(Buffer.alloc(32, 7)).open(row!.sealed_key, { gun, role: 'timestamp', keyId }), /does not open/);
  // Reopened with the same (generated) key: the same key is served.
  const again = await openNotaryService({ root });
  assert.equal(await timestampKeyId(again, gun), keyId);
  await again.close();
});

test('a start with another key-encryption key is refused, naming both keys; a configured file that is missing or not a key too', async () => {
  const root = await mkdtemp(join(tmpdir(), 'notary-wrong-key-'));
  const notary = await openNotaryService({ root, keyEncryptionKey: Buffer.alloc(32, 1).toString('base64') });
  await timestampKeyId(notary, 'reg.example/team/app');
  await notary.close();
  const other = Buffer.alloc(32, 2).toString('hex');
  await assert.rejects(openNotaryService({ root, keyEncryptionKey: other }), configInvalid(new RegExp(`sealed with key-encryption key ${keyBox(Buffer.alloc(32, 1)).kekId}, not with the one given \\(${keyBox(Buffer.alloc(32, 2)).kekId}\\)`)));
  const made = join(root, 'notary', 'key-encryption.key');
  await assert.rejects(
    openNotaryService({ root }),
    (e: unknown) => configInvalid(/sealed with key-encryption key/)(e) && (e as Error).message.includes(`from ${made}`),
    'the key made in the data folder is another key too, and the message says where it is',
  );
  await assert.rejects(openNotaryService({ root, keyEncryptionKeyFile: join(root, 'absent.key') }), configInvalid(/absent\.key: no such file/));
  await writeFile(join(root, 'short.key'), Buffer.alloc(16).toString('base64'));
  await assert.rejects(openNotaryService({ root, keyEncryptionKeyFile: join(root, 'short.key') }), configInvalid(/does not hold a 32-byte/));
  await assert.rejects(openNotaryService({ root, keyEncryptionKey: 'not a key' }), configInvalid(/not 32 bytes in base64 or hex/));
  const file = join(root, 'right.key');
  await writeFile(file, `${Buffer.alloc(32, 1).toString('base64')}\n`);
  const right = await openNotaryService({ root, keyEncryptionKeyFile: file });
  await right.close();
});

test('PostgreSQL without a key-encryption key is refused, saying where to set one', async () => {
  await assert.rejects(loadKeyBox({}), configInvalid(/on PostgreSQL needs a key-encryption key .*PORTCULLIS_NOTARY_KEY_FILE/));
});

test('the Notary file of an earlier portcullis (keys in clear) is imported, its key sealed, and deleted', async () => {
  const root = await mkdtemp(join(tmpdir(), 'notary-legacy-'));
  mkdirSync(join(root, 'notary'), { mode: 0o700 });
  const legacy = join(root, 'notary', 'tuf.sqlite');
  const signing = generateSigningKey('ed25519');
  const clear = exportSigningKey(signing);
  const gun = 'reg.example/team/old';
  const db = new Database(legacy);
  db.exec(`CREATE TABLE tuf_files (gun TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL, sha512 TEXT NOT NULL, data BLOB NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (gun, role, version));
    CREATE TABLE tuf_keys (gun TEXT NOT NULL, role TEXT NOT NULL, key_id TEXT NOT NULL, private_key BLOB NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (gun, role, key_id));`);
  const insert = db.prepare('INSERT INTO tuf_files VALUES (?, ?, ?, ?, ?, ?, ?)');
  insert.run(gun, 'root', 1, 'x', 'x', Buffer.from('root v1'), 1);
  insert.run(gun, 'root', 2, 'x', 'x', Buffer.from('root v2'), 2);
  db.prepare('INSERT INTO tuf_keys VALUES (?, ?, ?, ?, ?)').run(gun, 'timestamp', signing.public.id, clear, 3);
  db.close();
  const imported: unknown[] = [];
  const notary = await openNotaryService({ root, onImported: (i) => imported.push(i) });
  assert.deepEqual(imported, [{ path: legacy, files: 2, keys: 1 }]);
  assert.equal(existsSync(legacy), false, 'the file with clear keys is gone');
  assert.deepEqual((await notary.tufStore.byVersion(gun, 'root', 2))?.data, Buffer.from('root v2'));
  assert.equal(await timestampKeyId(notary, gun), signing.public.id, 'the imported key is the one served');
  await notary.close();
  const [row] = keyRows(root);
  assert.equal(row!.sealed_key.includes(clear.subarray(-32)), false);
  const box = keyBox(decodeKey(await readFile(join(root, 'notary', 'key-encryption.key'), 'utf8'))!);
  assert.deepEqual(box.open(row!.sealed_key, { gun, role: 'timestamp', keyId: signing.public.id }), clear);
});
