/**
 * The invalidation bus's messages and its in-process form
 * (src/server/invalidation.ts): what a message says is read back the same;
 * whatever is not a message this version understands (garbage, too long, a
 * repository or digest of the wrong shape, an unknown kind) reads as
 * `everything`, so a cache forgets too much rather than too little; a
 * change too long to send is sent as `everything`; the local bus tells every
 * listener at once, even when one throws; and a signature push names the
 * images whose answers must go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { decodeInvalidation, encodeInvalidation, localBus, MAX_MESSAGE_BYTES, type Invalidation } from '../../src/server/invalidation.js';
import { signatureChanges } from '../../src/server/signature-check.js';

const DIGEST = `sha256:${'ab'.repeat(32)}` as Digest;
const EVERYTHING = { kind: 'everything' };

test('a change is read back as sent, with its origin', () => {
  for (const change of [{ kind: 'image', repository: 'team/app', digest: DIGEST }, { kind: 'repository', repository: 'team/app' }, EVERYTHING] as Invalidation[]) {
    assert.deepEqual(decodeInvalidation(encodeInvalidation(change, 'p1')), { origin: 'p1', change });
  }
});

test('what is not a well-formed change reads as everything', () => {
  const cases = [
    'not json',
    'null',
    '"text"',
    JSON.stringify({ o: 'p1', kind: 'image', repository: 'team/app', digest: 'sha256:short' }),
    JSON.stringify({ o: 'p1', kind: 'image', repository: 'Team/App', digest: DIGEST }),
    JSON.stringify({ o: 'p1', kind: 'repository', repository: '../etc' }),
    JSON.stringify({ o: 'p1', kind: 'repository' }),
    JSON.stringify({ o: 'p1', kind: 'tag', repository: 'team/app' }),
    JSON.stringify({ o: 'p1', kind: 'repository', repository: 'a'.repeat(MAX_MESSAGE_BYTES) }),
  ];
  for (const text of cases) assert.deepEqual(decodeInvalidation(text).change, EVERYTHING, text);
});

test('a change too long to send goes as everything', () => {
  const text = encodeInvalidation({ kind: 'repository', repository: 'a'.repeat(2 * MAX_MESSAGE_BYTES) }, 'p1');
  assert.ok(Buffer.byteLength(text) <= MAX_MESSAGE_BYTES);
  assert.deepEqual(decodeInvalidation(text), { origin: 'p1', change: EVERYTHING });
});

test('the local bus tells every listener at once, even after one throws, until unsubscribed', () => {
  const bus = localBus();
  const heard: Invalidation[] = [];
  bus.subscribe(() => {
    throw new Error('listener failed');
  });
  const stop = bus.subscribe((change) => heard.push(change));
  bus.publish({ kind: 'repository', repository: 'team/app' });
  assert.deepEqual(heard, [{ kind: 'repository', repository: 'team/app' }]);
  assert.equal(bus.listening, true);
  stop();
  bus.publish(EVERYTHING as Invalidation);
  assert.equal(heard.length, 1);
});

test('a signature or referrer push names the signed image; another push names nothing', () => {
  assert.deepEqual(signatureChanges({ repository: 'team/app', subject: DIGEST }), [{ kind: 'image', repository: 'team/app', digest: DIGEST }]);
  assert.deepEqual(signatureChanges({ repository: 'team/app' }, `sha256-${'ab'.repeat(32)}.sig`), [{ kind: 'image', repository: 'team/app', digest: DIGEST }]);
  assert.deepEqual(signatureChanges({ repository: 'team/app' }, 'v1'), []);
});
