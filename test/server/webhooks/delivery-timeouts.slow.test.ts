/**
 * Receivers that never finish are cut by the request deadline (these tests
 * wait for it to elapse, hence the slow tier): one that accepts the
 * connection and never answers, and one that sends its headers and then
 * trickles a body forever. Either way the attempt ends failed with "timeout",
 * the connection is closed, and the delivery waits for its retry.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { openOutbox } from './outbox.js';

const record: ManifestRecord = { repository: 'team/app', digest: `sha256:${'cd'.repeat(32)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: '2026-01-01T00:00:00.000Z' };
const servers: Server[] = [];
const open = new Set<ServerResponse>();

after(async () => {
  for (const response of open) response.destroy();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: (response: ServerResponse) => void): Promise<{ url: string; closed: Promise<void> }> {
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const server = createServer((request, response) => {
    request.resume();
    open.add(response);
    request.socket.once('close', () => resolveClosed());
    handler(response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, closed };
}

for (const [name, handler] of [
  ['never answers', () => undefined],
  ['trickles its body forever', (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => response.write('.'), 20);
    response.once('close', () => clearInterval(timer));
  }],
] as const) {
  test(`a receiver that ${name} is cut by the timeout`, async () => {
    const target = await listen(handler);
    const o = await openOutbox({ settings: { timeoutMs: 300, connectTimeoutMs: 300 } });
    try {
      const webhook = await o.addWebhook(target.url);
      o.service.manifestPushed(record);
      await o.service.idle();
      const [d] = await o.store.listDeliveries(webhook.id, { limit: 1 });
      assert.equal(d?.state, 'pending', 'to be retried');
      assert.equal(d?.error, 'timeout: no complete answer within 300 ms');
      await target.closed; // the connection was closed by the sender
    } finally {
      await o.close();
    }
  });
}
