/**
 * The layer analysis cache on real images (../shared/peers/image.sh): a scan
 * with the cache gives byte for byte the findings and inventory JSON of a
 * scan without it — the first time (recording) and the second (replaying,
 * reading no layer) — on the Debian and tiny peer images and on siblings of
 * the Debian image built here on its very base blob, whose upper layers
 * rewrite the dpkg database, make directories opaque, delete a package
 * written by the layer below, hard-link and symlink package files, and add
 * an executable that the Go and Rust cataloguers read and refuse. A sibling
 * scanned after its base reads only its own layers. A corrupt cache file is
 * read past (the layer is read) and replaced.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DirectoryLayerCache } from '../../src/engine/layer-cache.js';
import { inventoryImage } from '../../src/engine/inventory.js';
import { openSource } from '../../src/engine/open.js';
import { readImageFile } from '../../src/engine/read-file.js';
import { scanTarget, type ScanOptions } from '../../src/engine/scan.js';
import { importPaths } from '../../src/vuln/db.js';
import { VULNDATA } from '../support/paths.js';
import { buildLayout, type TarEntry } from '../support/oci-builder.js';
import { peerImages, type PeerImages } from '../support/peers.js';

let dir: string;
let db: string;
let images: PeerImages;
let sibling: string;
let sibling2: string;
const NOW = new Date('2026-06-01T00:00:00Z');

interface Described {
  json: string;
  reads: number;
  findings: number;
  packages: number;
}

/** One scan: its result and inventory as JSON, and how many layer blobs it opened. */
async function scan(name: string, cache?: DirectoryLayerCache): Promise<Described> {
  let reads = 0;
  const options: ScanOptions = { dbPath: db, now: NOW, onLayerRead: () => reads++, ...(cache ? { layerCache: cache } : {}) };
  const { result, inventory } = await scanTarget({ kind: 'image', name }, options);
  return { json: JSON.stringify({ result, inventory }, null, 1), reads, findings: result.findings.length, packages: inventory.packages.length };
}

const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** An OCI layout holding the Debian peer image's own base blob (copied) and `extra` layers above it. */
async function debianSibling(extra: readonly (readonly TarEntry[])[]): Promise<string> {
  const base = images.debianOci.replace(/^oci:/, '').replace(/:bookworm$/, '');
  const index = JSON.parse(readFileSync(join(base, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const blob = (digest: string): string => join(base, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
  const out = mkdtempSync(join(dir, 'sibling-'));
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
  const written = manifest.layers.map((l, i) => {
    copyFileSync(blob(l.digest), join(out, 'blobs', 'sha256', l.digest.slice('sha256:'.length)));
    return { written: { digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: config.rootfs.diff_ids[i]! } };
  });
  const built = await buildLayout({ dir: out, layers: [...written, ...extra.map((entries) => ({ entries, compression: 'gzip' as const, mediaType: OCI_LAYER }))] });
  return built.name;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-layer-cache-'));
  images = await peerImages();
  // Findings for every Debian source package: one open CVE each.
  const source = await openSource(images.debianOci, {});
  const { inventory } = await inventoryImage(source).finally(() => source.close());
  const doc: Record<string, unknown> = {};
  for (const p of inventory.packages) {
    const name = p.source?.name ?? p.name;
    doc[name] = { 'CVE-2099-0001': { description: 'open', releases: { bookworm: { status: 'open', urgency: 'high', repositories: { bookworm: p.source?.version ?? p.version } } } } };
  }
  doc['fake-tool'] = { 'CVE-2099-0002': { description: 'fixed later', releases: { bookworm: { status: 'resolved', fixed_version: '2.0-1', urgency: 'medium', repositories: { bookworm: '1.0-1' } } } } };
  writeFileSync(join(dir, 'tracker.json'), JSON.stringify(doc));
  db = join(dir, 'db.sqlite');
  await importPaths(db, [join(VULNDATA, 'debian-tracker/tracker-json'), join(dir, 'tracker.json')]);

  // The base's dpkg status, rewritten by the siblings' upper layers: its first package dropped, one added.
  const statusSource = await openSource(images.debianOci, {});
  const status = (await readImageFile(statusSource, 'var/lib/dpkg/status', { maxBytes: 16 << 20 }).finally(() => statusSource.close())).content.toString('utf8');
  const paragraphs = status.split('\n\n').filter((p) => p.trim() !== '');
  const rewritten = `${[...paragraphs.slice(1), 'Package: fake-tool\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64'].join('\n\n')}\n`;
  const pkg = (name: string, version: string): string => JSON.stringify({ name, version });
  sibling = await debianSibling([
    [
      { name: 'var/lib/dpkg/status', body: rewritten },
      { name: 'var/lib/dpkg/info/.wh..wh..opq', body: '' },
      { name: 'var/lib/dpkg/info/fake-tool.list', body: '/usr/bin/fake-tool\n' },
      { name: 'usr/lib/node_modules/left-pad/package.json', body: pkg('left-pad', '1.0.0') },
      { name: 'usr/lib/node_modules/gone/package.json', body: pkg('gone', '2.0.0') },
      { name: 'opt/app', type: 'symlink', linkname: '../usr/lib/node_modules' },
    ],
    [
      { name: 'usr/lib/node_modules/.wh.gone', body: '' },
      { name: 'usr/lib/node_modules/copy/package.json', type: 'link', linkname: 'usr/lib/node_modules/left-pad/package.json' },
      { name: 'usr/local/bin/tool', body: Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(4096, 7)]), mode: 0o755 },
      { name: 'var/lib/dpkg/status.d/.wh.nothing', body: '' },
    ],
  ]);
  sibling2 = await debianSibling([[{ name: 'usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA', body: 'Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n' }]]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('cached scans give byte-identical findings and inventory JSON; the second reads no layer', async () => {
  for (const name of [images.debianOci, images.tinyOci, images.tinyDockerArchive, sibling, sibling2]) {
    const cache = new DirectoryLayerCache({ dir: mkdtempSync(join(dir, 'cache-')) });
    const plain = await scan(name);
    assert.ok(plain.reads > 0, name);
    const first = await scan(name, cache);
    assert.equal(first.reads, plain.reads, `${name}: the first scan reads (and records) every layer`);
    assert.equal(first.json, plain.json, `${name}: recording changes nothing`);
    const second = await scan(name, cache);
    assert.equal(second.reads, 0, `${name}: the second scan reads no layer`);
    assert.equal(second.json, plain.json, `${name}: replayed scan is byte-identical`);
  }
  // What the upper layers did is really in the result (so the comparison above compares something).
  const { json, findings } = await scan(sibling);
  const parsed = JSON.parse(json) as { inventory: { packages: Array<{ name: string; version: string; foundBy: string }> } };
  const names = parsed.inventory.packages.map((p) => `${p.foundBy}:${p.name}@${p.version}`);
  assert.ok(names.includes('dpkg:fake-tool@1.0-1'));
  assert.ok(names.includes('npm:left-pad@1.0.0'));
  assert.ok(!names.some((n) => n.startsWith('npm:gone@')), 'deleted by a whiteout in the layer above');
  assert.ok(findings > 50);
});

test('a sibling image on the same base reads only its own layers', async () => {
  const cache = new DirectoryLayerCache({ dir: mkdtempSync(join(dir, 'cache-')) });
  assert.equal((await scan(images.debianOci, cache)).reads, 1);
  const plain = await scan(sibling);
  const cached = await scan(sibling, cache);
  assert.equal(cached.reads, 2, 'the two layers above the base');
  assert.equal(cached.json, plain.json);
  const plain2 = await scan(sibling2);
  const cached2 = await scan(sibling2, cache);
  assert.equal(cached2.reads, 1);
  assert.equal(cached2.json, plain2.json);
  assert.equal((await scan(sibling, cache)).reads, 0);
  // Files 0600 in a folder of 0700.
  assert.equal(statSync(cache.dir).mode & 0o777, 0o700);
  const files = readdirSync(cache.dir);
  assert.equal(files.length, 4);
  for (const f of files) assert.equal(statSync(join(cache.dir, f)).mode & 0o777, 0o600);
  // Binaries the Go and Rust cataloguers read and refuse (reached as bin/… through usrmerge's symlinks too) are
  // marked, not kept: the Debian layer (121 MB of tar) records in under 4 MiB.
  const sizes = files.map((f) => statSync(join(cache.dir, f)).size);
  assert.ok(Math.max(...sizes) < 4 * 1024 * 1024, `largest recording ${Math.max(...sizes)} bytes`);
});

test('a corrupt or foreign cache file is a miss: the layer is read, the result unchanged, the file replaced', async () => {
  const cache = new DirectoryLayerCache({ dir: mkdtempSync(join(dir, 'cache-')) });
  const plain = await scan(images.debianOci);
  await scan(images.debianOci, cache);
  const [file] = readdirSync(cache.dir);
  const path = join(cache.dir, file!);
  const good = readFileSync(path);
  const damaged = [
    Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1]! ^ 1])]), // one bit of a kept file
    good.subarray(0, good.length >> 1), // torn write
    Buffer.from('not a recording'),
  ];
  for (const bytes of damaged) {
    writeFileSync(path, bytes);
    const again = await scan(images.debianOci, cache);
    assert.equal(again.reads, 1);
    assert.equal(again.json, plain.json);
    assert.deepEqual(readFileSync(path), good, 'replaced by a fresh recording');
  }
});
