import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Access } from '../../../src/server/services.js';
import type { TufRequest } from '../../../src/server/services.js';
import { errorCode, makeRegistry, pushBlob, pushImage } from './helpers.js';

describe('base, errors, plugins, Notary routing, auth', () => {
  test('GET /v2/ and /v2 → 200 {} with the API version header', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    for (const url of ['/v2/', '/v2']) {
      const res = await r.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, '{}');
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.match(String(res.headers['content-type']), /^application\/json/);
    }
  });

  test('unknown routes and methods answer the spec error body', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const unknown = await r.app.inject({ method: 'GET', url: '/v2/app/whatever/else' });
    assert.equal(unknown.statusCode, 404);
    assert.ok(errorCode(unknown));
    const options = await r.app.inject({ method: 'OPTIONS', url: '/v2/app/tags/list' });
    assert.equal(options.statusCode, 404);
    assert.ok(errorCode(options));
    const post = await r.app.inject({ method: 'POST', url: '/v2/app/tags/list' });
    assert.equal(post.statusCode, 405);
    assert.equal(errorCode(post), 'UNSUPPORTED');
    const longName = await r.app.inject({ method: 'GET', url: `/v2/${'a/'.repeat(200)}b/tags/list` });
    assert.equal(longName.statusCode, 400);
    assert.equal(errorCode(longName), 'NAME_INVALID');
    const outside = await r.app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(outside.statusCode, 404);
  });

  test('plugins are mounted beside /v2 and keep their JSON body parsing; their hooks see /v2 requests', async (t) => {
    const seen: string[] = [];
    const r = await makeRegistry({}, {
      plugins: [
        (app) => {
          app.addHook('onResponse', async (request, reply) => {
            seen.push(`${request.method} ${request.url} ${reply.statusCode}`);
          });
          app.get('/metrics', async () => 'registry_up 1\n');
          app.post('/ui/api/echo', async (request) => request.body);
        },
      ],
    });
    t.after(() => r.close());
    assert.equal((await r.app.inject({ method: 'GET', url: '/metrics' })).body, 'registry_up 1\n');
    const echo = await r.app.inject({ method: 'POST', url: '/ui/api/echo', payload: { a: 1 } });
    assert.deepEqual(JSON.parse(echo.body), { a: 1 });
    await r.app.inject({ method: 'GET', url: '/v2/' });
    assert.ok(seen.includes('GET /v2/ 200'), seen.join('\n'));
  });

  test('tuf routes go to the Notary service with the body; 404 NAME_UNKNOWN without one', async (t) => {
    const calls: TufRequest[] = [];
    const r = await makeRegistry({
      notary: {
        handle: async (request) => {
          calls.push(request);
          return { status: request.method === 'POST' ? 200 : 404, contentType: 'application/json', body: request.method === 'POST' ? '{}' : '{"errors":[]}' };
        },
      },
    });
    t.after(() => r.close());
    const postFile = await r.app.inject({ method: 'POST', url: '/v2/lib/app/_trust/tuf/root.json', payload: '{"signed":{}}', headers: { 'content-type': 'application/json' } });
    assert.equal(postFile.statusCode, 200);
    assert.equal(postFile.headers['content-type'], 'application/json');
    const get = await r.app.inject({ method: 'GET', url: '/v2/lib/app/_trust/tuf/2.root.json' });
    assert.equal(get.statusCode, 404);
    assert.equal(get.body, '{"errors":[]}');
    const file = calls.find((c) => c.path === 'root.json');
    assert.equal(file?.gun, 'lib/app');
    assert.equal(file?.method, 'POST');
    assert.equal(file?.body?.toString(), '{"signed":{}}');
    assert.equal(calls.find((c) => c.path === '2.root.json')?.body, undefined);

    const bare = await makeRegistry();
    t.after(() => bare.close());
    const none = await bare.app.inject({ method: 'GET', url: '/v2/lib/app/_trust/tuf/root.json' });
    assert.equal(none.statusCode, 404);
    assert.equal(errorCode(none), 'NAME_UNKNOWN');
  });

  test('auth: every request is authorized with the access its method needs; 401 with the challenge, 403 when denied', async (t) => {
    const asked: Array<[Access, string | undefined]> = [];
    const r = await makeRegistry({
      auth: {
        authorize: async ({ headers }, access, repository) => {
          asked.push([access, repository]);
          if (headers.authorization !== 'Bearer good') return { ok: false, challenge: 'Bearer realm="https://auth.example/token"' };
          if (repository === 'forbidden') return { ok: false, challenge: 'Bearer realm="https://auth.example/token",error="insufficient_scope"', denied: true };
          return { ok: true, user: 'alice' };
        },
      },
    });
    t.after(() => r.close());
    const anon = await r.app.inject({ method: 'GET', url: '/v2/' });
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.headers['www-authenticate'], 'Bearer realm="https://auth.example/token"');
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    const anonPush = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/', payload: 'x', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(anonPush.statusCode, 401);
    assert.deepEqual(asked.at(-1), ['push', 'app']);
    const denied = await r.app.inject({ method: 'GET', url: '/v2/forbidden/tags/list', headers: { authorization: 'Bearer good' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(errorCode(denied), 'DENIED');
    assert.match(String(denied.headers['www-authenticate']), /insufficient_scope/);
    const ok = await r.app.inject({ method: 'GET', url: '/v2/', headers: { authorization: 'Bearer good' } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(asked.at(-1), ['pull', undefined]);
    await r.app.inject({ method: 'DELETE', url: `/v2/app/manifests/latest`, headers: { authorization: 'Bearer good' } });
    assert.deepEqual(asked.at(-1), ['delete', 'app']);
    // Nothing was stored by the refused push.
    const blobs: string[] = [];
    for await (const blob of r.services.blobs.list()) blobs.push(blob.digest);
    assert.deepEqual(blobs, []);
  });

  test('mount needs pull access on the source repository, else it is a plain upload', async (t) => {
    const r = await makeRegistry({
      auth: { authorize: async (_h, access, repository) => (repository === 'secret' && access === 'pull' ? { ok: false, challenge: 'Basic realm="x"', denied: true } : { ok: true }) },
    });
    t.after(() => r.close());
    const digest = await pushBlob(r.app, 'secret', 'classified');
    await pushImage(r.app, 'public', 'v1');
    const res = await r.app.inject({ method: 'POST', url: `/v2/public/blobs/uploads/?mount=${digest}&from=secret` });
    assert.equal(res.statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/public/blobs/${digest}` })).statusCode, 404);
  });
});
