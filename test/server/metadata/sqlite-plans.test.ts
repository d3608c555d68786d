/**
 * The SQLite store's per-image lookups read an index on what they are given,
 * never every manifest or tag of the repository: a subject's referrers
 * (`listReferrers`, the /v2 referrers API) search `manifests_subject`, and a
 * manifest's accessories (`accessoriesOf`) search it and the tags' primary
 * key on the tag or its range. Checked with EXPLAIN QUERY PLAN on the very
 * SQL the store prepares, on a new file (no statistics, as every registry
 * starts) and after ANALYZE over a repository of 600 tagged images with
 * signatures and referrers; the answers are checked too (the contract checks
 * them in full).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { accessoryTagRange } from '../../../src/server/metadata/lifecycle-rules.js';
import { REFERRERS_OF_TYPE_SQL, REFERRERS_SQL } from '../../../src/server/metadata/sqlite-manifests.js';
import { ACCESSORIES_SQL } from '../../../src/server/metadata/sqlite-retention.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { d, manifest, OCI_CONFIG } from './contract-support.js';

const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** The plan's lines, `SEARCH t USING PRIMARY KEY (repository=? AND tag=?)` and so on. */
function plan(store: SqliteMetadataStore, sql: string, ...params: unknown[]): string[] {
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
}

/** No line reads a whole table or a whole repository (a search on `repository` alone). */
function assertNoRepositoryScan(lines: readonly string[]): void {
  for (const line of lines) {
    assert.doesNotMatch(line, /^SCAN /, lines.join(' | '));
    assert.doesNotMatch(line, /\(repository=\?\)/, lines.join(' | '));
  }
}

function checkPlans(store: SqliteMetadataStore): void {
  const subject = d('image-7');
  for (const [sql, params] of [
    [REFERRERS_SQL, [subject]],
    [REFERRERS_OF_TYPE_SQL, [subject, SIGNATURE_TYPE]],
  ] as const) {
    const lines = plan(store, sql, 'big', ...params);
    assert.ok(lines.includes('SEARCH manifests USING INDEX manifests_subject (repository=? AND subject=?)'), lines.join(' | '));
    assertNoRepositoryScan(lines);
  }
  const lines = plan(store, ACCESSORIES_SQL, { repository: 'big', subject, ...accessoryTagRange(subject) });
  assert.ok(lines.includes('SEARCH manifests USING COVERING INDEX manifests_subject (repository=? AND subject=?)'), lines.join(' | '));
  assert.ok(lines.includes('SEARCH t USING PRIMARY KEY (repository=? AND tag=?)'), lines.join(' | '));
  assert.ok(lines.includes('SEARCH t USING PRIMARY KEY (repository=? AND tag>? AND tag<?)'), lines.join(' | '));
  assertNoRepositoryScan(lines);
}

test('sqlite: referrers and accessories search their indexes, on a new file and after ANALYZE of a large repository', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-plans-'));
  const store = new SqliteMetadataStore(join(dir, 'registry.sqlite'));
  try {
    checkPlans(store);

    // 600 tagged images; every third has a cosign signature tag and a referrer; other repositories beside.
    const hex = (digest: string): string => digest.slice('sha256:'.length);
    for (let i = 0; i < 600; i++) {
      const image = manifest('big', `image-${i}`, { artifactType: OCI_CONFIG });
      await store.putManifest(image, `v${i}`);
      if (i % 3 !== 1) continue;
      await store.putManifest(manifest('big', `sig-${i}`, { artifactType: SIGNATURE_TYPE }), `sha256-${hex(image.digest)}.sig`);
      await store.putManifest(manifest('big', `ref-${i}`, { artifactType: SIGNATURE_TYPE, subject: image.digest }));
    }
    for (let r = 0; r < 20; r++) await store.putManifest(manifest(`small-${r}`, `small-${r}`), 'latest');
    store.db.exec('ANALYZE');
    checkPlans(store);

    assert.deepEqual(await store.accessoriesOf('big', d('image-7')), [d('sig-7'), d('ref-7')].sort());
    assert.deepEqual(
      (await store.listReferrers('big', d('image-7'), SIGNATURE_TYPE)).map((m) => m.digest),
      [d('ref-7')],
    );
    assert.deepEqual(await store.accessoriesOf('big', d('image-8')), []);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
