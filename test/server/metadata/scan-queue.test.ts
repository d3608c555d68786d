/**
 * The scan queue contract on the in-memory queue and on SQLite (a second
 * connection to the same file plays the second process).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { MemoryScanQueue } from '../../../src/server/metadata/scan-queue-memory.js';
import { SqliteScanQueueStore } from '../../../src/server/metadata/scan-queue-sqlite.js';
import { scanQueueContract } from './scan-queue-contract.js';

let dir: string;
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scan-queue-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

scanQueueContract('memory', async () => {
  const queue = new MemoryScanQueue();
  return async () => queue;
});

scanQueueContract('sqlite', async () => {
  const file = join(dir, `queue-${files++}.sqlite`);
  return async () => new SqliteScanQueueStore(file);
});
