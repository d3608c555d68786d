/**
 * Garbage collection as the server and the CLI offer it: the service (one run at a time, the `gc` log
 * event, the observer), the admin API under /api/v1/gc, and `portcullis registry gc` offline and --url.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildApp } from '../../../src/server/app.js';
import { gcApiPlugin } from '../../../src/server/api/v1/gc.js';
import { GcService, type GcReport } from '../../../src/server/gc/index.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { startServer } from '../../../src/server/listen.js';
import type { AccessControl, RegistryServices } from '../../../src/server/services.js';
import { fakeAccessControl } from '../../support/access.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { runCli } from '../../support/cli.js';
import { captureLog } from '../../support/registry-log.js';
import { makeRegistry, pushBlob, pushImage } from '../api/helpers.js';
import { stored } from './helpers.js';

describe('the gc service', () => {
  test('runs of the same kind join; each run is one gc log event and one observer call; a failure is logged and observed too', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    await pushBlob(r.app, 'team/app', 'loose');
    const captured = captureLog('info');
    const finished: GcReport[] = [];
    const failed: unknown[] = [];
    const gc = new GcService({
      stores: { blobs: r.services.blobs, metadata: r.services.metadata },
      log: captured.log,
      intervalMs: 0,
      defaults: { graceMs: 0 },
      observer: { gcFinished: (report) => finished.push(report), gcFailed: (_ms, error) => failed.push(error) },
    });
    const [a, b] = await Promise.all([gc.run(), gc.run()]);
    assert.equal(a, b, 'the second call joined the first');
    assert.equal(a.blobsDeleted, 1);
    assert.equal(gc.lastReport, a);
    const events = captured.events('gc');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.level, 'info');
    assert.equal(events[0]?.blobsDeleted, 1);
    assert.equal(events[0]?.linksRemoved, 1);
    assert.equal(events[0]?.bytesFreed, Buffer.byteLength('loose'));
    assert.equal(typeof events[0]?.durationMs, 'number');
    assert.equal(finished.length, 1);
    // Another collector holds the lease: the run fails, logged as an error and observed.
    await r.services.metadata.acquireLease('gc', 'elsewhere', new Date().toISOString(), 60_000);
    await assert.rejects(gc.run());
    const failure = captured.events('gc').at(-1);
    assert.equal(failure?.level, 'error');
    assert.match(String((failure?.err as { message?: string } | undefined)?.message), /another garbage collection is running/);
    assert.equal(failed.length, 1);
    await gc.stop();
  });
});

describe('the admin API and the CLI', () => {
  async function serverWith(services: RegistryServices, auth?: AccessControl) {
    const gc = new GcService({ stores: { blobs: services.blobs, metadata: services.metadata }, log: captureLog().log, intervalMs: 0, defaults: { graceMs: 0 } });
    const server = await startServer({ services, port: 0, plugins: [gcApiPlugin({ gc, ...(auth ? { auth } : {}) })] });
    return { gc, server };
  }

  test('POST /api/v1/gc runs (dryRun=true lists only), GET tells the last report; portcullis registry gc --url prints it', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const garbage = await pushBlob(r.app, 'team/app', 'garbage for the api');
    const { server } = await serverWith(r.services);
    t.after(() => server.close());
    const dry = await fetch(`${server.url}/api/v1/gc?dryRun=true`, { method: 'POST' });
    assert.equal(dry.status, 200);
    const dryReport = (await dry.json()) as GcReport;
    assert.equal(dryReport.dryRun, true);
    assert.deepEqual(dryReport.deleted.blobs.map((b) => b.digest), [garbage]);
    assert.ok((await stored(r.services.blobs)).has(garbage));
    const bad = await fetch(`${server.url}/api/v1/gc?dryRun=maybe`, { method: 'POST' });
    assert.equal(bad.status, 400);
    const cli = await runCli(['registry', 'gc', '--url', server.url]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^Garbage collection: deleted 0 manifests, 0 tags and 1 blob \(19 B\); 1 repository looked at/);
    assert.match(cli.stdout, new RegExp(`Blobs:\\n  ${garbage} 19 B`));
    assert.ok(!(await stored(r.services.blobs)).has(garbage));
    const status = (await (await fetch(`${server.url}/api/v1/gc`)).json()) as { running: boolean; last?: GcReport };
    assert.equal(status.running, false);
    assert.equal(status.last?.blobsDeleted, 1);
  });

  test('with authentication: no credentials 401 with the challenge, wrong ones 401 (exit 4), a user who is no administrator 403, an administrator runs it', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const auth = fakeAccessControl({
      can: () => true,
      challenge: 'Basic realm="test"',
      authenticate: (request) => {
        const header = request.headers.authorization;
        if (header === undefined) return { ok: true, principal: { kind: 'anonymous' } };
        if (header === basic('admin', 'secret')) return { ok: true, principal: { kind: 'user', name: 'admin', admin: true, via: 'password' } };
        if (header === basic('alice', 'secret')) return { ok: true, principal: { kind: 'user', name: 'alice', admin: false, via: 'password' } };
        if (header === basic('robot', 'secret')) return { ok: true, principal: { kind: 'robot', name: 'robot$team+ci', project: 'team', actions: ['pull', 'push', 'delete'] } };
        return { ok: false, reason: 'invalid', user: 'someone' };
      },
    });
    const { server } = await serverWith(r.services, auth);
    t.after(() => server.close());
    const none = await fetch(`${server.url}/api/v1/gc`, { method: 'POST' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="test"');
    const wrong = await runCli(['registry', 'gc', '--server', server.url, '--creds', 'admin:wrong']);
    assert.equal(wrong.code, 4, 'exit code 4: authentication');
    assert.match(wrong.stderr, /refused garbage collection \(401\): authentication required/);
    for (const user of ['alice', 'robot']) {
      const denied = await fetch(`${server.url}/api/v1/gc`, { method: 'POST', headers: { authorization: basic(user, 'secret') } });
      assert.equal(denied.status, 403, `${user} may delete in a project, but is no registry administrator`);
    }
    const aliceCli = await runCli(['registry', 'gc', '--server', server.url], { PORTCULLIS_USERNAME: 'alice', PORTCULLIS_PASSWORD: 'secret' });
    assert.equal(aliceCli.code, 4, aliceCli.stderr);
    const right = await runCli(['registry', 'gc', '--dry-run', '--json'], { PORTCULLIS_SERVER: server.url, PORTCULLIS_REGISTRY_CREDS: 'admin:secret' });
    assert.equal(right.code, 0, right.stderr);
    assert.equal((JSON.parse(right.stdout) as GcReport).dryRun, true);
  });

  test('portcullis registry gc offline, on the data folder serve uses: dry run lists, the run deletes, the registry serves the rest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'portcullis-gc-cli-'));
    const services: RegistryServices = { blobs: new FilesystemBlobStore(join(root, 'blobs')), metadata: new SqliteMetadataStore(join(root, 'registry.sqlite')) };
    const app = buildApp(services);
    await app.ready();
    const image = await pushImage(app, 'team/app', 'v1');
    const garbage = await pushBlob(app, 'team/app', 'offline garbage');
    assert.equal((await app.inject({ method: 'DELETE', url: `/v2/team/app/blobs/${garbage}` })).statusCode, 202);
    await app.close();
    await services.metadata.close();
    const dry = await runCli(['registry', 'gc', '--root', root, '--dry-run', '--grace', '0']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Garbage collection \(dry run: nothing was deleted\): would delete 0 manifests, 0 tags and 1 blob \(15 B\)/);
    const json = await runCli(['registry', 'gc', '--root', root, '--grace', '0', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as GcReport;
    assert.deepEqual(report.deleted.blobs.map((b) => b.digest), [garbage]);
    const left = await stored(services.blobs);
    assert.ok(!left.has(garbage));
    for (const d of [image.digest, image.config, ...image.layers]) assert.ok(left.has(d));
    const usage = await runCli(['registry', 'gc', '--root', root, '--url', 'http://127.0.0.1:1']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--root is for offline runs/);
    const nothing = await runCli(['registry', 'gc', '--root', join(root, 'nope')]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /no registry in .*nope \(no registry\.sqlite\)/);
  });
});
