import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LayerError } from '../../src/layers/errors.js';
import { normaliseHardlinkTarget, resolveInRoot } from '../../src/layers/links.js';
import { normaliseEntryPath } from '../../src/layers/path.js';
import { parseWhiteout } from '../../src/layers/whiteout.js';

const code = (c: string) => (e: unknown) => e instanceof LayerError && e.code === c;

test('entry names normalise to image-relative paths', () => {
  assert.equal(normaliseEntryPath('./etc/passwd', 'l'), 'etc/passwd');
  assert.equal(normaliseEntryPath('etc/', 'l'), 'etc');
  assert.equal(normaliseEntryPath('./', 'l'), '');
  assert.equal(normaliseEntryPath('.', 'l'), '');
  assert.equal(normaliseEntryPath('a//b/./c', 'l'), 'a/b/c');
  assert.equal(normaliseEntryPath('a/b/../c', 'l'), 'a/c');
  assert.equal(normaliseEntryPath('..foo/bar', 'l'), '..foo/bar');
});

test('absolute and escaping names are LAYER_UNSAFE_PATH naming entry and layer', () => {
  assert.throws(() => normaliseEntryPath('/etc/passwd', 'layer 3 (x)'), (e: unknown) => code('LAYER_UNSAFE_PATH')(e) && /layer 3/.test((e as Error).message) && /\/etc\/passwd/.test((e as Error).message));
  assert.throws(() => normaliseEntryPath('../x', 'l'), code('LAYER_UNSAFE_PATH'));
  assert.throws(() => normaliseEntryPath('a/../../x', 'l'), code('LAYER_UNSAFE_PATH'));
  assert.throws(() => normaliseEntryPath('./..', 'l'), code('LAYER_UNSAFE_PATH'));
});

test('hard link targets must stay in the root', () => {
  assert.equal(normaliseHardlinkTarget('./usr/bin/x', 'y', 'l'), 'usr/bin/x');
  assert.throws(() => normaliseHardlinkTarget('../../x', 'y', 'l'), code('LAYER_UNSAFE_LINK'));
  assert.throws(() => normaliseHardlinkTarget('/etc/shadow', 'y', 'l'), code('LAYER_UNSAFE_LINK'));
});

test('whiteouts are recognised', () => {
  assert.deepEqual(parseWhiteout('etc/.wh.secret.conf', 'l'), { kind: 'file', target: 'etc/secret.conf' });
  assert.deepEqual(parseWhiteout('.wh.top', 'l'), { kind: 'file', target: 'top' });
  assert.deepEqual(parseWhiteout('opt/data/.wh..wh..opq', 'l'), { kind: 'opaque', dir: 'opt/data' });
  assert.deepEqual(parseWhiteout('a/.wh..wh.plnk', 'l'), { kind: 'meta' });
  assert.equal(parseWhiteout('a/wh.x', 'l'), undefined);
  assert.throws(() => parseWhiteout('a/.wh...', 'l'), code('LAYER_UNSAFE_PATH'));
});

test('symlinks resolve with chroot semantics', () => {
  const links: Record<string, string> = {
    'etc/os-release': '../usr/lib/os-release',
    lib: 'usr/lib',
    abs: '/usr/lib',
    up: '../../../../etc',
    chain1: 'chain2',
    chain2: '/chain3',
    chain3: 'usr/lib',
    'loop/a': 'b',
    'loop/b': 'a',
    self: 'self',
  };
  const lookup = (p: string): string | undefined => links[p];
  assert.equal(resolveInRoot('etc/os-release', lookup), 'usr/lib/os-release');
  assert.equal(resolveInRoot('lib/os-release', lookup), 'usr/lib/os-release');
  assert.equal(resolveInRoot('abs/x', lookup), 'usr/lib/x');
  assert.equal(resolveInRoot('up/passwd', lookup), 'etc/passwd');
  assert.equal(resolveInRoot('/../../etc/../etc/passwd', lookup), 'etc/passwd');
  assert.equal(resolveInRoot('chain1/x', lookup), 'usr/lib/x');
  assert.equal(resolveInRoot('etc/os-release', lookup, { followFinal: false }), 'etc/os-release');
  assert.throws(() => resolveInRoot('loop/a', lookup), code('LAYER_SYMLINK_LOOP'));
  assert.throws(() => resolveInRoot('self/x', lookup), code('LAYER_SYMLINK_LOOP'));
  // 40 hops are fine, 41 are not.
  const chain: Record<string, string> = {};
  for (let i = 0; i < 41; i++) chain[`h${i}`] = `h${i + 1}`;
  assert.equal(resolveInRoot('h1', (p) => chain[p]), 'h41');
  assert.throws(() => resolveInRoot('h0', (p) => chain[p]), code('LAYER_SYMLINK_LOOP'));
});
