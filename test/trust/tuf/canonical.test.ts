/**
 * Canonical JSON and key IDs as Notary computes them (docker/go canonical/json,
 * tuf/data/keys.go), checked on the shipped example of real notary output.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SHARED } from '../../support/paths.js';
import {
  canonicalJson,
  canonicalKeyId,
  keyIdOf,
  parseKey,
  parseRootMetadata,
  parseTargetsMetadata,
  parseTime,
  TufError,
  type JsonValue,
} from '../../../src/trust/tuf/index.js';

const EXAMPLE = join(SHARED, 'peers', 'examples', 'notary-tuf');

test('canonical JSON escapes only quote and backslash, writes the rest raw', () => {
  assert.equal(canonicalJson({ b: '<&>\n\t\u2028é"\\', a: [1, true, null] }), '{"a":[1,true,null],"b":"<&>\n\t\u2028é\\"\\\\"}');
});

test('canonical JSON sorts keys by UTF-8 bytes (Go order), not UTF-16 units', () => {
  // U+E000 (EE 80 80) sorts before U+1F600 (F0 9F 98 80) in UTF-8; UTF-16 puts the surrogate D83D first.
  assert.equal(canonicalJson({ '\u{1F600}': 1, '\uE000': 2 }), '{"\uE000":2,"\u{1F600}":1}');
});

test('canonical JSON refuses fractional and unsafe numbers', () => {
  assert.throws(() => canonicalJson({ a: 1.5 }), (e: unknown) => e instanceof TufError && e.code === 'CANONICAL_JSON');
  assert.throws(() => canonicalJson({ a: 2 ** 60 }), (e: unknown) => e instanceof TufError && e.code === 'CANONICAL_JSON');
  assert.equal(canonicalJson({ a: -0, b: 1e3 }), '{"a":0,"b":1000}');
});

test('the signed part of real notary metadata is already canonical', () => {
  for (const name of ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json', 'targets/releases.json']) {
    const text = readFileSync(join(EXAMPLE, name), 'utf8');
    const signed = (JSON.parse(text) as { signed: JsonValue }).signed;
    assert.ok(text.startsWith(`{"signed":${canonicalJson(signed)},"signatures":`), name);
  }
});

test('key IDs: sha256 of the canonical key object; timestamp.key hashes to the ID root.json lists', () => {
  const keyText = readFileSync(join(EXAMPLE, 'timestamp.key'), 'utf8');
  const key = parseKey(JSON.parse(keyText) as JsonValue, 'timestamp.key');
  const root = parseRootMetadata(readFileSync(join(EXAMPLE, 'root.json')));
  assert.deepEqual(root.signed.roles.get('timestamp')?.keyids, [key.id]);
  assert.equal(key.id, createHash('sha256').update(canonicalJson(JSON.parse(keyText) as JsonValue)).digest('hex'));
});

test('certificate keys: the key ID hashes the cert, the canonical key ID the bare key inside it', () => {
  const root = parseRootMetadata(readFileSync(join(EXAMPLE, 'root.json')));
  const rootKeyId = root.signed.roles.get('root')?.keyids[0] ?? '';
  const rootKey = root.signed.keys.get(rootKeyId);
  assert.ok(rootKey?.certificate);
  assert.equal(rootKey.keytype, 'ecdsa-x509');
  assert.equal(rootKey.certificate.commonName, '127.0.0.1:5001/demo/app');
  const canonical = canonicalKeyId(rootKey);
  assert.notEqual(canonical, rootKey.id);
  assert.equal(canonical, keyIdOf('ecdsa', rootKey.keyObject.export({ format: 'der', type: 'spki' })));
  const targets = parseTargetsMetadata(readFileSync(join(EXAMPLE, 'targets.json')));
  const [delegation] = targets.signed.delegations;
  assert.equal(delegation?.name, 'targets/releases');
  assert.deepEqual(delegation?.paths, ['']);
});

test('times: Go RFC 3339 with nanoseconds and offsets', () => {
  assert.equal(parseTime('2036-11-25T23:09:50.724424296Z', 't').toISOString(), '2036-11-25T23:09:50.724Z');
  assert.equal(parseTime('2030-01-01T02:00:00+02:00', 't').toISOString(), '2030-01-01T00:00:00.000Z');
  assert.throws(() => parseTime('2030-01-01', 't'), (e: unknown) => e instanceof TufError && e.code === 'METADATA_INVALID');
});
