/**
 * Hostile publishes to the Notary service, in process: a body over the
 * 10 MiB cap is refused (413 SIZE_INVALID) before the service sees it,
 * whether it says its length or not; metadata nested a million levels deep,
 * where a validator that recursed would overflow the stack, is an
 * INVALID_UPDATE (400) naming the role, and nothing of it is stored.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { MAX_TUF_BODY_BYTES } from '../../../src/server/api/v2/context.js';
import { openNotaryService } from '../../../src/server/notary/index.js';
import type { TufRequest } from '../../../src/server/services.js';
import { errorCode, makeRegistry } from '../api/helpers.js';

const BOUNDARY = 'hostile-boundary';

function multipart(parts: ReadonlyArray<readonly [string, string]>): { contentType: string; body: Buffer } {
  const text = parts.map(([role, data]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${role}"\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n`).join('');
  return { contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: Buffer.from(`${text}--${BOUNDARY}--\r\n`) };
}

test('a trust metadata body over the cap is 413 before the Notary service is asked, with or without a declared length', async (t) => {
  const reached: TufRequest[] = [];
  const handle = async (request: TufRequest) => {
    reached.push(request);
    return { status: 200, contentType: 'application/json', body: '' };
  };
  const r = await makeRegistry({ notary: { handle } });
  t.after(() => r.close());
  const body = Buffer.alloc(MAX_TUF_BODY_BYTES + 1, 0x61);
  const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  const declared = await r.app.inject({ method: 'POST', url: '/v2/registry.test/team/app/_trust/tuf/', payload: body, headers });
  assert.equal(declared.statusCode, 413);
  assert.equal(errorCode(declared), 'SIZE_INVALID');
  const streamed = await r.app.inject({ method: 'POST', url: '/v2/registry.test/team/app/_trust/tuf/', payload: Readable.from([body.subarray(0, 1 << 20), body.subarray(1 << 20)]), headers: { ...headers, 'transfer-encoding': 'chunked' } });
  assert.equal(streamed.statusCode, 413);
  assert.equal(reached.length, 0);
});

test('metadata nested a million levels deep is an invalid update naming the role, and nothing is stored', async (t) => {
  const notary = await openNotaryService({ root: await mkdtemp(join(tmpdir(), 'portcullis-notary-hostile-')) });
  t.after(() => notary.close());
  const gun = 'registry.test/team/app';
  const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
  const roles = '{"root":{"keyids":["a"],"threshold":1},"targets":{"keyids":["a"],"threshold":1},"snapshot":{"keyids":["a"],"threshold":1},"timestamp":{"keyids":["a"],"threshold":1}}';
  const documents = [
    `{"signed":${deep},"signatures":[]}`,
    `{"signed":{"_type":"Root","version":1,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":${roles},"consistent_snapshot":false,"x":${deep}},"signatures":[{"keyid":"a","method":"ecdsa","sig":"AA=="}]}`,
  ];
  for (const document of documents) {
    const { contentType, body } = multipart([['root', document], ['targets', `{"signed":{"_type":"Targets","version":1,"expires":"2030-01-01T00:00:00Z","targets":{},"x":${deep}},"signatures":[]}`]]);
    const res = await notary.handle({ gun, path: '', method: 'POST', contentType, body, mayWrite: async () => true });
    assert.equal(res.status, 400);
    const answer = JSON.parse(String(res.body)) as { errors: Array<{ code: string; detail: { Name: string } }> };
    assert.equal(answer.errors[0]?.code, 'INVALID_UPDATE');
    assert.equal(answer.errors[0]?.detail.Name, 'ErrBadRoot');
  }
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) assert.equal(await notary.tufStore.latest(gun, role), undefined, role);
});
