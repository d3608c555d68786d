/**
 * The push side of garbage collection, through the API: a push that meets a blob a collector claimed
 * waits for the claim and then stores its own bytes; a claim left by a dead collector is finished by the
 * push; past the wait the push gets 503 with Retry-After and nothing is recorded. And quotas: a push over
 * its project's quota is 403 DENIED with the figures, at upload finish, mount and manifest PUT.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../../src/core/digest.js';
import { StaticProjectSettings } from '../../../src/server/gc/index.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { BlobInfo } from '../../../src/server/storage/blob-store.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { digestOf, errorCode, imageManifest, makeRegistry, OCI_MANIFEST, pushBlob, putManifest, type TestRegistry } from '../api/helpers.js';
import { HOUR, stored } from './helpers.js';

const octet = { 'content-type': 'application/octet-stream' };

async function claimGarbage(r: TestRegistry, text: string, claimedAt: Date): Promise<{ digest: ReturnType<typeof digestOf>; epoch: number }> {
  const digest = await pushBlob(r.app, 'team/app', text);
  await r.services.metadata.unlinkBlob('team/app', digest);
  const claim = await r.services.metadata.claimBlob(digest, { touchedBefore: new Date(Date.now() + HOUR).toISOString(), now: claimedAt.toISOString() });
  assert.ok(claim);
  return claim;
}

describe('pushes meeting garbage collection', () => {
  test('an upload of a blob being collected waits for the collector, then stores its own bytes and links them', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const claim = await claimGarbage(r, 'wanted again', new Date());
    const upload = r.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${claim.digest}`, payload: Buffer.from('wanted again'), headers: octet });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The collector finishes: bytes gone, row dropped.
    assert.equal(await r.services.blobs.delete(claim.digest), true);
    assert.equal(await r.services.metadata.finishClaim(claim), true);
    const res = await upload;
    assert.equal(res.statusCode, 201, res.body);
    const back = await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${claim.digest}` });
    assert.equal(back.statusCode, 200);
    assert.equal(back.body, 'wanted again');
    assert.equal((await r.services.metadata.blobRow(claim.digest))?.state, 'live');
  });

  test('a claim older than the claim timeout (a collector that died) is finished by the push itself', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const claim = await claimGarbage(r, 'abandoned claim', new Date(Date.now() - 10 * 60_000));
    const res = await r.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${claim.digest}`, payload: Buffer.from('abandoned claim'), headers: octet });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${claim.digest}` })).body, 'abandoned claim');
  });

  test('a push that waits longer than allowed gets 503 UNAVAILABLE with Retry-After, and nothing is linked; so does a manifest PUT', async (t) => {
    const r = await makeRegistry({ pushGuard: { maxWaitMs: 30 } });
    t.after(() => r.close());
    const claim = await claimGarbage(r, 'still being deleted', new Date());
    const res = await r.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${claim.digest}`, payload: Buffer.from('still being deleted'), headers: octet });
    assert.equal(res.statusCode, 503);
    assert.equal(errorCode(res), 'UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(await r.services.metadata.isBlobLinked('team/app', claim.digest), false);
    // A manifest whose own bytes are claimed (a re-push of a deleted manifest).
    const config = await pushBlob(r.app, 'team/app', 'cfg');
    const bytes = Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 3 }, [])));
    const first = await putManifest(r.app, 'team/app', 'v1', bytes, OCI_MANIFEST);
    assert.equal(first.statusCode, 201);
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${digestOf(bytes)}` })).statusCode, 202);
    assert.ok(await r.services.metadata.claimBlob(digestOf(bytes), { touchedBefore: new Date(Date.now() + HOUR).toISOString(), now: new Date().toISOString() }));
    const again = await putManifest(r.app, 'team/app', 'v1', bytes, OCI_MANIFEST);
    assert.equal(again.statusCode, 503);
    assert.equal(errorCode(again), 'UNAVAILABLE');
    assert.equal(await r.services.metadata.resolveTag('team/app', 'v1'), undefined);
  });

  test('a collector that claims and deletes a blob between the push storing it and linking it: the push is refused (503), never linked to missing bytes; the retry stores it', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'portcullis-gc-race-'));
    const metadata = new SqliteMetadataStore(join(root, 'metadata.db'));
    let racing = true;
    const collectNow = async (digest: Digest): Promise<void> => {
      if (!racing) return;
      const claim = await metadata.claimBlob(digest, { touchedBefore: new Date(Date.now() + HOUR).toISOString(), now: new Date().toISOString() });
      assert.ok(claim, 'reserved but not yet linked or referenced: claimable with no grace period');
      await blobs.delete(digest);
      assert.equal(await metadata.finishClaim(claim), true);
    };
    class RacingStore extends FilesystemBlobStore {
      override async finishUpload(id: string, digest: Digest): Promise<BlobInfo> {
        const info = await super.finishUpload(id, digest);
        await collectNow(digest);
        return info;
      }
      override async putBytes(digest: Digest, bytes: Buffer): Promise<BlobInfo> {
        const info = await super.putBytes(digest, bytes);
        await collectNow(digest);
        return info;
      }
    }
    const blobs = new RacingStore(join(root, 'blobs'));
    const r = await makeRegistry({ blobs, metadata });
    t.after(() => r.close());
    const raced = await r.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digestOf('raced')}`, payload: Buffer.from('raced'), headers: octet });
    assert.equal(raced.statusCode, 503, raced.body);
    assert.equal(errorCode(raced), 'UNAVAILABLE');
    assert.equal(await metadata.isBlobLinked('team/app', digestOf('raced')), false);
    const config = await (async () => {
      racing = false;
      try {
        return await pushBlob(r.app, 'team/app', 'raced');
      } finally {
        racing = true;
      }
    })();
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${config}` })).body, 'raced');
    // The same for a manifest's own bytes, between writing them and recording the manifest.
    const bytes = Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 5 }, [])));
    const put = await putManifest(r.app, 'team/app', 'v1', bytes, OCI_MANIFEST);
    assert.equal(put.statusCode, 503, put.body);
    assert.equal(await metadata.resolveTag('team/app', 'v1'), undefined);
    racing = false;
    assert.equal((await putManifest(r.app, 'team/app', 'v1', bytes, OCI_MANIFEST)).statusCode, 201);
    const back = await r.app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' });
    assert.equal(back.statusCode, 200);
    assert.equal(digestOf(back.rawPayload), digestOf(bytes));
  });

  test('HEAD of a blob refreshes a stale link, so the push that checked it can still use it', async (t) => {
    const r = await makeRegistry({ pushGuard: { graceMs: HOUR } });
    t.after(() => r.close());
    const digest = await pushBlob(r.app, 'team/app', 'checked layer');
    const old = new Date(Date.now() - 2 * HOUR).toISOString();
    await r.services.metadata.linkBlob('team/app', digest, { now: old });
    const cutoff = new Date(Date.now() - HOUR).toISOString();
    assert.deepEqual(await r.services.metadata.looseLinks('team/app', cutoff), [digest]);
    assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${digest}` })).statusCode, 200);
    assert.deepEqual(await r.services.metadata.looseLinks('team/app', cutoff), [], 'refreshed: not loose for the collector');
  });
});

describe('quotas', () => {
  const KIB = 1024;
  const projects = new StaticProjectSettings({}, new Map([['team', { quotaBytes: 2 * KIB }]]));

  test('an upload that would take the project over its quota is 403 DENIED with the figures, and the upload is gone', async (t) => {
    const r = await makeRegistry({ projects });
    t.after(() => r.close());
    const first = Buffer.alloc(1500, 1);
    assert.equal((await r.app.inject({ method: 'POST', url: `/v2/team/a/blobs/uploads/?digest=${digestOf(first)}`, payload: first, headers: octet })).statusCode, 201);
    const second = Buffer.alloc(1000, 2);
    const start = await r.app.inject({ method: 'POST', url: '/v2/team/a/blobs/uploads/' });
    assert.equal(start.statusCode, 202);
    const location = String(start.headers.location);
    const put = await r.app.inject({ method: 'PUT', url: `${location}?digest=${digestOf(second)}`, payload: second, headers: octet });
    assert.equal(put.statusCode, 403);
    assert.equal(errorCode(put), 'DENIED');
    assert.match(put.body, /project team is over its storage quota: 1\.5 KiB used of 2\.0 KiB, and this push needs 1000 B more/);
    assert.equal((await r.app.inject({ method: 'GET', url: location })).statusCode, 404, 'the refused upload was removed');
    assert.ok(!(await stored(r.services.blobs)).has(digestOf(second)));
    // The same bytes in another repository of the project count once: accepted.
    assert.equal((await r.app.inject({ method: 'POST', url: `/v2/team/b/blobs/uploads/?digest=${digestOf(first)}`, payload: first, headers: octet })).statusCode, 201);
    assert.equal(await r.services.metadata.projectUsage('team'), 1500);
    // Another project has no quota.
    assert.equal((await r.app.inject({ method: 'POST', url: `/v2/other/a/blobs/uploads/?digest=${digestOf(second)}`, payload: second, headers: octet })).statusCode, 201);
    // A mount into the project over its quota is refused too.
    const mount = await r.app.inject({ method: 'POST', url: `/v2/team/c/blobs/uploads/?mount=${digestOf(second)}&from=other/a` });
    assert.equal(mount.statusCode, 403);
    assert.equal(errorCode(mount), 'DENIED');
    assert.equal(await r.services.metadata.isBlobLinked('team/c', digestOf(second)), false);
  });

  test('a manifest whose bytes would take the project over its quota is refused; within the quota it is stored', async (t) => {
    const r = await makeRegistry({ projects: new StaticProjectSettings({}, new Map([['team', { quotaBytes: 400 }]])) });
    t.after(() => r.close());
    const config = await pushBlob(r.app, 'team/a', Buffer.alloc(100, 3));
    const small = Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 100 }, [])));
    assert.ok(small.length < 300);
    assert.equal((await putManifest(r.app, 'team/a', 'v1', small, OCI_MANIFEST)).statusCode, 201);
    const big = Buffer.from(JSON.stringify(imageManifest({ digest: config, size: 100 }, [], { annotations: { pad: 'x'.repeat(400) } })));
    const refused = await putManifest(r.app, 'team/a', 'v2', big, OCI_MANIFEST);
    assert.equal(refused.statusCode, 403);
    assert.equal(errorCode(refused), 'DENIED');
    assert.equal(await r.services.metadata.resolveTag('team/a', 'v2'), undefined);
    // Re-tagging what the project already holds adds nothing.
    assert.equal((await putManifest(r.app, 'team/a', 'again', small, OCI_MANIFEST)).statusCode, 201);
  });
});
