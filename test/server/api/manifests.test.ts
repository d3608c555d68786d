import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  digestOf,
  errorCode,
  imageManifest,
  makeRegistry,
  pushBlob,
  pushImage,
  putManifest,
  type TestRegistry,
} from './helpers.js';

describe('manifests API', () => {
  let r: TestRegistry;
  const pushed: Array<[ManifestRecord, string | undefined]> = [];
  const deleted: string[] = [];
  before(async () => {
    r = await makeRegistry({
      events: {
        manifestPushed: (record, tag) => pushed.push([record, tag]),
        manifestDeleted: (_repo, digest) => deleted.push(digest),
      },
    });
  });
  after(() => r.close());

  test('PUT by tag → 201 with Location and Docker-Content-Digest; GET/HEAD by tag and digest give the exact bytes', async () => {
    const image = await pushImage(r.app, 'team/app', 'v1');
    const put = await putManifest(r.app, 'team/app', 'v1', image.bytes, OCI_MANIFEST);
    assert.equal(put.statusCode, 201);
    assert.equal(put.headers.location, `/v2/team/app/manifests/${image.digest}`);
    assert.equal(put.headers['docker-content-digest'], image.digest);
    assert.equal(put.headers['oci-subject'], undefined);
    for (const ref of ['v1', image.digest]) {
      const get = await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${ref}`, headers: { accept: OCI_MANIFEST } });
      assert.equal(get.statusCode, 200);
      assert.deepEqual(get.rawPayload, image.bytes);
      assert.equal(get.headers['content-type'], OCI_MANIFEST);
      assert.equal(get.headers['docker-content-digest'], image.digest);
      assert.equal(get.headers['content-length'], String(image.bytes.length));
      const head = await r.app.inject({ method: 'HEAD', url: `/v2/team/app/manifests/${ref}` });
      assert.equal(head.statusCode, 200);
      assert.equal(head.rawPayload.length, 0);
      assert.equal(head.headers['content-length'], String(image.bytes.length));
      assert.equal(head.headers['docker-content-digest'], image.digest);
    }
    // What the scanner sees.
    const [record, tag] = pushed.at(-1) ?? [];
    assert.equal(tag, 'v1');
    assert.equal(record?.digest, image.digest);
    assert.equal(record?.artifactType, 'application/vnd.oci.image.config.v1+json');
    assert.deepEqual(record?.references, [image.config, ...image.layers]);
  });

  test('stored bytes are served as stored whatever Accept says (never converted)', async () => {
    const image = await pushImage(r.app, 'docker/app', 'latest', { mediaType: DOCKER_MANIFEST });
    for (const accept of [OCI_MANIFEST, DOCKER_MANIFEST, '*/*', undefined]) {
      const get = await r.app.inject({ method: 'GET', url: '/v2/docker/app/manifests/latest', ...(accept ? { headers: { accept } } : {}) });
      assert.equal(get.statusCode, 200, String(accept));
      assert.equal(get.headers['content-type'], DOCKER_MANIFEST);
      assert.deepEqual(get.rawPayload, image.bytes);
    }
  });

  test('PUT by digest: accepted when it matches, DIGEST_INVALID when the bytes hash otherwise', async () => {
    const image = await pushImage(r.app, 'bydigest', 'tmp');
    const ok = await putManifest(r.app, 'bydigest', image.digest, image.bytes, OCI_MANIFEST);
    assert.equal(ok.statusCode, 201);
    const other = Buffer.from(JSON.stringify({ ...image.manifest, annotations: { changed: 'yes' } }));
    const bad = await putManifest(r.app, 'bydigest', image.digest, other, OCI_MANIFEST);
    assert.equal(bad.statusCode, 400);
    assert.equal(errorCode(bad), 'DIGEST_INVALID');
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/bydigest/manifests/${digestOf(other)}` })).statusCode, 404);
  });

  test('refused pushes: MANIFEST_INVALID (not JSON, schema 1, unknown type, type conflict), MANIFEST_BLOB_UNKNOWN; nothing stored', async () => {
    const config = await pushBlob(r.app, 'strict', '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const good = imageManifest({ digest: config, size: 78 }, []);
    const cases: Array<[string, Buffer, string, string]> = [
      ['not json', Buffer.from('{nope'), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['array', Buffer.from('[]'), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['schema 1', Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'strict', tag: 'x', fsLayers: [] })), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'MANIFEST_INVALID'],
      ['schema 1 by content type', Buffer.from(JSON.stringify(good)), 'application/vnd.docker.distribution.manifest.v1+json', 'MANIFEST_INVALID'],
      ['unknown type', Buffer.from(JSON.stringify({ ...good, mediaType: 'application/vnd.example+json' })), 'application/vnd.example+json', 'MANIFEST_INVALID'],
      ['type conflict', Buffer.from(JSON.stringify(good)), DOCKER_MANIFEST, 'MANIFEST_INVALID'],
      ['no layers', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: good.config })), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['bad descriptor', Buffer.from(JSON.stringify({ ...good, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] })), OCI_MANIFEST, 'MANIFEST_INVALID'],
      [
        'layer not pushed',
        Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 78 }, [{ digest: digestOf('never pushed'), size: 12 }]))),
        OCI_MANIFEST,
        'MANIFEST_BLOB_UNKNOWN',
      ],
      ['config not pushed', Buffer.from(JSON.stringify(imageManifest({ digest: digestOf('no config'), size: 9 }, []))), OCI_MANIFEST, 'MANIFEST_BLOB_UNKNOWN'],
      // The descriptor's size is what clients check downloads against: a lie is refused, smaller or larger.
      ['config size too small', Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 77 }, []))), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['config size too large', Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 79 }, []))), OCI_MANIFEST, 'MANIFEST_INVALID'],
    ];
    for (const [what, bytes, type, code] of cases) {
      const res = await putManifest(r.app, 'strict', 'latest', bytes, type);
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      assert.equal(errorCode(res), code, what);
    }
    // A layer in another repository does not count.
    const elsewhere = await pushBlob(r.app, 'other', 'layer elsewhere');
    const res = await putManifest(r.app, 'strict', 'latest', Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 78 }, [{ digest: elsewhere, size: 15 }]))), OCI_MANIFEST);
    assert.equal(errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/strict/manifests/latest' })).statusCode, 404);
    // Foreign layers (with urls) need not be pushed; a manifest without mediaType is taken from Content-Type or its shape.
    const foreign = imageManifest({ digest: config, size: 78 }, []);
    foreign.layers = [{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: digestOf('windows base'), size: 100, urls: ['https://example.invalid/x'] }];
    delete foreign.mediaType;
    const accepted = await putManifest(r.app, 'strict', 'foreign', Buffer.from(JSON.stringify(foreign)), 'application/octet-stream');
    assert.equal(accepted.statusCode, 201, accepted.body);
    assert.equal((await r.app.inject({ method: 'HEAD', url: '/v2/strict/manifests/foreign' })).headers['content-type'], OCI_MANIFEST);
  });

  test('a manifest over the size limit → 413 SIZE_INVALID, read no further', async () => {
    const small = await makeRegistry({ limits: { maxManifestBytes: 64 } });
    try {
      const res = await putManifest(small.app, 'x', 'big', Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(100) })), OCI_MANIFEST);
      assert.equal(res.statusCode, 413);
      assert.equal(errorCode(res), 'SIZE_INVALID');
    } finally {
      await small.close();
    }
  });

  test('indexes: children must be manifests in the repository; OCI index and Docker list are served back', async () => {
    const amd = await pushImage(r.app, 'multi', 'amd', { seed: 'amd64' });
    const arm = await pushImage(r.app, 'multi', 'arm', { seed: 'arm64' });
    const child = (img: typeof amd, arch: string) => ({ mediaType: OCI_MANIFEST, digest: img.digest, size: img.bytes.length, platform: { os: 'linux', architecture: arch } });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child(amd, 'amd64'), child(arm, 'arm64')] }));
    const put = await putManifest(r.app, 'multi', 'latest', index, OCI_INDEX);
    assert.equal(put.statusCode, 201, put.body);
    const get = await r.app.inject({ method: 'GET', url: '/v2/multi/manifests/latest' });
    assert.equal(get.headers['content-type'], OCI_INDEX);
    assert.deepEqual(get.rawPayload, index);
    const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ ...child(amd, 'amd64'), mediaType: OCI_MANIFEST }] }));
    assert.equal((await putManifest(r.app, 'multi', 'list', list, DOCKER_LIST)).statusCode, 201);
    assert.equal((await r.app.inject({ method: 'HEAD', url: '/v2/multi/manifests/list' })).headers['content-type'], DOCKER_LIST);
    const missing = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: digestOf('ghost'), size: 5 }] }));
    const res = await putManifest(r.app, 'multi', 'broken', missing, OCI_INDEX);
    assert.equal(res.statusCode, 400);
    assert.equal(errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
    // A child in another repository does not count.
    const res2 = await putManifest(r.app, 'multi2', 'x', index, OCI_INDEX);
    assert.equal(errorCode(res2), 'MANIFEST_BLOB_UNKNOWN');
    // A child whose size is misstated.
    const lying = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...child(amd, 'amd64'), size: amd.bytes.length + 1 }] }));
    const res3 = await putManifest(r.app, 'multi', 'lying', lying, OCI_INDEX);
    assert.equal(res3.statusCode, 400);
    assert.equal(errorCode(res3), 'MANIFEST_INVALID');
    assert.match(res3.body, /says \d+ bytes, but it has \d+/);
  });

  test('subject: OCI-Subject header on push, even when the subject is not in the registry', async () => {
    const subject = { mediaType: OCI_MANIFEST, digest: digestOf('absent subject'), size: 10 };
    const img = await pushImage(r.app, 'refs', 'sig', { extra: { subject, artifactType: 'application/vnd.example.sig' } });
    const again = await putManifest(r.app, 'refs', img.digest, img.bytes, OCI_MANIFEST);
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['oci-subject'], subject.digest);
  });

  test('unknown and impossible references → 404 (MANIFEST_UNKNOWN, or NAME_UNKNOWN for an unknown repository) on GET, HEAD and DELETE; a bad digest on PUT → 400', async () => {
    await pushImage(r.app, 'team/app', 'present');
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      for (const ref of ['nope', digestOf('nope'), '.bad', 'sha256:abc', 'sha256:totallywrong', 'x'.repeat(129)]) {
        const res = await r.app.inject({ method, url: `/v2/team/app/manifests/${ref}` });
        assert.equal(res.statusCode, 404, `${method} ${ref}`);
        if (method !== 'HEAD') assert.equal(errorCode(res), 'MANIFEST_UNKNOWN', `${method} ${ref}`);
      }
      for (const ref of ['nope', digestOf('nope'), 'sha256:abc']) {
        const res = await r.app.inject({ method, url: `/v2/no/such/repo/manifests/${ref}` });
        assert.equal(res.statusCode, 404, `${method} unknown repository, ${ref}`);
        if (method !== 'HEAD') assert.equal(errorCode(res), 'NAME_UNKNOWN', `${method} unknown repository, ${ref}`);
      }
    }
    const badPut = await r.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/sha256:baddigeststring`, payload: '{}', headers: { 'content-type': OCI_MANIFEST } });
    assert.equal(badPut.statusCode, 400);
    assert.equal(errorCode(badPut), 'DIGEST_INVALID');
    const badTagPut = await r.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/.bad`, payload: '{}', headers: { 'content-type': OCI_MANIFEST } });
    assert.equal(badTagPut.statusCode, 400);
    assert.equal(errorCode(badTagPut), 'MANIFEST_INVALID');
    const badName = await r.app.inject({ method: 'GET', url: `/v2/Team/app/manifests/latest` });
    assert.equal(badName.statusCode, 400);
    assert.equal(errorCode(badName), 'NAME_INVALID');
  });

  test('DELETE by tag removes only the tag; DELETE by digest removes the manifest and its tags', async () => {
    const img = await pushImage(r.app, 'del/app', 'one');
    assert.equal((await putManifest(r.app, 'del/app', 'two', img.bytes, OCI_MANIFEST)).statusCode, 201);
    const delTag = await r.app.inject({ method: 'DELETE', url: '/v2/del/app/manifests/one' });
    assert.equal(delTag.statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/del/app/manifests/one' })).statusCode, 404);
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/del/app/manifests/two' })).statusCode, 200);
    const delDigest = await r.app.inject({ method: 'DELETE', url: `/v2/del/app/manifests/${img.digest}` });
    assert.equal(delDigest.statusCode, 202);
    assert.ok(deleted.includes(img.digest));
    for (const ref of ['two', img.digest]) assert.equal((await r.app.inject({ method: 'GET', url: `/v2/del/app/manifests/${ref}` })).statusCode, 404);
    const again = await r.app.inject({ method: 'DELETE', url: `/v2/del/app/manifests/${img.digest}` });
    assert.equal(again.statusCode, 404);
    assert.equal(errorCode(again), 'MANIFEST_UNKNOWN');
    assert.deepEqual(JSON.parse((await r.app.inject({ method: 'GET', url: '/v2/del/app/tags/list' })).body).tags, []);
  });

  test('pull policy: refused manifests → 403 DENIED with the reason on GET; HEAD (digest only, no content) still answers so the image can be signed; others served', async () => {
    const policed = await makeRegistry({
      pullPolicy: { check: async (record) => (record.repository === 'blocked' ? { allowed: false, reason: 'image is not signed' } : { allowed: true }) },
    });
    try {
      await pushImage(policed.app, 'blocked', 'v1');
      await pushImage(policed.app, 'open', 'v1');
      const get = await policed.app.inject({ method: 'GET', url: '/v2/blocked/manifests/v1' });
      assert.equal(get.statusCode, 403);
      assert.equal(errorCode(get), 'DENIED');
      assert.match(get.body, /image is not signed/);
      const head = await policed.app.inject({ method: 'HEAD', url: '/v2/blocked/manifests/v1' });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, '');
      assert.match(String(head.headers['docker-content-digest']), /^sha256:[0-9a-f]{64}$/);
      assert.equal((await policed.app.inject({ method: 'GET', url: '/v2/open/manifests/v1' })).statusCode, 200);
    } finally {
      await policed.close();
    }
  });
});
