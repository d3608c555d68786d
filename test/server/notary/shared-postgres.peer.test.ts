/**
 * Two `portcullis serve` processes sharing one PostgreSQL database
 * (`--metadata postgres://…`) serve one Notary trust state: the real notary
 * CLI publishes through the first, and `notary list` (a fresh trust folder:
 * everything fetched and verified from scratch) reads it through the
 * second. The server keys in the shared `notary_keys` table are sealed (the
 * column holds no clear key); a third process with another key-encryption
 * key, or with none, does not start.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { keyBox } from '../../../src/server/notary/key-sealing.js';
import { notaryCli, parseNotaryList, randomTarget } from '../../support/notary.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

let peer: PostgresPeer;
let database: string;
let work: string;
let keyFile: string;
const kek = randomBytes(32);
const servers: ServeProcess[] = [];

async function serve(name: string, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const started = await startServeProcess(['--root', join(work, name), '--metadata', database, '--no-scan'], { env });
  servers.push(started);
  return started;
}

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase();
  work = await mkdtemp(join(tmpdir(), 'notary-shared-pg-'));
  keyFile = join(work, 'notary-kek');
  await writeFile(keyFile, `${kek.toString('base64')}\n`, { mode: 0o600 });
});

after(async () => {
  for (const s of servers) await s.stop();
  await peer?.stop();
});

test('published through one serve process, listed through another sharing the PostgreSQL database; the key column holds no clear key', async () => {
  const [a, b] = [await serve('a', { PORTCULLIS_NOTARY_KEY_FILE: keyFile }), await serve('b', { PORTCULLIS_NOTARY_KEY_FILE: keyFile })];
  const gun = '127.0.0.1:5000/team/shared';
  const target = randomTarget('v1');
  const viaA = { server: a!.url, trustDir: join(work, 'trust-a'), ca: '' };
  for (const args of [['init', gun], ['addhash', gun, target.name, String(target.size), '--sha256', target.sha256], ['publish', gun]]) {
    const r = await notaryCli(viaA, args);
    assert.equal(r.code, 0, `notary ${args.join(' ')} via A: ${r.stderr}${r.stdout}`);
  }
  const list = await notaryCli({ server: b!.url, trustDir: join(work, 'trust-b'), ca: '' }, ['list', gun]);
  assert.equal(list.code, 0, `notary list via B: ${list.stderr}`);
  assert.deepEqual(parseNotaryList(list.stdout), [{ name: 'v1', digest: target.sha256, size: target.size, role: 'targets' }]);

  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query<{ gun: string; role: string; key_id: string; sealed_key: Buffer; kek_id: string }>(
      'SELECT gun, role, key_id, sealed_key, kek_id FROM portcullis_registry.notary_keys',
    );
    assert.deepEqual(rows.map((r) => [r.gun, r.role]), [[gun, 'timestamp']]);
    const box = keyBox(kek);
    const row = rows[0]!;
    assert.equal(row.kek_id, box.kekId);
    const clear = box.open(row.sealed_key, { gun: row.gun, role: row.role, keyId: row.key_id });
    assert.equal(row.sealed_key.includes(clear), false, 'no DER key in the column');
    assert.equal(row.sealed_key.includes(clear.subarray(-32)), false, 'nor its seed');
  } finally {
    await client.end();
  }
});

test('a serve process with another key-encryption key, or none, does not start on that database', async () => {
  await assert.rejects(serve('c', { PORTCULLIS_NOTARY_KEY: randomBytes(32).toString('base64') }), /Notary server keys in PostgreSQL were sealed with key-encryption key [0-9a-f]{16}, not with the one given/);
  await assert.rejects(serve('d', {}), /Notary service on PostgreSQL needs a key-encryption key/);
});
