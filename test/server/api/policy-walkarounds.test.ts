/**
 * A refused image fetched another way. The real pull policy (policy.ts) with
 * project settings: `strict` refuses images without a complete scan, `loose`
 * has no rule, and nothing is scanned. The manifest GET is the gate, and it
 * holds by tag and by digest, whatever Accept or Range asks, after a HEAD, and
 * for the platform image an index lists (the index itself is served: a client
 * then fetches the child, which is refused). What the docs say stays open
 * stays open: HEAD, the referrers list (descriptors, no content) and blobs by
 * digest. A copy put into a looser project by a cross-repository mount is
 * judged by that project's rules (docs/serve.md "Security model"), and the
 * registry's own threshold still refuses it there.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManifestClassifier } from '../../../src/server/artifact.js';
import { parseProjectSettings } from '../../../src/server/gc/projects.js';
import { createPullPolicy } from '../../../src/server/policy.js';
import type { PullPolicy } from '../../../src/server/services.js';
import { digestOf, errorCode, makeRegistry, OCI_INDEX, OCI_MANIFEST, pushImage, putManifest, type PushedImage, type TestRegistry } from './helpers.js';

const projects = parseProjectSettings('projects:\n  strict:\n    denySeverity: HIGH\n', 'test');
/** Indexes are indexes, everything else an image (the real classifier reads layers; these are fixtures). */
const images = {
  classify: async (record: { mediaType: string }) => (record.mediaType === OCI_INDEX ? { kind: 'index' as const, evidence: 'test' } : { kind: 'image' as const, evidence: 'test' }),
} as unknown as ManifestClassifier;

let r: TestRegistry;
/** The policy the registry asks: made once the registry's metadata store exists, swapped by the last test. */
let current: PullPolicy | undefined;
let image: PushedImage;
let indexBytes: Buffer;

before(async () => {
  r = await makeRegistry({ pullPolicy: { check: (record, tag) => current!.check(record, tag) } });
  current = createPullPolicy({ classifier: images, metadata: r.services.metadata, projects });
  image = await pushImage(r.app, 'strict/app', 'v1');
  indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
  assert.equal((await putManifest(r.app, 'strict/app', 'multi', indexBytes, OCI_INDEX)).statusCode, 201);
});
after(() => r?.close());

const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });

function assertRefused(res: Awaited<ReturnType<typeof get>>, what: string): void {
  assert.equal(res.statusCode, 403, `${what}: ${res.body}`);
  assert.equal(errorCode(res), 'DENIED', what);
  assert.match(res.body, /has not been scanned yet \(project strict policy: deny HIGH and above/, what);
  assert.equal(res.body.includes(image.config), false, `${what}: no manifest content`);
}

test('the manifest GET refuses by tag, by digest, for every Accept, with a Range, after a HEAD, and for the child an index lists', async () => {
  assertRefused(await get('/v2/strict/app/manifests/v1'), 'by tag');
  assertRefused(await get(`/v2/strict/app/manifests/${image.digest}`), 'by digest');
  for (const accept of ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json', '*/*', 'application/octet-stream']) {
    assertRefused(await get('/v2/strict/app/manifests/v1', { accept }), `Accept ${accept}`);
  }
  assertRefused(await get(`/v2/strict/app/manifests/${image.digest}`, { range: 'bytes=0-10' }), 'ranged');
  assert.equal((await r.app.inject({ method: 'HEAD', url: '/v2/strict/app/manifests/v1' })).statusCode, 200, 'HEAD stays open (digest only)');
  assertRefused(await get('/v2/strict/app/manifests/v1'), 'GET after HEAD');
  // The index is judged on its own (it is not an image); the platform image a client fetches next is refused.
  const index = await get('/v2/strict/app/manifests/multi');
  assert.equal(index.statusCode, 200);
  assert.ok(index.rawPayload.equals(indexBytes));
  assertRefused(await get(`/v2/strict/app/manifests/${image.digest}`, { accept: OCI_MANIFEST }), 'the child the index lists');
});

test('open by design: the referrers list (descriptors only) and blobs by digest', async () => {
  const referrers = await get(`/v2/strict/app/referrers/${image.digest}`);
  assert.equal(referrers.statusCode, 200);
  assert.deepEqual((JSON.parse(referrers.body) as { manifests: unknown[] }).manifests, []);
  assert.equal((await get(`/v2/strict/app/blobs/${image.layers[0]}`)).statusCode, 200);
});

test("a copy mounted into a looser project is judged by that project's rules; the registry's own threshold refuses it everywhere", async () => {
  for (const digest of [image.config, ...image.layers]) {
    const mounted = await r.app.inject({ method: 'POST', url: `/v2/loose/app/blobs/uploads/?mount=${digest}&from=strict/app` });
    assert.equal(mounted.statusCode, 201, 'the caller may pull the source: the spec mounts');
  }
  assert.equal((await putManifest(r.app, 'loose/app', 'copy', image.bytes, OCI_MANIFEST)).statusCode, 201);
  const copy = await get('/v2/loose/app/manifests/copy');
  assert.equal(copy.statusCode, 200, 'loose has no rule: served, as docs/serve.md says');
  assert.equal(copy.headers['docker-content-digest'], digestOf(image.bytes));
  assertRefused(await get('/v2/strict/app/manifests/v1'), 'still refused where it was');
  // With a registry-wide threshold the copy is refused in the looser project too.
  const saved = current;
  current = createPullPolicy({ classifier: images, metadata: r.services.metadata, projects, denySeverity: 'CRITICAL' });
  try {
    const refused = await get('/v2/loose/app/manifests/copy');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /has not been scanned yet \(policy: deny CRITICAL and above/);
  } finally {
    current = saved;
  }
});
