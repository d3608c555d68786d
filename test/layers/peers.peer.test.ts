/**
 * The layer walker on real images built by ../shared/peers/image.sh: the
 * 4-layer tiny image (whiteout, opaque dir, tars written by umoci insert
 * without their end-of-archive blocks) and a real Debian 12 rootfs, checked
 * against `umoci unpack` as an oracle.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { measureLayer } from '../../src/layers/stream.js';
import { selectPaths } from '../../src/layers/select.js';
import { walkLayers } from '../../src/layers/walk.js';
import { peerImages, runCommand, type PeerImages } from '../support/peers.js';
import { openLayout, type LayoutImage } from './oci-layout.js';

let images: PeerImages;
let tiny: LayoutImage;
let debian: LayoutImage;

before(async () => {
  images = await peerImages('all');
  tiny = await openLayout(images.tinyOci);
  debian = await openLayout(images.debianOci);
});

test('tiny: whiteout, opaque directory and layer of origin', async () => {
  assert.equal(tiny.layers.length, 4);
  const view = await walkLayers(tiny.layers, selectPaths({ paths: ['etc/secret.conf', 'var/lib/dpkg/status'], under: ['opt', 'app'] }));
  assert.equal(view.get('etc/secret.conf'), undefined);
  const optData = [...view.files()].filter((f) => f.path.startsWith('opt/data/'));
  assert.deepEqual(optData.map((f) => [f.path, f.layer.index, f.content?.toString()]), [['opt/data/new.txt', 3, 'new\n']]);
  const status = view.get('var/lib/dpkg/status');
  assert.equal(status?.layer.index, 0);
  assert.match(status?.content?.toString() ?? '', /^Package: busybox-static$/m);
  assert.equal(view.get('app/node_modules/lodash/package.json')?.layer.index, 2);
  assert.match(view.get('app/node_modules/lodash/package.json')?.content?.toString() ?? '', /"4\.17\.15"/);
  // The umoci-written layers end without tar trailers: read, and nothing to warn about (no entry is cut).
  assert.deepEqual(view.warnings, []);
});

test('diffIDs computed while streaming equal the config rootfs.diff_ids', async () => {
  for (const image of [tiny, debian]) {
    const diffIds = [];
    for (const layer of image.layers) {
      const stats = await measureLayer(layer, { expectedDiffId: image.config.rootfs.diff_ids[layer.origin.index] });
      assert.equal(stats.compressedSize, image.manifest.layers[layer.origin.index]?.size);
      diffIds.push(stats.diffId);
    }
    assert.deepEqual(diffIds, image.config.rootfs.diff_ids);
  }
});

test('debian: etc/os-release resolves through its symlink; dpkg status from layer 0', async () => {
  const view = await walkLayers(debian.layers, selectPaths({ paths: ['etc/os-release', 'var/lib/dpkg/status', 'lib/os-release'] }));
  const osRelease = view.get('etc/os-release');
  assert.equal(osRelease?.path, 'usr/lib/os-release');
  assert.match(osRelease?.content?.toString() ?? '', /^VERSION_ID="12"$/m);
  assert.equal(view.get('lib/os-release')?.content, osRelease?.content);
  const link = [...view.files()].find((f) => f.path === 'etc/os-release');
  assert.equal(link?.kind, 'symlink');
  assert.equal(link?.linkTarget, '../usr/lib/os-release');
  const status = view.get('var/lib/dpkg/status');
  assert.equal(status?.layer.index, 0);
  assert.equal((status?.content?.toString().match(/^Package: /gm) ?? []).length, 88);
});

test('debian: the regular files of the merged view are those umoci unpack writes, with the same sizes', async () => {
  const work = mkdtempSync(join(tmpdir(), 'layers-umoci-'));
  try {
    const bundle = join(work, 'bundle');
    const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${debian.dir}:bookworm`, bundle], { timeoutMs: 600_000 });
    assert.equal(unpack.code, 0, unpack.stderr);
    const expected = new Map<string, number>();
    const walk = (dir: string, rel: string): void => {
      for (const name of readdirSync(dir)) {
        const abs = join(dir, name);
        const path = rel === '' ? name : `${rel}/${name}`;
        const st = lstatSync(abs);
        if (st.isDirectory()) walk(abs, path);
        else if (st.isFile()) expected.set(path, st.size);
      }
    };
    walk(join(bundle, 'rootfs'), '');

    const view = await walkLayers(debian.layers, { wants: () => ({ content: false }) });
    const actual = new Map<string, number>();
    for (const f of view.files()) if (f.kind === 'file' || f.kind === 'hardlink') actual.set(f.path, f.size);
    assert.ok(expected.size > 4000, `umoci unpacked ${expected.size} files`);
    const missing = [...expected.keys()].filter((p) => !actual.has(p));
    const extra = [...actual.keys()].filter((p) => !expected.has(p));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    const sizeDiffs = [...expected].filter(([p, size]) => actual.get(p) !== size);
    assert.deepEqual(sizeDiffs, []);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
