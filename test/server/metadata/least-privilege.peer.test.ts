/**
 * Operators often run `portcullis serve` as a PostgreSQL role that may read
 * and write its tables but not create anything: an administrator migrates
 * once (the first start, as a role with CREATE), later starts use the small
 * role. Every store of the registry (content, accounts, kept inventories,
 * webhooks, audit, UI sessions, Notary trust data) must then open on the migrated schema without asking for
 * a lock or CREATE, and work.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openAuditStore, openIdentityStore, openInventoryStore, openMetadataStore, openSessionStore, openWebhookStore } from '../../../src/server/metadata/open-stores.js';
import { openNotaryStore } from '../../../src/server/notary/index.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';

let peer: PostgresPeer;
let url: string;

before(async () => {
  peer = await startPostgres();
  url = await peer.createDatabase();
});

after(async () => {
  await peer?.stop();
});

const OPENERS = { content: openMetadataStore, identity: openIdentityStore, inventory: openInventoryStore, webhooks: openWebhookStore, audit: openAuditStore, sessions: openSessionStore, notary: openNotaryStore };

test('a role without CREATE opens every store on a schema an administrator migrated, and writes through them', async () => {
  for (const open of Object.values(OPENERS)) await (await open({ root: '/nonexistent', metadataUrl: url })).close();
  const role = `portcullis_app_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-password'`);
    await admin.query(`REVOKE CREATE ON DATABASE ${new URL(url).pathname.slice(1)} FROM PUBLIC`);
    await admin.query(`GRANT USAGE ON SCHEMA portcullis_registry TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA portcullis_registry TO ${role}`);
    await admin.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA portcullis_registry TO ${role}`);
  } finally {
    await admin.end();
  }
  const asApp = new URL(url);
  asApp.username = role;
  asApp.password = 'app-password';
  const opened: string[] = [];
  for (const [name, open] of Object.entries(OPENERS)) {
    const store = await open({ root: '/nonexistent', metadataUrl: asApp.toString() });
    opened.push(name);
    await store.close();
  }
  assert.deepEqual(opened, Object.keys(OPENERS));
  const content = await openMetadataStore({ root: '/nonexistent', metadataUrl: asApp.toString() });
  try {
    assert.deepEqual(await content.listRepositories({ limit: 10 }), []);
  } finally {
    await content.close();
  }
  const sessions = await openSessionStore({ root: '/nonexistent', metadataUrl: asApp.toString() });
  try {
    await sessions.create({ key: 'k', user: 'alice', createdAt: 1, lastSeen: 1, expiresAt: 1000, idleMs: 500 }, 10);
    assert.equal((await sessions.get('k', 2))?.user, 'alice');
    assert.equal(await sessions.purgeExpired(2000, 10), 1);
  } finally {
    await sessions.close();
  }
  // A Notary publish takes an advisory lock and a key row a sequence number: both allowed to the small role.
  const notary = await openNotaryStore({ root: '/nonexistent', metadataUrl: asApp.toString() });
  try {
    await notary.put('reg.example/team/app', [{ role: 'root', version: 1, data: Buffer.from('root') }]);
    await notary.addKey({ gun: 'reg.example/team/app', role: 'timestamp', keyId: 'k', sealedKey: Buffer.from('sealed'), kekId: 'kek', createdAt: new Date() });
    assert.deepEqual((await notary.keys('reg.example/team/app', 'timestamp')).map((k) => k.keyId), ['k']);
  } finally {
    await notary.close();
  }
});
