/**
 * Crash safety of `portcullis serve` itself: the process is killed with SIGKILL while clients push new
 * images, move a tag between them and delete tags, and while a collection runs. After a restart on the
 * same data folder, every push the registry acknowledged (201) reads back byte-identical by tag and by
 * digest, the moved tag points at a manifest a client pushed, and an offline collection (`portcullis
 * registry gc --root DIR`, no grace period) lists only blobs no acknowledged image uses, deletes them, and
 * leaves every acknowledged image whole. The kill lands at a random point of the pushes; the test bounds
 * itself by a number of pushes, not by time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Pushed {
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Buffer;
  readonly blobs: ReadonlyMap<string, Buffer>;
}

/** Pushes a one-layer image (its layer shared with `shared` when given) as NAME:TAG; the Pushed once 201, else undefined. */
async function push(base: string, name: string, tag: string, seed: string, shared?: Buffer): Promise<Pushed | undefined> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }));
  const layer = shared ?? Buffer.from(`layer of ${seed} `.repeat(200));
  const blobs = new Map([[sha256(config), config], [sha256(layer), layer]]);
  for (const [digest, bytes] of blobs) {
    const r = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes });
    if (r.status !== 201) return undefined;
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  }));
  const r = await fetch(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': MANIFEST } });
  return r.status === 201 ? { tag, digest: sha256(manifest), manifest, blobs } : undefined;
}

async function assertWhole(base: string, name: string, image: Pushed, reference = image.tag): Promise<void> {
  const m = await fetch(`${base}/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST } });
  assert.equal(m.status, 200, `${name}:${reference}`);
  assert.equal(sha256(Buffer.from(await m.arrayBuffer())), image.digest, `${name}:${reference}`);
  for (const [digest, bytes] of image.blobs) {
    const b = await fetch(`${base}/v2/${name}/blobs/${digest}`);
    assert.equal(b.status, 200, `${name} blob ${digest}`);
    assert.ok(Buffer.from(await b.arrayBuffer()).equals(bytes), `${name} blob ${digest} byte-identical`);
  }
}

test('kill -9 during pushes, tag moves, tag deletes and a collection: every acknowledged image survives the restart and an offline collection', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-serve-kill-'));
  let serve: ServeProcess | undefined;
  t.after(async () => {
    await serve?.stop();
    await rm(root, { recursive: true, force: true });
  });
  const args = ['--root', root, '--no-scan', '--gc-interval', '0', '--gc-grace', '0s'];
  serve = await startServeProcess(args);
  const base = serve.url;
  const sharedLayer = Buffer.from('a layer every image of team/app shares '.repeat(300));
  const acked: Pushed[] = [];
  const base0 = await push(base, 'team/app', 'base', 'base image', sharedLayer);
  assert.ok(base0);
  acked.push(base0);
  const moving: Pushed[] = [];

  const killAfter = 4 + Math.floor(Math.random() * 16);
  let started = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; i < 40; i++) {
      const n = started++;
      if (n === killAfter) serve!.process.kill('SIGKILL');
      try {
        const image = await push(base, 'team/app', `w${w}-${i}`, `worker ${w} push ${i}`, i % 2 === 0 ? sharedLayer : undefined);
        if (image === undefined) return;
        acked.push(image);
        // Move a tag onto it, and delete the previous image's own tag (its manifest becomes untagged, still needed for 7 days).
        const moved = await fetch(`${base}/v2/team/app/manifests/moving`, { method: 'PUT', body: image.manifest, headers: { 'content-type': MANIFEST } });
        if (moved.status !== 201) return;
        moving.push(image);
        if (i % 3 === 2) await fetch(`${base}/v2/team/app/manifests/${image.tag}`, { method: 'DELETE' });
        if (w === 0 && i % 4 === 1) await fetch(`${base}/api/v1/gc`, { method: 'POST' });
      } catch {
        return; // the connection died with the process
      }
    }
  };
  await Promise.all([worker(0), worker(1), worker(2)]);
  assert.equal(serve.process.signalCode ?? (await new Promise((resolve) => serve!.process.once('exit', (_code, signal) => resolve(signal)))), 'SIGKILL');
  assert.ok(acked.length >= 2, `${acked.length} pushes acknowledged before the kill`);
  t.diagnostic(`killed after ${killAfter} pushes started; ${acked.length} acknowledged, ${moving.length} tag moves`);

  serve = await startServeProcess(args);
  const check = async (url: string): Promise<void> => {
    for (const image of acked) await assertWhole(url, 'team/app', image, image.digest);
    await assertWhole(url, 'team/app', base0);
    const movingNow = await fetch(`${url}/v2/team/app/manifests/moving`, { method: 'HEAD', headers: { accept: MANIFEST } });
    if (moving.length > 0) {
      assert.equal(movingNow.status, 200);
      const digest = movingNow.headers.get('docker-content-digest');
      const target = acked.find((a) => a.digest === digest);
      assert.ok(target, `moving points at ${digest}, which no acknowledged push wrote`);
      await assertWhole(url, 'team/app', target, 'moving');
    }
  };
  await check(serve.url);
  await serve.stop();
  serve = undefined;

  const needed = new Set(acked.flatMap((a) => [a.digest, ...a.blobs.keys()]));
  const dry = await runCli(['registry', 'gc', '--root', root, '--dry-run', '--grace', '0', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { manifestsDeleted: number; deleted: { blobs: Array<{ digest: string }> } };
  assert.equal(planned.manifestsDeleted, 0, 'untagged manifests are within their retention period');
  for (const blob of planned.deleted.blobs) assert.ok(!needed.has(blob.digest), `the dry run would delete ${blob.digest}, which an acknowledged image uses`);
  const run = await runCli(['registry', 'gc', '--root', root, '--grace', '0', '--json']);
  assert.equal(run.code, 0, run.stderr);
  serve = await startServeProcess(args);
  await check(serve.url);
});
