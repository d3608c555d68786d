/**
 * The worker gate in process (server/worker-gate.ts): on an app with the
 * distribution API, health endpoints and a route added after it, only the
 * allowlisted operator paths are answered; everything else, including the
 * later route and query-string or method variants of the allowed paths, is
 * 503 with the JSON reason and no Retry-After.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { healthPlugin } from '../../src/server/health.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';
import { WORKER_REFUSAL, workerGatePlugin } from '../../src/server/worker-gate.js';

const REFUSED = { errors: [{ code: 'UNAVAILABLE', message: WORKER_REFUSAL }] };

for (const metrics of [true, false]) {
  test(`worker gate (metrics on this listener: ${metrics}): only /healthz, /readyz${metrics ? ' and /metrics' : ''} are answered`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-worker-gate-'));
    const metadata = new SqliteMetadataStore(join(dir, 'registry.sqlite'));
    const blobs = new FilesystemBlobStore(join(dir, 'blobs'));
    const app = buildApp(
      { blobs, metadata },
      {
        plugins: [
          workerGatePlugin({ metrics }),
          healthPlugin(async () => ({ ready: true, checks: { storage: 'ok' } })),
          (instance) => {
            instance.get('/metrics', async () => 'metrics\n');
            instance.get('/api/v1/users', async () => ({ users: [] }));
          },
        ],
      },
    );
    try {
      assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
      const ready = await app.inject({ url: '/readyz?verbose=1' });
      assert.equal(ready.statusCode, 200);
      const metricsAnswer = await app.inject({ url: '/metrics' });
      assert.equal(metricsAnswer.statusCode, metrics ? 200 : 503);
      for (const [method, url] of [['GET', '/v2/'], ['GET', '/v2/team/app/tags/list'], ['PUT', '/v2/team/app/manifests/v1'], ['GET', '/api/v1/users'], ['GET', '/token'], ['GET', '/ui/'], ['POST', '/healthz'], ['GET', '/healthz/'], ['GET', '/']] as const) {
        const response = await app.inject({ method, url });
        assert.equal(response.statusCode, 503, `${method} ${url}`);
        assert.equal(response.headers['retry-after'], undefined);
        assert.deepEqual(response.json(), REFUSED, `${method} ${url}`);
      }
      const head = await app.inject({ method: 'HEAD', url: '/v2/' });
      assert.equal(head.statusCode, 503);
      assert.equal(head.body, '');
    } finally {
      await app.close();
      await metadata.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
