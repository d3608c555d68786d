/**
 * /readyz with metadata in a real PostgreSQL: 200 while it runs, 503 naming
 * `metadata` once it is stopped (connection refused), while /healthz still
 * answers 200: the process is alive, it just cannot serve.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { startPostgres, type PostgresPeer } from '../support/postgres.js';
import { captureLog } from '../support/registry-log.js';

let work: string;
let postgres: PostgresPeer | undefined;
let registry: RunningRegistry | undefined;
const log = captureLog('info');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-readyz-pg-'));
  postgres = await startPostgres();
  const url = await postgres.createDatabase();
  const config = await buildConfig({ addr: '127.0.0.1:0', root: work, metadata: url, scan: false, notary: false }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
  registry = await startRegistry({ ...config, log: log.log });
});

after(async () => {
  await registry?.close().catch(() => undefined);
  await postgres?.stop().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

test('readyz: 200 with PostgreSQL up, 503 naming metadata when it is stopped; healthz stays 200', async () => {
  const up = await fetch(`${registry!.url}/readyz`);
  assert.equal(up.status, 200);
  assert.deepEqual(await up.json(), { status: 'ready', checks: { storage: 'ok', metadata: 'ok' } }, 'no advisories check with scanning off');

  await postgres!.stop();
  postgres = undefined;
  const down = await fetch(`${registry!.url}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as { status: string; failed: string[]; checks: Record<string, string> };
  assert.equal(body.status, 'not ready');
  assert.deepEqual(body.failed, ['metadata']);
  assert.equal(body.checks['storage'], 'ok');
  assert.ok(['failed', 'timeout'].includes(body.checks['metadata']!), body.checks['metadata']);
  assert.equal((await fetch(`${registry!.url}/healthz`)).status, 200);
  const logged = log.events('readiness').at(-1);
  assert.equal(logged?.component, 'metadata');
});
