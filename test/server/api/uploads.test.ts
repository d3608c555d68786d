import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digestOf, errorCode, makeRegistry, pushBlob, type TestRegistry } from './helpers.js';

const octet = { 'content-type': 'application/octet-stream' };

async function storedBlobs(r: TestRegistry): Promise<string[]> {
  const out: string[] = [];
  for await (const blob of r.services.blobs.list()) out.push(blob.digest);
  return out;
}

describe('uploads API', () => {
  let r: TestRegistry;
  before(async () => {
    r = await makeRegistry();
  });
  after(() => r.close());

  test('POST starts an upload: 202, Location, Range 0-0, Docker-Upload-UUID; GET reports it with 204', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' });
    assert.equal(res.statusCode, 202);
    const id = res.headers['docker-upload-uuid'];
    assert.equal(typeof id, 'string');
    assert.match(String(id), /^[A-Za-z0-9_-]{1,128}$/);
    assert.equal(res.headers.location, `/v2/app/blobs/uploads/${id}`);
    assert.equal(res.headers.range, '0-0');
    assert.equal(res.headers['content-length'], '0');
    const status = await r.app.inject({ method: 'GET', url: String(res.headers.location) });
    assert.equal(status.statusCode, 204);
    assert.equal(status.headers.range, '0-0');
    assert.equal(status.headers['docker-upload-uuid'], id);
  });

  test('chunked: PATCH with Content-Range in order, PUT ?digest= with a last chunk → 201 and the blob is served', async () => {
    const start = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads' });
    const location = String(start.headers.location);
    const p1 = await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('hello '), headers: { ...octet, 'content-range': '0-5' } });
    assert.equal(p1.statusCode, 202);
    assert.equal(p1.headers.range, '0-5');
    assert.equal(p1.headers.location, location);
    // Without Content-Range (how docker and skopeo stream): appended at the end.
    const p2 = await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('chunked '), headers: octet });
    assert.equal(p2.statusCode, 202);
    assert.equal(p2.headers.range, '0-13');
    const status = await r.app.inject({ method: 'GET', url: location });
    assert.equal(status.headers.range, '0-13');
    const digest = digestOf('hello chunked world');
    const put = await r.app.inject({ method: 'PUT', url: `${location}?digest=${digest}`, payload: Buffer.from('world'), headers: { ...octet, 'content-range': '14-18' } });
    assert.equal(put.statusCode, 201, put.body);
    assert.equal(put.headers.location, `/v2/app/blobs/${digest}`);
    assert.equal(put.headers['docker-content-digest'], digest);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/app/blobs/${digest}` })).body, 'hello chunked world');
    assert.equal((await r.app.inject({ method: 'GET', url: location })).statusCode, 404, 'the upload is gone');
  });

  test('out-of-order chunk → 416 RANGE_INVALID and the upload is unchanged', async () => {
    const start = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' });
    const location = String(start.headers.location);
    await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('abc'), headers: { ...octet, 'content-range': '0-2' } });
    for (const range of ['0-2', '5-7', 'garbage']) {
      const res = await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('xyz'), headers: { ...octet, 'content-range': range } });
      assert.equal(res.statusCode, 416, range);
      assert.equal(errorCode(res), 'RANGE_INVALID');
    }
    assert.equal((await r.app.inject({ method: 'GET', url: location })).headers.range, '0-2');
  });

  test('monolithic POST ?digest= → 201; PUT with no body after PATCHes; empty blob', async () => {
    const digest = await pushBlob(r.app, 'mono', 'one shot');
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/mono/blobs/${digest}` })).body, 'one shot');
    const start = await r.app.inject({ method: 'POST', url: '/v2/mono/blobs/uploads/' });
    await r.app.inject({ method: 'PATCH', url: String(start.headers.location), payload: Buffer.from('patched'), headers: octet });
    const put = await r.app.inject({ method: 'PUT', url: `${String(start.headers.location)}?digest=${digestOf('patched')}` });
    assert.equal(put.statusCode, 201);
    const empty = await pushBlob(r.app, 'mono', '');
    const res = await r.app.inject({ method: 'HEAD', url: `/v2/mono/blobs/${empty}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], '0');
  });

  test('digest mismatch → 400 DIGEST_INVALID and nothing stored (monolithic and chunked)', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const before = await storedBlobs(r);
    const claimed = digestOf('what I said');
    const mono = await r.app.inject({ method: 'POST', url: `/v2/bad/blobs/uploads/?digest=${claimed}`, payload: Buffer.from('what I sent'), headers: octet });
    assert.equal(mono.statusCode, 400);
    assert.equal(errorCode(mono), 'DIGEST_INVALID');
    const start = await r.app.inject({ method: 'POST', url: '/v2/bad/blobs/uploads/' });
    const location = String(start.headers.location);
    await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('what I sent'), headers: octet });
    const put = await r.app.inject({ method: 'PUT', url: `${location}?digest=${claimed}` });
    assert.equal(put.statusCode, 400);
    assert.equal(errorCode(put), 'DIGEST_INVALID');
    assert.deepEqual(await storedBlobs(r), before);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/bad/blobs/${claimed}` })).statusCode, 404);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/bad/blobs/${digestOf('what I sent')}` })).statusCode, 404);
    assert.deepEqual(await readdir(join(r.root, 'storage', 'uploads')), [], 'no upload left behind');
    const noDigest = await r.app.inject({ method: 'PUT', url: location });
    assert.equal(noDigest.statusCode, 404, 'the failed upload was removed');
    const badDigest = await r.app.inject({ method: 'POST', url: '/v2/bad/blobs/uploads/?digest=sha256:nothex', payload: Buffer.from('x'), headers: octet });
    assert.equal(badDigest.statusCode, 400);
    assert.equal(errorCode(badDigest), 'DIGEST_INVALID');
  });

  test('PUT without ?digest= → 400 DIGEST_INVALID; unknown upload ids → 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const start = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' });
    const put = await r.app.inject({ method: 'PUT', url: String(start.headers.location) });
    assert.equal(put.statusCode, 400);
    assert.equal(errorCode(put), 'DIGEST_INVALID');
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE'] as const) {
      const res = await r.app.inject({ method, url: '/v2/app/blobs/uploads/doesnotexist', ...(method === 'PATCH' ? { payload: 'x', headers: octet } : {}) });
      assert.equal(res.statusCode, 404, method);
      assert.equal(errorCode(res), 'BLOB_UPLOAD_UNKNOWN', method);
    }
  });

  test('DELETE cancels: 204, then the upload is unknown', async () => {
    const start = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' });
    const location = String(start.headers.location);
    await r.app.inject({ method: 'PATCH', url: location, payload: Buffer.from('abandoned'), headers: octet });
    const del = await r.app.inject({ method: 'DELETE', url: location });
    assert.equal(del.statusCode, 204);
    assert.equal((await r.app.inject({ method: 'GET', url: location })).statusCode, 404);
  });

  test('cross-repository mount: 201 when the source has it; a normal upload (202) when not', async () => {
    const digest = await pushBlob(r.app, 'source/repo', 'mount me');
    const mounted = await r.app.inject({ method: 'POST', url: `/v2/target/repo/blobs/uploads/?mount=${digest}&from=source/repo` });
    assert.equal(mounted.statusCode, 201);
    assert.equal(mounted.headers.location, `/v2/target/repo/blobs/${digest}`);
    assert.equal(mounted.headers['docker-content-digest'], digest);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/target/repo/blobs/${digest}` })).body, 'mount me');
    for (const query of [`mount=${digestOf('absent')}&from=source/repo`, `mount=${digest}&from=nowhere`, `mount=${digest}`, `mount=bad&from=source/repo`, `mount=${digest}&from=Bad..Name`]) {
      const res = await r.app.inject({ method: 'POST', url: `/v2/third/repo/blobs/uploads/?${query}` });
      assert.equal(res.statusCode, 202, query);
      assert.match(String(res.headers.location), /^\/v2\/third\/repo\/blobs\/uploads\/[A-Za-z0-9_-]+$/);
    }
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/third/repo/blobs/${digest}` })).statusCode, 404);
  });

  test('maxBlobBytes: a blob over the limit is refused with SIZE_INVALID and not stored', async () => {
    const small = await makeRegistry({ limits: { maxBlobBytes: 8 } });
    try {
      const res = await small.app.inject({ method: 'POST', url: `/v2/x/blobs/uploads/?digest=${digestOf('123456789')}`, payload: Buffer.from('123456789'), headers: octet });
      assert.equal(res.statusCode, 400);
      assert.equal(errorCode(res), 'SIZE_INVALID');
      assert.deepEqual(await storedBlobs(small), []);
      assert.equal(await pushBlob(small.app, 'x', '12345678'), digestOf('12345678'));
    } finally {
      await small.close();
    }
  });
});
