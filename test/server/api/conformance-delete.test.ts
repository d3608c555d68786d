/**
 * The delete cases of the OCI distribution-spec conformance suite, replayed against the API in the
 * suite's order with its expectations (the suite is Go; Debian's Go 1.19 cannot build it offline: v1.1.1
 * needs modules from the network, main needs Go 1.24). Sources, in opencontainers/distribution-spec:
 * conformance/04_management_test.go, 01_pull_test.go and 03_discovery_test.go teardowns (v1.1.1), and
 * conformance/run.go TestDeleteTag/TestDeleteManifest/TestDeleteBlob/TestManifestErrors/TestEmpty and
 * api.go ManifestDelete/BlobDelete (main). Where the suite accepts several answers, we assert the one we
 * give, and that it is among the accepted ones.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { digestOf, errorCode, imageManifest, makeRegistry, OCI_MANIFEST, putManifest } from './helpers.js';
import { accessoryTag, pushArtifact } from '../gc/helpers.js';

const octet = { 'content-type': 'application/octet-stream' };
const oneOf = (status: number, accepted: readonly number[], what: string): void => assert.ok(accepted.includes(status), `${what}: ${status} is not among ${accepted.join(', ')}`);

test('content management: tag delete, manifest delete, blob delete, each immediate, with the codes the suite accepts', async (t) => {
  const r = await makeRegistry();
  t.after(() => r.close());
  const name = 'conformance/repo1';
  // Setup: config blob through POST then PUT, a layer, a tagged manifest.
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, author: 'conformance' }));
  const layer = randomBytes(1024);
  for (const blob of [config, layer]) {
    const start = await r.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/` });
    assert.equal(start.statusCode, 202);
    const put = await r.app.inject({ method: 'PUT', url: `${String(start.headers.location)}?digest=${digestOf(blob)}`, payload: blob, headers: { ...octet, 'content-length': String(blob.length) } });
    oneOf(put.statusCode, [201], 'blob PUT');
  }
  const manifest = Buffer.from(JSON.stringify(imageManifest({ digest: digestOf(config), size: config.length }, [{ digest: digestOf(layer), size: layer.length }])));
  assert.equal((await putManifest(r.app, name, 'tagtest0', manifest, OCI_MANIFEST)).statusCode, 201);
  assert.equal((await putManifest(r.app, name, 'other', manifest, OCI_MANIFEST)).statusCode, 201);
  const tagsBefore = (JSON.parse((await r.app.inject({ method: 'GET', url: `/v2/${name}/tags/list` })).body) as { tags: string[] }).tags.length;

  // "DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)"; then HEAD of the tag is 404.
  const delTag = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/manifests/tagtest0` });
  assert.equal(delTag.statusCode, 202);
  assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/${name}/manifests/tagtest0` })).statusCode, 404);
  assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/${name}/manifests/${digestOf(manifest)}` })).statusCode, 200, 'the manifest stays');
  // "DELETE request to manifest (digest) should yield 202 response unless already deleted"; then 404 on GET and HEAD.
  const delManifest = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/manifests/${digestOf(manifest)}` });
  assert.equal(delManifest.statusCode, 202);
  for (const method of ['GET', 'HEAD'] as const) assert.equal((await r.app.inject({ method, url: `/v2/${name}/manifests/${digestOf(manifest)}` })).statusCode, 404);
  // "GET request to tags list should reflect manifest deletion": the tag and the other tag on it are gone.
  const tags = await r.app.inject({ method: 'GET', url: `/v2/${name}/tags/list` });
  oneOf(tags.statusCode, [200, 404], 'tags list');
  assert.equal((JSON.parse(tags.body) as { tags: string[] }).tags.length, tagsBefore - 2);
  // Deleting again: 404 is accepted ("may or may not fail").
  const again = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/manifests/${digestOf(manifest)}` });
  oneOf(again.statusCode, [202, 404, 400, 405], 'second manifest delete');
  assert.equal(errorCode(again), 'MANIFEST_UNKNOWN');
  // "DELETE request to blob URL should yield 202 response"; then "GET request to deleted blob URL should yield 404".
  for (const blob of [config, layer]) {
    const del = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/blobs/${digestOf(blob)}` });
    assert.equal(del.statusCode, 202);
    for (const method of ['GET', 'HEAD'] as const) assert.equal((await r.app.inject({ method, url: `/v2/${name}/blobs/${digestOf(blob)}` })).statusCode, 404);
    const twice = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/blobs/${digestOf(blob)}` });
    oneOf(twice.statusCode, [202, 404, 405], 'second blob delete');
    assert.equal(errorCode(twice), 'BLOB_UNKNOWN');
  }
  // TestEmpty: the tag list of an emptied repository is 200 (empty) or 404.
  const empty = await r.app.inject({ method: 'GET', url: `/v2/${name}/tags/list` });
  oneOf(empty.statusCode, [200, 404], 'empty tag list');
  if (empty.statusCode === 200) assert.deepEqual((JSON.parse(empty.body) as { tags: string[] }).tags, []);
});

test('manifest errors: a missing manifest by digest and by tag is 404; a malformed digest is 400 on PUT and 404 on GET', async (t) => {
  const r = await makeRegistry();
  t.after(() => r.close());
  const name = 'conformance/repo1';
  const image = await pushArtifact(r.app, name, { seed: 'errors', tag: 'present' });
  assert.equal((await r.app.inject({ method: 'GET', url: `/v2/${name}/manifests/${digestOf(randomBytes(1024))}` })).statusCode, 404);
  assert.equal((await r.app.inject({ method: 'GET', url: `/v2/${name}/manifests/missing-${randomBytes(10).toString('hex')}` })).statusCode, 404);
  const manifest = (await r.app.inject({ method: 'GET', url: `/v2/${name}/manifests/${image.digest}` })).rawPayload;
  const badPut = await putManifest(r.app, name, 'sha256:baddigeststring', manifest, OCI_MANIFEST);
  assert.equal(badPut.statusCode, 400);
  const badGet = await r.app.inject({ method: 'GET', url: `/v2/${name}/manifests/sha256:baddigeststring` });
  oneOf(badGet.statusCode, [404, 400], 'GET of a malformed digest');
  assert.equal(badGet.statusCode, 404);
  assert.equal(errorCode(badGet), 'MANIFEST_UNKNOWN');
  // v1.1.1's "GET request to invalid manifest should return 404 or 400", with the legacy reference.
  assert.equal((await r.app.inject({ method: 'GET', url: `/v2/${name}/manifests/sha256:totallywrong` })).statusCode, 404);
});

test('referrers teardown in the suite\'s order: the artifacts and the subject delete with 2xx or 404, blobs after', async (t) => {
  const r = await makeRegistry();
  t.after(() => r.close());
  const name = 'conformance/repo1';
  const subject = await pushArtifact(r.app, name, { seed: 'subject', tag: 'subject' });
  const refA = await pushArtifact(r.app, name, { seed: 'referrer a', subject });
  const refB = await pushArtifact(r.app, name, { seed: 'referrer b', subject });
  const fallback = await pushArtifact(r.app, name, { seed: 'fallback', tag: accessoryTag(subject.digest) });
  const accepted = (status: number): boolean => (status >= 200 && status < 300) || status === 404 || status === 405;
  // 03_discovery "References teardown": the artifacts first, then the subject manifest, then blobs.
  for (const digest of [refA.digest, subject.digest, refB.digest, fallback.digest]) {
    const res = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/manifests/${digest}` });
    assert.ok(accepted(res.statusCode), `${digest}: ${res.statusCode}`);
  }
  // The subject's delete took its remaining accessories (the second referrer, the fallback index) with it.
  for (const digest of [refB.digest, fallback.digest]) assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/${name}/manifests/${digest}` })).statusCode, 404);
  const referrers = JSON.parse((await r.app.inject({ method: 'GET', url: `/v2/${name}/referrers/${subject.digest}` })).body) as { manifests: unknown[] };
  assert.deepEqual(referrers.manifests, []);
  for (const blob of [...subject.blobs, ...refA.blobs]) {
    const res = await r.app.inject({ method: 'DELETE', url: `/v2/${name}/blobs/${blob}` });
    assert.ok(accepted(res.statusCode), `blob ${blob}: ${res.statusCode}`);
  }
});
