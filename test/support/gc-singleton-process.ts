/**
 * A process that runs scheduled garbage collection the way `portcullis
 * serve` does (GcService under the `gc` singleton, PostgreSQL advisory
 * locks) on a short schedule, for test/server/gc/singleton.peer.test.ts:
 * `node gc-singleton-process.js POSTGRES_URL BLOB_FOLDER`. Why not `serve`:
 * its gc schedule is a minute at least, and the test needs ticks every few
 * hundred milliseconds. Logs JSON lines at debug on stdout; the test gate
 * (PORTCULLIS_TEST_GATE, PORTCULLIS_TEST_GATE_ON=gc) holds each run.
 */
import { GcService } from '../../src/server/gc/service.js';
import { createLog } from '../../src/server/log.js';
import { PostgresMetadataStore } from '../../src/server/metadata/postgres.js';
import { PostgresLocks } from '../../src/server/metadata/singleton-postgres.js';
import { Singletons } from '../../src/server/singletons.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';
import { testGate } from '../../src/server/test-gate.js';

const [url, folder] = process.argv.slice(2);
if (!url || !folder) throw new Error('usage: gc-singleton-process POSTGRES_URL BLOB_FOLDER');
const log = createLog({ level: 'debug' });
const metadata = await PostgresMetadataStore.open(url);
const singletons = new Singletons(new PostgresLocks(url), log, testGate());
const gc = new GcService({ stores: { blobs: new FilesystemBlobStore(folder), metadata }, log, intervalMs: 300, firstRunAfterMs: 0, singletons });
gc.start();
log.info({ event: 'ready' }, 'ready');
process.once('SIGTERM', () => {
  void gc
    .stop()
    .then(() => singletons.close())
    .then(() => metadata.close())
    .finally(() => process.exit(0));
});
