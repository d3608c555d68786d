/**
 * The MetadataStore contract (contract.ts), scan records: saved and read back,
 * and which image manifests need a (re)scan.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { d, DOCKER_CONFIG, manifest, withStore, type MakeStore } from './contract-support.js';

export function scanContract(makeStore: MakeStore): void {
  test('scans: save, overwrite, read back', async () => {
    await withStore(makeStore, async (store) => {
      const digest = d('scanned');
      assert.equal(await store.getScan(digest), undefined);
      await store.saveScan({ manifestDigest: digest, state: 'queued', updatedAt: '2026-01-01T00:00:00.000Z' });
      assert.deepEqual(await store.getScan(digest), { manifestDigest: digest, state: 'queued', updatedAt: '2026-01-01T00:00:00.000Z' });
      const done = {
        manifestDigest: digest,
        state: 'done' as const,
        databaseDigest: 'sha256:db1',
        counts: { CRITICAL: 1, HIGH: 2 },
        result: { schemaVersion: 1 as const, target: 'app@x', packageCounts: { dpkg: 3 }, findings: [], warnings: [], scannedAt: '2026-01-01T00:01:00.000Z' },
        updatedAt: '2026-01-01T00:01:00.000Z',
      };
      await store.saveScan(done);
      const back = await store.getScan(digest);
      assert.deepEqual(back, done);
      await store.saveScan({ manifestDigest: digest, state: 'failed', error: 'boom', databaseDigest: 'sha256:db1', updatedAt: '2026-01-01T00:02:00.000Z' });
      assert.deepEqual(await store.getScan(digest), {
        manifestDigest: digest,
        state: 'failed',
        error: 'boom',
        databaseDigest: 'sha256:db1',
        updatedAt: '2026-01-01T00:02:00.000Z',
      });
    });
  });

  test('manifests needing a scan: images only; never scanned, left queued/scanning, or scanned with another database', async () => {
    await withStore(makeStore, async (store) => {
      const fresh = manifest('a', 'fresh', { pushedAt: '2026-01-01T00:00:01.000Z' });
      const docker = manifest('a', 'docker', { artifactType: DOCKER_CONFIG, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', pushedAt: '2026-01-01T00:00:02.000Z' });
      const current = manifest('a', 'current', { pushedAt: '2026-01-01T00:00:03.000Z' });
      const stale = manifest('a', 'stale', { pushedAt: '2026-01-01T00:00:04.000Z' });
      const busy = manifest('a', 'busy', { pushedAt: '2026-01-01T00:00:05.000Z' });
      const queued = manifest('a', 'queued', { pushedAt: '2026-01-01T00:00:06.000Z' });
      const skipped = manifest('a', 'skipped', { pushedAt: '2026-01-01T00:00:07.000Z' });
      const sbom = manifest('a', 'sbom', { artifactType: 'application/spdx+json' });
      const index = manifest('a', 'index', { mediaType: 'application/vnd.oci.image.index.v1+json' });
      const { artifactType: _dropped, ...indexWithoutType } = index;
      for (const m of [fresh, docker, current, stale, busy, queued, skipped, sbom]) await store.putManifest(m);
      await store.putManifest(indexWithoutType);
      await store.putManifest({ ...fresh, repository: 'b' }, 'same-digest-elsewhere');
      const at = '2026-01-02T00:00:00.000Z';
      await store.saveScan({ manifestDigest: current.digest, state: 'done', databaseDigest: 'db2', updatedAt: at });
      await store.saveScan({ manifestDigest: stale.digest, state: 'done', databaseDigest: 'db1', updatedAt: at });
      await store.saveScan({ manifestDigest: busy.digest, state: 'scanning', databaseDigest: 'db1', updatedAt: at });
      await store.saveScan({ manifestDigest: queued.digest, state: 'queued', updatedAt: at });
      await store.saveScan({ manifestDigest: skipped.digest, state: 'skipped', databaseDigest: 'db2', updatedAt: at });
      assert.deepEqual(await store.manifestsNeedingScan('db2', 10), [fresh.digest, docker.digest, stale.digest, busy.digest, queued.digest]);
      assert.deepEqual(await store.manifestsNeedingScan('db2', 2), [fresh.digest, docker.digest]);
      assert.deepEqual(await store.manifestsNeedingScan('db1', 10), [fresh.digest, docker.digest, current.digest, busy.digest, queued.digest, skipped.digest]);
    });
  });
}
