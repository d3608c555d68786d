/**
 * Manifest bodies are read whole before they are judged, so bodies that
 * trickle in hold memory for as long as they take. The process holds at most
 * its body budget of them at once, one client a share of it (body-budget.ts):
 * one more is refused with 429 TOOMANYREQUESTS and Retry-After while the
 * others go on, the budget is given back however a body ends, and a manifest
 * pushed afterwards is stored.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BodyBudget } from '../../../src/server/body-budget.js';
import { errorCode, makeRegistry, OCI_MANIFEST, pushImage, type TestRegistry } from './helpers.js';

const KIB = 1024;
let r: TestRegistry;
/** 256 KiB in all, 192 KiB per client. */
const budget = new BodyBudget(256 * KIB, 192 * KIB);

before(async () => {
  r = await makeRegistry({ bodyBudget: budget });
});
after(() => r?.close());

/** A manifest PUT from `address` whose body arrives when the test writes it. */
function slowPut(tag: string, address: string): { body: PassThrough; answer: Promise<LightMyRequestResponse> } {
  const body = new PassThrough();
  const answer = r.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${tag}`, headers: { 'content-type': OCI_MANIFEST }, payload: body, remoteAddress: address });
  return { body, answer };
}

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

function assertLimited(res: LightMyRequestResponse): void {
  assert.equal(res.statusCode, 429, res.body);
  assert.equal(errorCode(res), 'TOOMANYREQUESTS');
  assert.equal(res.headers['retry-after'], '5');
}

test('one client past its share is refused while another goes on; past the whole budget anyone is refused; the bytes come back; pushes work after', async () => {
  const first = slowPut('first', '10.0.0.1');
  first.body.write(Buffer.alloc(150 * KIB, 0x20));
  await until(() => budget.held() === 150 * KIB);
  // The same client again: 250 KiB would pass its 192 KiB.
  const same = slowPut('same', '10.0.0.1');
  same.body.end(Buffer.alloc(100 * KIB, 0x20));
  assertLimited(await same.answer);
  assert.equal(budget.held('address:10.0.0.1'), 150 * KIB, 'the refused body gave back what it took');
  // Another client fits (250 KiB in all): judged as a manifest, not refused for memory.
  const other = slowPut('other', '10.0.0.2');
  other.body.end(Buffer.alloc(100 * KIB, 0x20));
  assert.equal(errorCode(await other.answer), 'MANIFEST_INVALID');
  // A third client past the whole budget (150 + 120 KiB > 256 KiB).
  const third = slowPut('third', '10.0.0.3');
  third.body.end(Buffer.alloc(120 * KIB, 0x20));
  assertLimited(await third.answer);
  // The first one ends (as a manifest that is not JSON): its answer, and its bytes given back.
  first.body.end('not json');
  assert.equal(errorCode(await first.answer), 'MANIFEST_INVALID');
  assert.equal(budget.held(), 0);
  const image = await pushImage(r.app, 'team/app', 'after');
  assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 200);
  assert.equal(budget.held(), 0);
});

test('a body that breaks off gives its bytes back', async () => {
  const broken = slowPut('broken', '10.0.0.4');
  broken.body.write(Buffer.alloc(64 * KIB, 0x20));
  await until(() => budget.held() === 64 * KIB);
  broken.body.destroy(new Error('client went away'));
  await broken.answer.catch(() => undefined);
  await until(() => budget.held() === 0);
  assert.equal(budget.held('address:10.0.0.4'), 0);
});
