import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OCI_INDEX, OCI_MANIFEST, digestOf, errorCode, makeRegistry, pushImage, putManifest, type TestRegistry } from './helpers.js';

describe('tags list, catalog and referrers', () => {
  let r: TestRegistry;
  let subject: Awaited<ReturnType<typeof pushImage>>;
  before(async () => {
    r = await makeRegistry();
    const image = await pushImage(r.app, 'lib/app', 'b');
    subject = image;
    for (const tag of ['a', 'B', 'c', '1.0', 'A']) assert.equal((await putManifest(r.app, 'lib/app', tag, image.bytes, OCI_MANIFEST)).statusCode, 201);
    for (const repo of ['lib/zeta', 'alpha', 'Upper'.toLowerCase(), 'lib/beta']) await pushImage(r.app, repo, 'x');
  });
  after(() => r.close());

  test('tags list: byte order, n/last paging with a Link header, no Link on the last page', async () => {
    const all = await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list' });
    assert.equal(all.statusCode, 200);
    assert.match(String(all.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(all.body), { name: 'lib/app', tags: ['1.0', 'A', 'B', 'a', 'b', 'c'] });
    assert.equal(all.headers.link, undefined);
    const first = await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?n=2' });
    assert.deepEqual(JSON.parse(first.body).tags, ['1.0', 'A']);
    assert.equal(first.headers.link, '</v2/lib/app/tags/list?n=2&last=A>; rel="next"');
    const second = await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?n=2&last=A' });
    assert.deepEqual(JSON.parse(second.body).tags, ['B', 'a']);
    const last = await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?n=2&last=a' });
    assert.deepEqual(JSON.parse(last.body).tags, ['b', 'c']);
    assert.equal(last.headers.link, undefined, 'exactly the last entries: no next page');
    assert.deepEqual(JSON.parse((await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?last=b' })).body).tags, ['c']);
    assert.deepEqual(JSON.parse((await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?n=0' })).body).tags, []);
    const bad = await r.app.inject({ method: 'GET', url: '/v2/lib/app/tags/list?n=-1' });
    assert.equal(bad.statusCode, 400);
    assert.equal(errorCode(bad), 'PAGINATION_NUMBER_INVALID');
    const unknown = await r.app.inject({ method: 'GET', url: '/v2/no/such/tags/list' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
  });

  test('tags list without n: at most 10,000 tags, with a Link to the rest (one request never holds a million)', async () => {
    // A registry of its own: the other tests list this one's catalog.
    const own = await makeRegistry();
    try {
      const image = await pushImage(own.app, 'lib/many', 'x');
      const record = await own.services.metadata.getManifest('lib/many', image.digest);
      assert.ok(record);
      // Through the store: 10,001 pushes through the API would only make the test slower.
      for (let i = 0; i < 10_000; i++) await own.services.metadata.putManifest(record, `t${String(i).padStart(5, '0')}`);
      const page = await own.app.inject({ method: 'GET', url: '/v2/lib/many/tags/list' });
      const tags = (JSON.parse(page.body) as { tags: string[] }).tags;
      assert.equal(tags.length, 10_000);
      assert.equal(tags[9_999], 't09999');
      assert.equal(page.headers.link, '</v2/lib/many/tags/list?n=10000&last=t09999>; rel="next"');
      const rest = await own.app.inject({ method: 'GET', url: '/v2/lib/many/tags/list?n=10000&last=t09999' });
      assert.deepEqual(JSON.parse(rest.body).tags, ['x']);
      assert.equal(rest.headers.link, undefined);
    } finally {
      await own.close();
    }
  });

  test('catalog: byte order, paging, Link', async () => {
    const all = await r.app.inject({ method: 'GET', url: '/v2/_catalog' });
    assert.deepEqual(JSON.parse(all.body), { repositories: ['alpha', 'lib/app', 'lib/beta', 'lib/zeta', 'upper'] });
    const page = await r.app.inject({ method: 'GET', url: '/v2/_catalog?n=2&last=alpha' });
    assert.deepEqual(JSON.parse(page.body).repositories, ['lib/app', 'lib/beta']);
    assert.equal(page.headers.link, '</v2/_catalog?n=2&last=lib%2Fbeta>; rel="next"');
    const next = await r.app.inject({ method: 'GET', url: '/v2/_catalog?n=2&last=lib%2Fbeta' });
    assert.deepEqual(JSON.parse(next.body).repositories, ['lib/zeta', 'upper']);
  });

  test('referrers: an OCI index of descriptors, filtered by artifactType; empty index when none', async () => {
    const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length };
    const sig = await pushImage(r.app, 'lib/app', 'sig', { extra: { subject: subjectDescriptor, artifactType: 'application/vnd.example.sig', annotations: { 'org.example.who': 'ci' } } });
    const sbomIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, artifactType: 'application/spdx+json', manifests: [], subject: subjectDescriptor }));
    const put = await putManifest(r.app, 'lib/app', digestOf(sbomIndex), sbomIndex, OCI_INDEX);
    assert.equal(put.statusCode, 201);
    assert.equal(put.headers['oci-subject'], subject.digest);
    const res = await r.app.inject({ method: 'GET', url: `/v2/lib/app/referrers/${subject.digest}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], OCI_INDEX);
    assert.equal(res.headers['oci-filters-applied'], undefined);
    const body = JSON.parse(res.body) as { schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> };
    assert.equal(body.schemaVersion, 2);
    assert.equal(body.mediaType, OCI_INDEX);
    const byDigest = new Map(body.manifests.map((m) => [m.digest, m]));
    assert.deepEqual(byDigest.get(sig.digest), {
      mediaType: OCI_MANIFEST,
      digest: sig.digest,
      size: sig.bytes.length,
      artifactType: 'application/vnd.example.sig',
      annotations: { 'org.example.who': 'ci' },
    });
    assert.deepEqual(byDigest.get(digestOf(sbomIndex)), { mediaType: OCI_INDEX, digest: digestOf(sbomIndex), size: sbomIndex.length, artifactType: 'application/spdx+json' });
    assert.equal(body.manifests.length, 2);
    const filtered = await r.app.inject({ method: 'GET', url: `/v2/lib/app/referrers/${subject.digest}?artifactType=application/spdx%2Bjson` });
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(JSON.parse(filtered.body).manifests.map((m: { digest: string }) => m.digest), [digestOf(sbomIndex)]);
    for (const url of [`/v2/lib/app/referrers/${digestOf('no referrers')}`, `/v2/never/pushed/referrers/${subject.digest}`]) {
      const none = await r.app.inject({ method: 'GET', url });
      assert.equal(none.statusCode, 200);
      assert.deepEqual(JSON.parse(none.body), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    }
    const bad = await r.app.inject({ method: 'GET', url: '/v2/lib/app/referrers/sha256:nothex' });
    assert.equal(bad.statusCode, 400);
    assert.equal(errorCode(bad), 'DIGEST_INVALID');
  });
});
