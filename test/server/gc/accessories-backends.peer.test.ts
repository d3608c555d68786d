/**
 * The accessory data-loss scenes (accessory-scenes.ts) and the decide-then-delete races (race-scenes.ts)
 * on S3 (Swift's S3 API, ../shared/peers/s3.sh) and PostgreSQL 15: the same answers as on a folder and
 * SQLite, through the other store's queries.
 */
import { randomBytes } from 'node:crypto';
import { after, before, test, type TestContext } from 'node:test';
import { buildApp } from '../../../src/server/app.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { S3BlobStore } from '../../../src/server/storage/s3.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startS3, type S3Peer } from '../../support/s3.js';
import * as scenes from './accessory-scenes.js';
import * as races from './race-scenes.js';

let s3: S3Peer;
let postgres: PostgresPeer;
let database: string;

before(async () => {
  [s3, postgres] = await Promise.all([startS3(), startPostgres()]);
  database = await postgres.createDatabase();
});

after(async () => {
  await Promise.all([s3?.stop(), postgres?.stop()]);
});

async function openStores(t: TestContext): Promise<{ blobs: S3BlobStore; metadata: PostgresMetadataStore }> {
  const blobs = new S3BlobStore({ ...s3.connection, bucket: s3.bucket, prefix: `acc-${randomBytes(4).toString('hex')}` });
  const metadata = await PostgresMetadataStore.open({ connectionString: database, schema: `acc_${randomBytes(4).toString('hex')}` });
  t.after(async () => {
    await metadata.close();
    await blobs.close();
  });
  return { blobs, metadata };
}

for (const [name, scene] of Object.entries(scenes)) {
  test(`S3 + PostgreSQL: ${name}`, async (t) => {
    const { blobs, metadata } = await openStores(t);
    const app = buildApp({ blobs, metadata });
    await app.ready();
    t.after(() => app.close());
    await scene({ app, services: { blobs, metadata } });
  });
}

for (const [name, race] of Object.entries(races)) {
  test(`S3 + PostgreSQL race: ${name}`, async (t) => {
    await race(await openStores(t));
  });
}
