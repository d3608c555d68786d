/**
 * `kill -9` in the middle of a garbage collection: a collector in its own process (test/support/gc-child.ts)
 * pauses at a random step — looking at a repository, having claimed a blob, having deleted its bytes, having
 * dropped its row — and is killed there with SIGKILL. Then: everything a tag references is whole (manifest
 * and blobs read back with their digests), and the next run (once the dead collector's lease has expired)
 * finishes the sweep: every piece of garbage is gone, no claim is left, and storage holds exactly what the
 * tags reference. Three kill points per run of the test, each on a fresh registry; the steps are printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { buildApp } from '../../../src/server/app.js';
import { runGc } from '../../../src/server/gc/index.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { REPO_ROOT } from '../../support/paths.js';
import { digestOf, pushBlob } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, pushArtifact, stored, type Artifact } from './helpers.js';

const work = await mkdtemp(join(tmpdir(), 'portcullis-gc-crash-'));
after(() => rm(work, { recursive: true, force: true }));
const CHILD = join(REPO_ROOT, 'dist', 'test', 'support', 'gc-child.js');

function open(root: string): RegistryServices {
  return { blobs: new FilesystemBlobStore(join(root, 'blobs')), metadata: new SqliteMetadataStore(join(root, 'registry.sqlite')) };
}

interface Scene {
  readonly kept: Array<{ repository: string; tag: string; artifact: Artifact }>;
  readonly garbage: Set<Digest>;
}

/** Three repositories of tagged images (sharing a base layer) and garbage of every kind around them. */
async function build(root: string): Promise<Scene> {
  const services = open(root);
  const app = buildApp(services);
  await app.ready();
  const kept: Scene['kept'] = [];
  const garbage = new Set<Digest>();
  for (const repository of ['team/a', 'team/b', 'other/c']) {
    for (const tag of ['v1', 'v2']) {
      const artifact = await pushArtifact(app, repository, { seed: `${repository}:${tag}`, tag, layers: ['a base layer every image has', `${repository}:${tag} own layer`] });
      kept.push({ repository, tag, artifact });
    }
    const signed = kept.at(-1)!.artifact;
    kept.push({ repository, tag: accessoryTag(signed.digest, '.sig'), artifact: await pushArtifact(app, repository, { seed: `${repository} sig`, tag: accessoryTag(signed.digest, '.sig') }) });
    // Uploads nothing uses.
    for (let i = 0; i < 12; i++) garbage.add(await pushBlob(app, repository, `${repository} loose upload ${i}`));
    // Manifests pushed by digest, never tagged, one with a signature: untagged garbage with its blobs.
    for (let i = 0; i < 3; i++) {
      const untagged = await pushArtifact(app, repository, { seed: `${repository} untagged ${i}`, layers: [`${repository} untagged layer ${i}`, 'a base layer every image has'] });
      for (const d of [untagged.digest, ...untagged.blobs]) if (d !== digestOf('a base layer every image has')) garbage.add(d);
      if (i === 0) {
        const sig = await pushArtifact(app, repository, { seed: `${repository} untagged sig`, tag: accessoryTag(untagged.digest, '.sig') });
        for (const d of [sig.digest, ...sig.blobs]) garbage.add(d);
      }
    }
  }
  // Bytes without metadata, as a crash between writing and recording leaves them.
  const fs = services.blobs as FilesystemBlobStore;
  for (let i = 0; i < 6; i++) {
    const bytes = Buffer.from(`orphan ${i}`);
    await fs.putBytes(digestOf(bytes), bytes);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(fs.blobPath(digestOf(bytes)), old, old);
    garbage.add(digestOf(bytes));
  }
  await app.close();
  await services.metadata.close();
  return { kept, garbage };
}

async function gcUntilKilled(root: string, stopAt: number): Promise<string> {
  const child = spawn(process.execPath, [CHILD, root, String(stopAt)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(paused .*|done \d+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((e) => reject(new Error(`gc child exited (${e.code ?? e.signal}) before pausing: ${err}`)));
  });
  if (line.startsWith('paused')) {
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
  }
  return line;
}

async function assertIntact(services: RegistryServices, scene: Scene): Promise<void> {
  const app = buildApp(services);
  await app.ready();
  try {
    for (const { repository, tag, artifact } of scene.kept) await assertWhole(app, repository, tag, artifact);
  } finally {
    await app.close();
  }
}

test('kill -9 at a random step of a garbage collection: what tags reference stays whole, and the next run finishes the sweep', async (t) => {
  // Steps in a full run of this scene: 3 repositories + 3 per collected blob (about 80 of them).
  const points = [1 + Math.floor(Math.random() * 3), 4 + Math.floor(Math.random() * 120), 124 + Math.floor(Math.random() * 100)];
  for (const [i, stopAt] of points.entries()) {
    const root = join(work, `registry-${i}`);
    const scene = await build(root);
    const line = await gcUntilKilled(root, stopAt);
    t.diagnostic(`kill point ${stopAt}: ${line}`);

    const services = open(root);
    try {
      await assertIntact(services, scene);
      // Killed holding a claim (after claiming, or after deleting the bytes) leaves it behind: one blob's in the
      // sweep, possibly several in the orphan phase, which claims the orphans it found in one statement.
      const pending = (await services.metadata.claimedBlobs({ limit: 1000 })).length;
      if (/^paused (claimed|deleted) /.test(line)) assert.ok(pending >= 1, `${line}: the claim outlives its collector`);
      // The dead collector's lease (1 s) has to run out before another may collect.
      const report = await runGc({ blobs: services.blobs, metadata: services.metadata }, { graceMs: 0, untaggedRetentionMs: 0, now: ahead(5_000) });
      t.diagnostic(`next run: ${report.claimsFinished} claims finished, ${report.blobsDeleted} blobs, ${report.manifestsDeleted} manifests, ${report.linksRemoved} links`);
      assert.equal(report.claimsFinished, pending, `${line}: the next run finishes exactly the claims the dead collector left`);
      assert.deepEqual(await services.metadata.claimedBlobs({ limit: 10 }), [], 'no claim is left');
      await assertIntact(services, scene);
      const left = await stored(services.blobs);
      const expected = new Set(scene.kept.flatMap(({ artifact }) => [artifact.digest, ...artifact.blobs]));
      assert.deepEqual([...left].sort(), [...expected].sort(), 'storage holds exactly what the tags reference');
      for (const digest of scene.garbage) assert.ok(!left.has(digest), `garbage ${digest} is gone`);
      // And pushing what was garbage works again.
      const app = buildApp(services);
      await app.ready();
      try {
        assert.equal(await pushBlob(app, 'team/a', 'team/a loose upload 3'), digestOf('team/a loose upload 3'));
      } finally {
        await app.close();
      }
    } finally {
      await services.metadata.close();
    }
  }
});
