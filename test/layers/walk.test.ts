import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileSelector, FileView } from '../../src/core/files.js';
import { LayerError } from '../../src/layers/errors.js';
import { selectPaths } from '../../src/layers/select.js';
import { walkLayers } from '../../src/layers/walk.js';
import { dir, file, hardlink, layersOf, opaque, symlink, whiteout } from './build.js';

const all: FileSelector = { wants: () => true };
const code = (c: string) => (e: unknown) => {
  assert.ok(e instanceof LayerError, `expected LayerError ${c}, got ${String(e)}`);
  assert.equal(e.code, c);
  return true;
};

/** path → [kind, layer, content or link target] of every listed file. */
function listing(view: FileView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of view.files()) {
    out[f.path] = `${f.kind}@${f.layer.index}:${f.kind === 'symlink' ? `->${f.linkTarget}` : (f.content?.toString() ?? (f.truncated ? '<truncated>' : '<none>'))}`;
  }
  return out;
}

test('whiteout of a file removes it from lower layers only', async () => {
  const layers = await layersOf(
    [dir('etc'), file('etc/secret.conf', 'pw'), file('etc/keep', 'k')],
    [whiteout('etc/secret.conf'), file('etc/other', 'o')],
  );
  const view = await walkLayers(layers, all);
  assert.deepEqual(listing(view), { 'etc/keep': 'file@0:k', 'etc/other': 'file@1:o' });
  assert.equal(view.get('etc/secret.conf'), undefined);
  assert.equal(view.get('etc/.wh.secret.conf'), undefined);
});

test('whiteout of a directory removes everything under it', async () => {
  const layers = await layersOf(
    [file('opt/app/a', 'a'), file('opt/app/sub/b', 'b'), symlink('opt/app/l', 'a'), file('opt/apple', 'not below')],
    [whiteout('opt/app')],
  );
  assert.deepEqual(listing(await walkLayers(layers, all)), { 'opt/apple': 'file@0:not below' });
});

test('opaque directory hides lower content and keeps its own layer\'s, whatever the tar order', async () => {
  const layers = await layersOf(
    [file('opt/data/old.txt', 'old'), file('opt/data/sub/deep', 'deep'), file('opt/other', 'other')],
    // new.txt streams before the opaque marker: it must survive.
    [file('opt/data/new.txt', 'new'), opaque('opt/data'), file('opt/data/z.txt', 'z')],
  );
  assert.deepEqual(listing(await walkLayers(layers, all)), {
    'opt/data/new.txt': 'file@1:new',
    'opt/data/z.txt': 'file@1:z',
    'opt/other': 'file@0:other',
  });
});

test('a whiteout never deletes an entry of its own layer', async () => {
  const layers = await layersOf([file('a', 'lower')], [file('a', 'same layer'), whiteout('a')]);
  assert.deepEqual(listing(await walkLayers(layers, all)), { a: 'file@1:same layer' });
});

test('a file re-added after deletion comes back from the upper layer', async () => {
  const layers = await layersOf([file('etc/conf', 'v1')], [whiteout('etc/conf')], [file('etc/conf', 'v3')]);
  const view = await walkLayers(layers, all);
  assert.deepEqual(listing(view), { 'etc/conf': 'file@2:v3' });
  assert.equal(view.get('/etc/conf')?.layer.index, 2);
});

test('upper entries replace lower ones: file over file, file over directory, unselected over selected', async () => {
  const layers = await layersOf(
    [file('a', 'a0'), file('d/x', 'x'), file('keep', 'k0'), file('gone', 'g0')],
    [file('a', 'a1'), file('d', 'now a file'), file('gone', 'unwanted now')],
  );
  const view = await walkLayers(layers, { wants: (p) => p !== 'gone' || false });
  assert.deepEqual(listing(view), { a: 'file@1:a1', d: 'file@1:now a file', keep: 'file@0:k0' });
  // `gone` was selected in layer 0 but rewritten unselected by layer 1: the old bytes must not show.
  const onlyLower = await walkLayers(await layersOf([file('gone', 'g0')], [symlink('gone', 'elsewhere')]), { wants: (p) => p === 'gone' });
  assert.deepEqual(listing(onlyLower), { gone: 'symlink@1:->elsewhere' });
});

test('hard links: same layer and to a lower-layer file, including unselected targets', async () => {
  const layers = await layersOf(
    [file('usr/bin/perl5.36', 'PERL'), file('lib/libz.so', 'ZLIB')],
    [hardlink('usr/bin/perl', 'usr/bin/perl5.36'), file('opt/x', 'X'), hardlink('opt/y', 'opt/x')],
  );
  const view = await walkLayers(layers, { wants: (p) => p === 'usr/bin/perl' || p === 'opt/y' });
  assert.deepEqual(listing(view), { 'opt/y': 'hardlink@1:X', 'usr/bin/perl': 'hardlink@1:PERL' });
  assert.equal(view.get('usr/bin/perl')?.linkTarget, 'usr/bin/perl5.36');
  assert.equal(view.get('usr/bin/perl')?.size, 4);
  // Selected targets are used directly, no second read.
  const both = await walkLayers(layers, { wants: (p) => p.startsWith('usr/bin/') });
  assert.deepEqual(both.secondPass, []);
  assert.equal(both.get('usr/bin/perl')?.content?.toString(), 'PERL');
});

test('a hard link keeps the bytes its target had in its layer, even when a later layer rewrites the target', async () => {
  const layers = await layersOf([file('t', 'old')], [hardlink('h', 't')], [file('t', 'new')]);
  const view = await walkLayers(layers, { wants: (p) => p === 'h' });
  assert.equal(view.get('h')?.content?.toString(), 'old');
});

test('symlinks: relative, absolute, chain, symlinked directory mid-path, ../.. clamped at the root', async () => {
  const layers = await layersOf(
    [
      file('usr/lib/os-release', 'ID=debian\nVERSION_ID="12"\n'),
      file('usr/lib/jvm/java-17/release', 'JAVA_VERSION="17"'),
      file('etc/passwd', 'root:x:0:0'),
      symlink('etc/os-release', '../usr/lib/os-release'),
      symlink('abs-os-release', '/usr/lib/os-release'),
      symlink('c1', 'c2'),
      symlink('c2', '/etc/os-release'),
      symlink('lib', 'usr/lib'),
      symlink('usr/lib/jvm/default', 'java-17'),
      symlink('escape', '../../../../etc/passwd'),
    ],
  );
  const view = await walkLayers(layers, {
    wants: (p) => ['etc/os-release', 'abs-os-release', 'c1', 'escape'].includes(p),
  });
  const osRelease = 'ID=debian\nVERSION_ID="12"\n';
  assert.equal(view.get('etc/os-release')?.content?.toString(), osRelease);
  assert.equal(view.get('etc/os-release')?.path, 'usr/lib/os-release');
  assert.equal(view.get('abs-os-release')?.content?.toString(), osRelease);
  assert.equal(view.get('c1')?.content?.toString(), osRelease);
  assert.equal(view.get('escape')?.content?.toString(), 'root:x:0:0');
  assert.equal(view.get('lib/os-release')?.path, 'usr/lib/os-release');
  // Listed as symlinks (lstat); get follows them (stat).
  assert.deepEqual(listing(view), {
    'abs-os-release': 'symlink@0:->/usr/lib/os-release',
    c1: 'symlink@0:->c2',
    'etc/os-release': 'symlink@0:->../usr/lib/os-release',
    escape: 'symlink@0:->../../../../etc/passwd',
  });

  // A wanted path that exists only through symlinked directories.
  const jvm = await walkLayers(layers, selectPaths({ paths: ['/lib/jvm/default/release'] }));
  assert.equal(jvm.get('lib/jvm/default/release')?.content?.toString(), 'JAVA_VERSION="17"');
  assert.deepEqual(listing(jvm), { 'lib/jvm/default/release': 'file@0:JAVA_VERSION="17"' });
});

test('targets that streamed past are fetched by a second pass over the one layer that wrote them', async () => {
  const layers = await layersOf(
    [file('usr/lib/os-release', 'v1'), file('base', 'b')],
    [file('unrelated', 'u')],
    // The link comes two layers above its target.
    [symlink('etc/os-release', '../usr/lib/os-release')],
  );
  const view = await walkLayers(layers, { wants: (p) => p === 'etc/os-release' });
  assert.equal(view.get('etc/os-release')?.content?.toString(), 'v1');
  assert.equal(view.get('etc/os-release')?.layer.index, 0);
  assert.deepEqual(view.secondPass, [0]);
  // Target kept in the first pass when the link streams first: no second pass.
  const direct = await walkLayers(await layersOf([symlink('etc/os-release', '../usr/lib/os-release'), file('usr/lib/os-release', 'v1')]), {
    wants: (p) => p === 'etc/os-release',
  });
  assert.equal(direct.get('etc/os-release')?.content?.toString(), 'v1');
  assert.deepEqual(direct.secondPass, []);
});

test('a symlinked directory created in a later layer is found for selectors that say they may want below it', async () => {
  const layers = await layersOf([file('usr/lib/sysimage/rpm/rpmdb.sqlite', 'RPMDB')], [symlink('var/lib/rpm', '../../usr/lib/sysimage/rpm')]);
  const view = await walkLayers(layers, selectPaths({ paths: ['var/lib/rpm/rpmdb.sqlite'] }));
  assert.equal(view.get('var/lib/rpm/rpmdb.sqlite')?.content?.toString(), 'RPMDB');
  assert.deepEqual(view.secondPass, [0]);
  assert.deepEqual(listing(view), { 'var/lib/rpm/rpmdb.sqlite': 'file@0:RPMDB' });
});

test('a symlink loop is LAYER_SYMLINK_LOOP from get() and a warning in the walk', async () => {
  const layers = await layersOf([symlink('a', 'b'), symlink('b', 'a'), file('x', 'x')]);
  const view = await walkLayers(layers, all);
  assert.throws(() => view.get('a'), code('LAYER_SYMLINK_LOOP'));
  assert.throws(() => view.get('a/whatever'), code('LAYER_SYMLINK_LOOP'));
  assert.equal(view.get('x')?.content?.toString(), 'x');
  assert.ok(view.warnings.some((w) => /loop/.test(w)));
});

test('hostile layers fail the walk: `..` and absolute entries, escaping hard links', async () => {
  await assert.rejects(walkLayers(await layersOf([file('ok')], [file('../../../etc/cron.d/x', 'pwn')]), all), (e: unknown) => {
    code('LAYER_UNSAFE_PATH')(e);
    assert.match((e as Error).message, /layer 1 .*\.\.\/\.\.\/\.\.\/etc\/cron\.d\/x/);
    return true;
  });
  await assert.rejects(walkLayers(await layersOf([file('/etc/passwd', 'pwn')]), all), code('LAYER_UNSAFE_PATH'));
  await assert.rejects(walkLayers(await layersOf([file('x'), hardlink('y', '../../x')]), all), code('LAYER_UNSAFE_LINK'));
});

test('oversize files: skipped with a warning, or LAYER_FILE_TOO_LARGE in error mode', async () => {
  const layers = await layersOf([file('big', Buffer.alloc(5000, 1)), file('small', 'ok')]);
  const view = await walkLayers(layers, all, { maxFileBytes: 4096 });
  const big = view.get('big');
  assert.equal(big?.truncated, true);
  assert.equal(big?.content, undefined);
  assert.equal(big?.size, 5000);
  assert.equal(view.get('small')?.content?.toString(), 'ok');
  assert.equal(view.warnings.filter((w) => /big/.test(w)).length, 1);
  await assert.rejects(walkLayers(layers, all, { maxFileBytes: 4096, onOversize: 'error' }), code('LAYER_FILE_TOO_LARGE'));
  // A per-file cap from the selector wins; metadata-only wants read nothing.
  const perFile = await walkLayers(layers, { wants: (p) => (p === 'big' ? { maxBytes: 10_000 } : { content: false }) }, { maxFileBytes: 10 });
  assert.equal(perFile.get('big')?.content?.length, 5000);
  assert.equal(perFile.get('small')?.content, undefined);
  assert.equal(perFile.get('small')?.truncated, undefined);
});

test('PAX long names are merged like short ones', async () => {
  const long = `usr/lib/${'x'.repeat(200)}/METADATA`;
  const layers = await layersOf([file(long, 'v1')], [file(long, 'v2')]);
  assert.deepEqual(listing(await walkLayers(layers, all)), { [long]: 'file@1:v2' });
});

test('the selector decides what is kept; onLayer sees every layer', async () => {
  const layers = await layersOf([file('a', 'a'), file('b', 'b')], [file('c', 'c')]);
  const seen: number[] = [];
  const view = await walkLayers(layers, { wants: (p) => p === 'b' }, { onLayer: (origin, stats) => seen.push(origin.index, stats.entries) });
  assert.deepEqual(listing(view), { b: 'file@0:b' });
  assert.equal(view.get('a'), undefined);
  assert.deepEqual(seen, [0, 2, 1, 1]);
});
