/**
 * Manifest bodies are read whole before they are judged, so bodies that
 * trickle in hold memory for as long as they take. The process holds at most
 * its body budget of them at once (body-budget.ts): one more is refused with
 * 429 TOOMANYREQUESTS and Retry-After while the others go on, the budget is
 * given back however a body ends, and a manifest pushed afterwards is stored.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BodyBudget } from '../../../src/server/body-budget.js';
import { errorCode, makeRegistry, OCI_MANIFEST, pushImage, type TestRegistry } from './helpers.js';

const KIB = 1024;
let r: TestRegistry;
const budget = new BodyBudget(256 * KIB);

before(async () => {
  r = await makeRegistry({ bodyBudget: budget });
});
after(() => r?.close());

/** A manifest PUT whose body arrives when the test writes it. */
function slowPut(tag: string): { body: PassThrough; answer: Promise<LightMyRequestResponse> } {
  const body = new PassThrough();
  const answer = r.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${tag}`, headers: { 'content-type': OCI_MANIFEST }, payload: body });
  return { body, answer };
}

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

test('bodies held past the budget are refused with 429 while the first goes on; the budget comes back; pushes work after', async () => {
  const first = slowPut('first');
  first.body.write(Buffer.alloc(200 * KIB, 0x20));
  await until(() => budget.held === 200 * KIB);
  const second = slowPut('second');
  second.body.end(Buffer.alloc(100 * KIB, 0x20));
  const refused = await second.answer;
  assert.equal(refused.statusCode, 429);
  assert.equal(errorCode(refused), 'TOOMANYREQUESTS');
  assert.equal(refused.headers['retry-after'], '5');
  assert.equal(budget.held, 200 * KIB, 'the refused body gave back what it took; the first still holds its bytes');
  // The first one ends (as a manifest that is not JSON): its answer, and its bytes given back.
  first.body.end('not json');
  const ended = await first.answer;
  assert.equal(ended.statusCode, 400);
  assert.equal(errorCode(ended), 'MANIFEST_INVALID');
  assert.equal(budget.held, 0);
  const image = await pushImage(r.app, 'team/app', 'after');
  assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 200);
  assert.equal(budget.held, 0);
});

test('a body that breaks off gives its bytes back', async () => {
  const broken = slowPut('broken');
  broken.body.write(Buffer.alloc(64 * KIB, 0x20));
  await until(() => budget.held === 64 * KIB);
  broken.body.destroy(new Error('client went away'));
  await broken.answer.catch(() => undefined);
  await until(() => budget.held === 0);
  assert.equal(budget.held, 0);
});
