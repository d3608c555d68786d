/**
 * Hostile and odd entry names: paths too long or too deep for any real
 * image (refused with LAYER_PATH_TOO_LONG, exit 6), deep paths under the caps
 * (read normally, symlinks through them resolved), the root directory entry
 * written as `/`, `./` or `.` (the root, not an escape), and the hashing
 * helpers that keep the per-entry work linear in the name's length.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AliasMap } from '../../src/layers/aliases.js';
import { LayerError } from '../../src/layers/errors.js';
import { resolveInRoot } from '../../src/layers/links.js';
import { pathHash, prefixesOf, PrefixHasher } from '../../src/layers/path-index.js';
import { MAX_PATH_DEPTH, MAX_PATH_LENGTH } from '../../src/layers/path.js';
import { forEachEntry, measureLayer } from '../../src/layers/stream.js';
import type { LayerEntry } from '../../src/layers/tar.js';
import { walkLayers } from '../../src/layers/walk.js';
import { LayerWhiteouts } from '../../src/layers/whiteout.js';
import { runCli } from '../support/cli.js';
import { buildLayout } from '../support/oci-builder.js';
import { peerImages, runCommand } from '../support/peers.js';
import { VULNDATA } from '../support/paths.js';
import { dir, file, gzip, hardlink, layerOf, symlink, tarOf, type TestEntry } from './build.js';

const code = (c: string) => (e: unknown) => {
  assert.ok(e instanceof LayerError, `expected LayerError ${c}, got ${String(e)}`);
  assert.equal(e.code, c);
  return true;
};

const cleanup: string[] = [];
after(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const all = { wants: () => true };

async function entriesOf(entries: readonly TestEntry[]): Promise<LayerEntry[]> {
  const seen: LayerEntry[] = [];
  await forEachEntry(layerOf(gzip(await tarOf(entries))), (entry) => {
    seen.push(entry);
  });
  return seen;
}

test('an entry 80,000 components deep is refused with LAYER_PATH_TOO_LONG; the CLI exits 6 and names it', async () => {
  const deep = `${'a/'.repeat(80_000)}f`;
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([file('ok'), file(deep, 'x')])))), (e: unknown) => {
    code('LAYER_PATH_TOO_LONG')(e);
    assert.match((e as Error).message, /^layer 0 \(sha256:[0-9a-f]{12}\): entry "a\/a\/a\/.*…\(160001 characters\)" is 160001 characters long, over the 16384-character limit$/);
    return true;
  });
  const layout = await buildLayout({ layers: [{ entries: [{ name: 'etc/hostname', body: 'box\n' }, { name: deep, body: 'x' }] }] });
  cleanup.push(layout.dir);
  for (const args of [['inspect', layout.name, '--verify-layers'], ['cat', layout.name, '/etc/hostname']]) {
    const r = await runCli(args);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /^portcullis: layer 0 \(sha256:[0-9a-f]{12}\): entry "a\/a\/.*160001 characters long/m);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('a short name with more components than MAX_PATH_DEPTH is refused too; one at the caps is read', async () => {
  const tooDeep = `${'a/'.repeat(MAX_PATH_DEPTH)}f`; // MAX_PATH_DEPTH + 1 components, 2049 characters
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([file(tooDeep)])))), (e: unknown) => {
    code('LAYER_PATH_TOO_LONG')(e);
    assert.match((e as Error).message, /has 1025 components, over the 1024-component limit/);
    return true;
  });
  const tooLong = `${'x'.repeat(MAX_PATH_LENGTH)}/f`;
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([file(tooLong)])))), code('LAYER_PATH_TOO_LONG'));
  // Exactly at both caps: 1024 components, 16384 characters.
  const atCaps = `${`${'b'.repeat(15)}/`.repeat(MAX_PATH_DEPTH - 1)}${'c'.repeat(MAX_PATH_LENGTH - 16 * (MAX_PATH_DEPTH - 1))}`;
  assert.equal(atCaps.length, MAX_PATH_LENGTH);
  const seen = await entriesOf([file(atCaps, 'deepest')]);
  assert.deepEqual(
    seen.map((e) => [e.path, e.kind]),
    [[atCaps, 'file']],
  );
});

test('link targets over the caps are refused: symlink and hard link', async () => {
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([symlink('l', `${'../'.repeat(2000)}etc/passwd`)])))), (e: unknown) => {
    code('LAYER_PATH_TOO_LONG')(e);
    assert.match((e as Error).message, /symlink "l" target ".*" has 2002 components/);
    return true;
  });
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([symlink('l', 'x'.repeat(MAX_PATH_LENGTH + 1))])))), code('LAYER_PATH_TOO_LONG'));
  await assert.rejects(measureLayer(layerOf(gzip(await tarOf([file('x'), hardlink('y', `${'d/'.repeat(1100)}x`)])))), code('LAYER_PATH_TOO_LONG'));
});

test('200 components deep: files, symlinks through symlinked directories, whiteouts and hard links all work', async () => {
  const deepDir = Array.from({ length: 199 }, (_, i) => `d${i}`).join('/');
  const lower = [file(`${deepDir}/f`, 'deep file'), file(`${deepDir}/gone`, 'x'), symlink('short', deepDir), file('etc/hostname', 'box\n')];
  const upper = [
    // A symlink 200 deep whose target climbs back 199 levels, then an absolute one.
    symlink(`${deepDir}/up`, `${'../'.repeat(199)}etc/hostname`),
    symlink(`${deepDir}/abs`, '/etc/hostname'),
    file(`${deepDir}/.wh.gone`, ''),
    hardlink(`${deepDir}/hl`, `${deepDir}/f`),
  ];
  const view = await walkLayers([layerOf(gzip(await tarOf(lower)), 0), layerOf(gzip(await tarOf(upper)), 1)], all);
  assert.equal(view.get(`${deepDir}/f`)?.content?.toString(), 'deep file');
  assert.equal(view.get('short/f')?.content?.toString(), 'deep file');
  assert.equal(view.get(`${deepDir}/up`)?.path, 'etc/hostname');
  assert.equal(view.get('short/up')?.content?.toString(), 'box\n');
  assert.equal(view.get('short/abs')?.content?.toString(), 'box\n');
  assert.equal(view.get(`${deepDir}/gone`), undefined);
  assert.equal(view.get(`${deepDir}/hl`)?.content?.toString(), 'deep file');
  assert.equal(view.resolve('short/up', false), `${deepDir}/up`);
  assert.deepEqual(view.warnings, []);
});

test('the root directory entry `/`, `./` or `.` is the root: nothing recorded, the rest of the layer read', async () => {
  for (const root of ['/', './', '.']) {
    const seen = await entriesOf([dir(root), dir('etc'), file('etc/hostname', 'box\n')]);
    assert.deepEqual(
      seen.map((e) => [e.path, e.kind]),
      [
        ['etc', 'directory'],
        ['etc/hostname', 'file'],
      ],
      `root written as ${JSON.stringify(root)}`,
    );
    const layout = await buildLayout({
      layers: [{ entries: [{ name: root, type: 'directory' }, { name: 'etc/hostname', body: 'box\n' }] }],
    });
    cleanup.push(layout.dir);
    assert.equal((await runCli(['inspect', layout.name, '--verify-layers'])).code, 0);
    const cat = await runCli(['cat', layout.name, '/etc/hostname']);
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'box\n');
  }
});

test('a root entry that is not a directory, absolute names and `..` stay refused', async () => {
  for (const entries of [
    [file('/', 'x')],
    [file('.', 'x')],
    [file('./', 'x')],
    [symlink('/', 'etc')],
    [symlink('.', '/')],
    [file('x'), hardlink('./', 'x')],
    [file('/etc/passwd', 'pwn')],
    [dir('//')],
    [dir('/.')],
    [file('../x')],
    [file('./../x')],
  ]) {
    await assert.rejects(measureLayer(layerOf(gzip(await tarOf(entries)))), code('LAYER_UNSAFE_PATH'), JSON.stringify(entries.at(-1)?.name));
  }
  const layout = await buildLayout({ layers: [{ entries: [{ name: 'etc/hostname', body: 'box\n' }, { name: '/etc/passwd', body: 'pwn' }] }] });
  cleanup.push(layout.dir);
  const r = await runCli(['inspect', layout.name, '--verify-layers']);
  assert.equal(r.code, 6);
  assert.match(r.stderr, /entry "\/etc\/passwd" is an absolute path/);
});

test('umoci insert at `/` writes a `/` entry: inspect, cat and scan read the image as umoci unpack does', async () => {
  const images = await peerImages('tiny');
  const work = mkdtempSync(join(tmpdir(), 'layers-root-entry-'));
  cleanup.push(work);
  const image = join(work, 'image');
  cpSync(images.tinyOci.replace(/^oci:/, '').replace(/:latest$/, ''), image, { recursive: true });
  const src = join(work, 'src');
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc', 'added.txt'), 'added at / by umoci insert\n');
  const insert = await runCommand('umoci', ['insert', '--rootless', '--image', `${image}:latest`, src, '/']);
  assert.equal(insert.code, 0, insert.stderr);
  const tar = await runCommand('bash', ['-c', `cd "${image}" && m=$(jq -r '.manifests[0].digest|sub("sha256:";"")' index.json) && l=$(jq -r '.layers[-1].digest|sub("sha256:";"")' blobs/sha256/$m) && gzip -dc blobs/sha256/$l | tar -t 2>/dev/null | head -1`]);
  assert.equal(tar.stdout.trim(), '/', 'umoci wrote a "/" entry');

  const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${image}:latest`, join(work, 'bundle')]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const expected = readFileSync(join(work, 'bundle', 'rootfs', 'etc', 'added.txt'), 'utf8');

  const name = `oci:${image}:latest`;
  const inspect = await runCli(['inspect', name, '--format', 'json', '--verify-layers']);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { layers: unknown[] }).layers.length, 5);
  const cat = await runCli(['cat', name, '/etc/added.txt']);
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, expected);
  const db = join(work, 'db.sqlite');
  assert.equal((await runCli(['db', 'import', join(VULNDATA, 'debian-tracker/tracker-json'), '--db', db])).code, 0);
  const scan = await runCli(['scan', name, '--db', db, '--format', 'json']);
  assert.equal(scan.code, 0, scan.stderr);
  assert.doesNotThrow(() => JSON.parse(scan.stdout));
  const sbom = await runCli(['sbom', name, '--format', 'json']);
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.match(sbom.stdout, /busybox-static/);
});

test('prefix hashes equal the hashes of the prefixes; PrefixHasher follows push, pop and clear', () => {
  for (const path of ['', 'a', 'etc/os-release', 'usr/lib/x86_64-linux-gnu/libc.so.6', `${'d/'.repeat(300)}f`]) {
    const { hash, end } = prefixesOf(path);
    assert.equal(hash[0], pathHash(''));
    assert.equal(hash.at(-1), pathHash(path));
    assert.equal(hash.length, end.length);
    hash.forEach((h, i) => assert.equal(h, pathHash(path.slice(0, end[i])), `${path} prefix ${i}`));
  }
  const hasher = new PrefixHasher();
  assert.equal(hasher.push('usr'), pathHash('usr'));
  assert.equal(hasher.push('lib'), pathHash('usr/lib'));
  hasher.pop();
  assert.equal(hasher.push('share'), pathHash('usr/share'));
  hasher.clear();
  assert.equal(hasher.push('etc'), pathHash('etc'));
});

test('symlink resolution with the hash pre-filter answers as without it', () => {
  const links: Record<string, string> = {
    'etc/os-release': '../usr/lib/os-release',
    lib: 'usr/lib',
    abs: '/usr/lib',
    up: '../../../../etc',
    chain1: 'chain2',
    chain2: '/chain3',
    chain3: 'usr/lib',
    'usr/lib/deep': `${'x/'.repeat(50)}y`,
    [`usr/lib/${'x/'.repeat(50)}y`]: '/lib/z',
  };
  const lookup = (p: string): string | undefined => links[p];
  const hashes = new Set(Object.keys(links).map(pathHash));
  const maybeSymlink = (h: number): boolean => hashes.has(h);
  for (const path of ['etc/os-release', 'lib/os-release', 'abs/x', 'up/passwd', '/../../etc/../etc/passwd', 'chain1/x', 'lib/deep', 'lib/deep/q', 'x/x/../x']) {
    for (const followFinal of [true, false]) {
      assert.equal(resolveInRoot(path, lookup, { followFinal, maybeSymlink }), resolveInRoot(path, lookup, { followFinal }), `${path} ${followFinal}`);
    }
  }
  assert.equal(resolveInRoot('lib/deep/q', lookup, { maybeSymlink }), 'usr/lib/z/q');
});

test('aliases and whiteouts by hashed prefixes: same answers as the plain definitions', () => {
  const aliases = new AliasMap();
  aliases.add('lib', 'usr/lib');
  aliases.add('bin', 'usr/bin');
  aliases.add('etc/alternatives/x', 'usr/lib/x');
  assert.deepEqual(aliases.aliasesOf('usr/lib/x/y').sort(), ['etc/alternatives/x/y', 'lib/x/y']);
  assert.deepEqual(aliases.aliasesOf('usr/bin/sh'), ['bin/sh']);
  assert.deepEqual(aliases.aliasesOf('usr/libexec'), []);
  aliases.add('rootlink', '');
  const viaRoot = aliases.aliasesOf('var/log');
  assert.equal(viaRoot[0], 'rootlink/var/log');
  assert.equal(viaRoot.length, 16, 'bounded by MAX_ALIASES');

  const whiteouts = new LayerWhiteouts();
  whiteouts.add({ kind: 'file', target: 'etc/secret' });
  whiteouts.add({ kind: 'opaque', dir: 'opt/data' });
  for (const [path, hidden] of [
    ['etc/secret', true],
    ['etc/secret/x', true],
    ['etc/secrets', false],
    ['etc', false],
    ['opt/data', false],
    ['opt/data/a/b', true],
    ['opt/database', false],
    ['', false],
  ] as const) {
    assert.equal(whiteouts.hides(path), hidden, path);
  }
  const rootOpaque = new LayerWhiteouts();
  rootOpaque.add({ kind: 'opaque', dir: '' });
  assert.equal(rootOpaque.hides('a'), true);
  assert.equal(rootOpaque.hides(''), false);
});
