/**
 * Webhooks of two registries sharing one PostgreSQL database (a throwaway
 * cluster) and one data folder's keys, as two `serve` processes behind a load
 * balancer would: the webhook made through one is used by the other, a push
 * to either is delivered once, and both list the same delivery log.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startReceiver, verified, type Receiver } from '../../support/webhook-receiver.js';
import { ADMIN, ADMIN_PASSWORD, call, pushImage } from './running.js';

let peer: PostgresPeer;
let work: string;
let receiver: Receiver;
const registries: RunningRegistry[] = [];

before(async () => {
  peer = await startPostgres();
  const url = await peer.createDatabase();
  work = await mkdtemp(join(tmpdir(), 'portcullis-webhooks-pg-'));
  receiver = await startReceiver();
  for (const name of ['a', 'b']) {
    const config = join(work, `${name}.yaml`);
    // The token key and the webhook secrets key are shared, as the docs say several processes need.
    await writeFile(config, ['root: ./shared', 'listen:', '  addr: 127.0.0.1:0', `metadata:`, `  url: ${url}`, 'auth:', '  accounts: true', `  adminPassword: ${ADMIN_PASSWORD}`, 'scan:', '  enabled: false', 'notary:', '  enabled: false', 'webhooks:', '  allowedNetworks: loopback'].join('\n'));
    const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
    registries.push(await startRegistry(built));
  }
});

after(async () => {
  for (const r of registries) await r.close();
  await receiver?.close();
  await peer?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a webhook made through one registry is used by the other; each delivery is sent once', async () => {
  const [a, b] = registries as [RunningRegistry, RunningRegistry];
  assert.equal((await call(a.url, 'POST', '/api/v1/projects', ADMIN, { name: 'team' })).status, 201);
  const made = await call(a.url, 'POST', '/api/v1/projects/team/webhooks', ADMIN, { url: `${receiver.url}/pg`, events: ['push'] });
  assert.equal(made.status, 201, made.text);
  const secret = String(made.json.secret);
  await pushImage(b.url, 'team/from-b', 'v1');
  await pushImage(a.url, 'team/from-a', 'v1');
  const got = await receiver.waitFor(2);
  await Promise.all([a.webhooks!.idle(), b.webhooks!.idle()]);
  assert.equal(receiver.requests.length, 2, 'once each');
  assert.deepEqual(got.map((r) => verified(r, secret).repository).sort(), ['team/from-a', 'team/from-b'], 'signed with the secret the other process sealed');
  const logA = await call(a.url, 'GET', `/api/v1/projects/team/webhooks/${String(made.json.id)}/deliveries`, ADMIN);
  const logB = await call(b.url, 'GET', `/api/v1/projects/team/webhooks/${String(made.json.id)}/deliveries`, ADMIN);
  assert.deepEqual(logA.json, logB.json);
  assert.deepEqual((logA.json.deliveries as Array<{ state: string }>).map((d) => d.state), ['delivered', 'delivered']);
});
