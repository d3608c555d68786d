/**
 * The invalidation bus on a real PostgreSQL (src/server/metadata/
 * invalidation-postgres.ts), two buses standing for two processes: a change
 * published on one is heard by the other and not twice by its publisher;
 * buses of another schema hear nothing; when the server ends a bus's
 * connection (pg_terminate_backend, as a restart or a network cut would),
 * its listeners are told `everything` and it stops `listening` at once, then
 * it reconnects by itself, tells `everything` again, and hears changes again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Digest } from '../../../src/core/index.js';
import { decodeInvalidation, type Invalidation, type InvalidationBus } from '../../../src/server/invalidation.js';
import { silentLog } from '../../../src/server/log.js';
import { invalidationChannel, PostgresInvalidationBus } from '../../../src/server/metadata/invalidation-postgres.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';

let peer: PostgresPeer;
let url: string;
const opened: InvalidationBus[] = [];
const IMAGE: Invalidation = { kind: 'image', repository: 'team/app', digest: `sha256:${'cd'.repeat(32)}` as Digest };
const EVERYTHING: Invalidation = { kind: 'everything' };

before(async () => {
  peer = await startPostgres();
  url = await peer.createDatabase();
});

after(async () => {
  for (const bus of opened) await bus.close();
  await peer?.stop();
});

async function open(schema?: string): Promise<{ bus: InvalidationBus; heard: Invalidation[] }> {
  const bus = await PostgresInvalidationBus.open({ connectionString: url, ...(schema ? { schema } : {}) }, silentLog());
  opened.push(bus);
  const heard: Invalidation[] = [];
  bus.subscribe((change) => heard.push(change));
  return { bus, heard };
}

/** Waits (bounded) until `check` holds; the bound only turns a hang into a failure. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What was heard, the `everything`s left out. */
const changesIn = (heard: readonly Invalidation[]): Invalidation[] => heard.filter((c) => c.kind !== 'everything');

async function terminateListeners(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ ended: boolean }>("SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'portcullis-invalidation' AND datname = current_database()");
    return rows.filter((r) => r.ended).length;
  } finally {
    await client.end();
  }
}

test('a change published on one bus is heard on the other, once on its own, never in another schema; a lost connection drops everything, then reconnects', async () => {
  const a = await open();
  const b = await open();
  const other = await open('other_registry');
  assert.equal(a.bus.listening, true);
  a.bus.publish(IMAGE);
  assert.deepEqual(a.heard, [IMAGE], 'the publisher is told at once');
  await until('B to hear the change', () => b.heard.length > 0);
  assert.deepEqual(b.heard, [IMAGE]);
  // A round trip through A's connection: its own notification has come back by now, and was skipped.
  a.bus.publish({ kind: 'repository', repository: 'team/marker' });
  await until('B to hear the marker', () => b.heard.length > 1);
  assert.deepEqual(a.heard, [IMAGE, { kind: 'repository', repository: 'team/marker' }]);
  assert.deepEqual(other.heard, [], 'another schema is another channel');

  b.heard.length = 0;
  assert.ok((await terminateListeners()) >= 2);
  await until('B to notice', () => b.heard.length > 0);
  assert.deepEqual(b.heard[0], EVERYTHING, 'a lost connection drops every cache');
  await until('B to listen again', () => b.bus.listening && a.bus.listening && b.heard.length >= 2);
  assert.deepEqual(b.heard.slice(0, 2), [EVERYTHING, EVERYTHING], 'and reconnecting drops them again: what came between was not heard');
  b.heard.length = 0;
  a.bus.publish(IMAGE);
  await until('B to hear changes again', () => b.heard.some((c) => c.kind === 'image'));
  assert.deepEqual(changesIn(b.heard), [IMAGE], 'and only what was published');
});

test('a change published while disconnected is sent once the connection is back', async () => {
  // The other side is a plain session listening on the channel, which the outage leaves alone.
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  const payloads: string[] = [];
  listener.on('notification', (message) => payloads.push(message.payload ?? ''));
  await listener.query(`LISTEN ${invalidationChannel('portcullis_registry')}`);
  try {
    const a = await open();
    await terminateListeners();
    await until('A to notice', () => !a.bus.listening);
    a.bus.publish({ kind: 'repository', repository: 'team/queued' });
    await until('the queued change to be sent', () => payloads.length > 0);
    assert.deepEqual(decodeInvalidation(payloads[0]!).change, { kind: 'repository', repository: 'team/queued' });
  } finally {
    await listener.end();
  }
});
