/**
 * The operator log has one `request` line per request, also for a client
 * that hangs up before the answer is finished (Fastify's onResponse never
 * runs for those): here a client reads the first bytes of an 8 MiB blob over
 * a raw socket and closes it. The line says `aborted` and claims no bytes
 * out; a whole download's line has its length.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startPortcullisRegistry } from '../support/registry-server.js';
import { captureLog } from '../support/registry-log.js';

test('a client that leaves in the middle of a blob is logged, marked aborted; a whole download with its bytes', async (t) => {
  const log = captureLog('info');
  const registry = await startPortcullisRegistry({ log: log.log });
  t.after(() => registry.close());
  const content = randomBytes(8 * 1024 * 1024);
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  const pushed = await fetch(`${registry.url}/v2/team/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content });
  assert.equal(pushed.status, 201);
  const path = `/v2/team/app/blobs/${digest}`;

  const whole = await fetch(`${registry.url}${path}`);
  assert.equal((await whole.arrayBuffer()).byteLength, content.length);
  const port = Number(new URL(registry.url).port);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
  const lines = () => log.events('request').filter((l) => l.path === path);
  for (let i = 0; i < 100 && lines().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const [done, left] = lines();
  assert.equal(done?.status, 200);
  assert.equal(done?.bytesOut, content.length);
  assert.equal(done?.aborted, undefined);
  assert.equal(left?.aborted, true, 'the request of the client that left is in the log');
  assert.equal(left?.bytesOut, undefined, 'and claims no bytes it did not send');
  assert.match(String(left?.msg), /\(client left before the end\)$/);
});
