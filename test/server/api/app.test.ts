import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Action } from '../../../src/server/auth/principal.js';
import { fakeAccessControl } from '../../support/access.js';
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

  test('auth: authentication first; each request asks can(principal, action, repository); 401 with the challenge, 404 when not visible, 403 when visible', async (t) => {
    const asked: Array<[string, Action, string]> = [];
    const r = await makeRegistry({
      auth: fakeAccessControl({
        can: (principal, action, repository) => {
          asked.push([principal.kind === 'user' ? principal.name : principal.kind, action, repository]);
          if (principal.kind !== 'user') return false;
          if (principal.name === 'admin') return true;
          if (repository.startsWith('hidden')) return false;
          return repository === 'readonly' ? action === 'pull' : true;
        },
      }),
    });
    t.after(() => r.close());
    const anon = await r.app.inject({ method: 'GET', url: '/v2/' });
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.headers['www-authenticate'], 'Bearer realm="https://auth.example/token",service="test"');
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    const anonPush = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/', payload: 'x', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(anonPush.statusCode, 401);
    assert.equal(anonPush.headers['www-authenticate'], 'Bearer realm="https://auth.example/token",service="test",scope="repository:app:pull,push"');
    assert.deepEqual(asked.at(-1), ['anonymous', 'push', 'app']);
    // Malformed requests: the challenge for a caller without credentials, the validation error for one with them.
    for (const url of ['/v2/UPPER/tags/list', '/v2/app/manifests/sha256:nothex', '/v2/app/nonsense']) {
      const bare = await r.app.inject({ method: 'GET', url });
      assert.equal(bare.statusCode, 401, url);
      assert.ok(bare.headers['www-authenticate'], url);
      const signed = await r.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer alice' } });
      assert.ok(signed.statusCode === 400 || signed.statusCode === 404, `${url}: ${signed.statusCode}`);
    }
    assert.equal((await r.app.inject({ method: 'PUT', url: '/v2/', headers: { authorization: 'Bearer alice' } })).statusCode, 405);
    assert.equal((await r.app.inject({ method: 'PUT', url: '/v2/' })).statusCode, 401);
    // What alice may not see answers exactly as what does not exist.
    const absent = await r.app.inject({ method: 'GET', url: '/v2/hidden/tags/list', headers: { authorization: 'Bearer admin' } });
    assert.equal(absent.statusCode, 404);
    await pushImage(r.app, 'hidden', 'v1', { headers: { authorization: 'Bearer admin' } });
    const hidden = await r.app.inject({ method: 'GET', url: '/v2/hidden/tags/list', headers: { authorization: 'Bearer alice' } });
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.body, absent.body);
    const hiddenPush = await r.app.inject({ method: 'POST', url: '/v2/hidden/blobs/uploads/', headers: { authorization: 'Bearer alice' } });
    assert.equal(hiddenPush.statusCode, 404);
    assert.equal(errorCode(hiddenPush), 'NAME_UNKNOWN');
    const denied = await r.app.inject({ method: 'POST', url: '/v2/readonly/blobs/uploads/', headers: { authorization: 'Bearer alice' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(errorCode(denied), 'DENIED');
    const ok = await r.app.inject({ method: 'GET', url: '/v2/', headers: { authorization: 'Bearer alice' } });
    assert.equal(ok.statusCode, 200);
    await r.app.inject({ method: 'DELETE', url: `/v2/app/manifests/latest`, headers: { authorization: 'Bearer alice' } });
    assert.deepEqual(asked.at(-1), ['alice', 'delete', 'app']);
    // Nothing was stored by the refused pushes: only admin's image (config, two layers, manifest).
    const blobs: string[] = [];
    for await (const blob of r.services.blobs.list()) blobs.push(blob.digest);
    assert.equal(blobs.length, 4);
  });

  test('mount needs pull access on the source repository, else it is a plain upload', async (t) => {
    const r = await makeRegistry({
      auth: fakeAccessControl({ can: (_principal, action, repository) => !(repository === 'secret' && action === 'pull'), authenticate: () => ({ ok: true, principal: { kind: 'user', name: 'alice', admin: false, via: 'password' } }) }),
    });
    t.after(() => r.close());
    const digest = await pushBlob(r.app, 'secret', 'classified');
    await pushImage(r.app, 'public', 'v1');
    const res = await r.app.inject({ method: 'POST', url: `/v2/public/blobs/uploads/?mount=${digest}&from=secret` });
    assert.equal(res.statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/public/blobs/${digest}` })).statusCode, 404);
  });
});
