import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { digestOf, errorCode, makeRegistry, pushBlob, type TestRegistry } from './helpers.js';

describe('blobs API', () => {
  let r: TestRegistry;
  const data = Buffer.from('0123456789abcdef');
  const digest = digestOf(data);
  before(async () => {
    r = await makeRegistry();
    await pushBlob(r.app, 'team/app', data);
  });
  after(() => r.close());

  test('GET and HEAD: bytes, Content-Length, Docker-Content-Digest, octet-stream, API version header', async () => {
    const get = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}` });
    assert.equal(get.statusCode, 200);
    assert.deepEqual(get.rawPayload, data);
    assert.equal(get.headers['content-length'], String(data.length));
    assert.equal(get.headers['docker-content-digest'], digest);
    assert.equal(get.headers['content-type'], 'application/octet-stream');
    assert.equal(get.headers['docker-distribution-api-version'], 'registry/2.0');
    const head = await r.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${digest}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.rawPayload.length, 0);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.headers['docker-content-digest'], digest);
  });

  test('ranges: 206 with Content-Range for a-b, a- and -n; 416 with bytes */size otherwise', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=0-3', '0123', 'bytes 0-3/16'],
      ['bytes=10-', 'abcdef', 'bytes 10-15/16'],
      ['bytes=-4', 'cdef', 'bytes 12-15/16'],
      ['bytes=14-99', 'ef', 'bytes 14-15/16'],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}`, headers: { range } });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.body, body, range);
      assert.equal(res.headers['content-range'], contentRange, range);
      assert.equal(res.headers['content-length'], String(body.length), range);
    }
    for (const range of ['bytes=16-20', 'bytes=5-2', 'items=0-1', 'bytes=0-1,3-4', 'bytes=-0', 'bytes=-']) {
      const res = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}`, headers: { range } });
      assert.equal(res.statusCode, 416, range);
      assert.equal(errorCode(res), 'RANGE_INVALID', range);
      assert.equal(res.headers['content-range'], 'bytes */16', range);
    }
  });

  test('a blob is served only to repositories it is linked to', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await r.app.inject({ method, url: `/v2/other/app/blobs/${digest}` });
      assert.equal(res.statusCode, 404);
      if (method === 'GET') assert.equal(errorCode(res), 'BLOB_UNKNOWN');
    }
    const missing = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digestOf('never pushed')}` });
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing), 'BLOB_UNKNOWN');
  });

  test('bad digests are DIGEST_INVALID, bad names NAME_INVALID', async () => {
    for (const bad of ['sha256:xyz', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`]) {
      const res = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${bad}` });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(errorCode(res), 'DIGEST_INVALID', bad);
    }
    const name = await r.app.inject({ method: 'GET', url: `/v2/Team/App/blobs/${digest}` });
    assert.equal(name.statusCode, 400);
    assert.equal(errorCode(name), 'NAME_INVALID');
  });

  test('DELETE unlinks from that repository only: 202, then 404', async () => {
    await pushBlob(r.app, 'keep/it', 'shared bytes');
    await pushBlob(r.app, 'drop/it', 'shared bytes');
    const shared = digestOf('shared bytes');
    const del = await r.app.inject({ method: 'DELETE', url: `/v2/drop/it/blobs/${shared}` });
    assert.equal(del.statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/drop/it/blobs/${shared}` })).statusCode, 404);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/keep/it/blobs/${shared}` })).body, 'shared bytes');
    const again = await r.app.inject({ method: 'DELETE', url: `/v2/drop/it/blobs/${shared}` });
    assert.equal(again.statusCode, 404);
    assert.equal(errorCode(again), 'BLOB_UNKNOWN');
  });

  test('methods a blob does not have are 405 UNSUPPORTED', async () => {
    const res = await r.app.inject({ method: 'PUT', url: `/v2/team/app/blobs/${digest}`, payload: 'x' });
    assert.equal(res.statusCode, 405);
    assert.equal(errorCode(res), 'UNSUPPORTED');
  });
});
