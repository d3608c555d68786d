import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTagPattern, matchesTagPattern } from '../../../src/server/gc/tag-pattern.js';

test('tag patterns: * is any run, ? one character, the rest literal; the whole tag must match', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'anything', true],
    ['*', '', true],
    ['v*', 'v1.2.3', true],
    ['v*', 'release-v1', false],
    ['v1.?', 'v1.2', true],
    ['v1.?', 'v1.23', false],
    ['v1.?', 'v1x2', false],
    ['*-rc*', '1.0-rc1', true],
    ['*-rc*', '1.0', false],
    ['latest', 'latest', true],
    ['latest', 'latest2', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['**', 'x', true],
    ['?', '', false],
  ];
  for (const [pattern, tag, expected] of cases) assert.equal(matchesTagPattern(pattern, tag), expected, `${pattern} ~ ${tag}`);
});

test('tag patterns: a pattern built to make a backtracking matcher explode still answers (the walk is bounded by pattern × tag)', () => {
  // 64 stars and a tag of 128 a's that never ends in b: `^a.*a.*…b$` as a regular expression would not finish.
  assert.equal(matchesTagPattern(`${'a*'.repeat(64)}b`, 'a'.repeat(128)), false);
  assert.equal(matchesTagPattern(`${'a*'.repeat(64)}b`, `${'a'.repeat(127)}b`), true);
});

test('tag patterns an operator may write', () => {
  assert.equal(isTagPattern('v*'), true);
  assert.equal(isTagPattern('release-?.*'), true);
  assert.equal(isTagPattern(''), false);
  assert.equal(isTagPattern('a/b'), false);
  assert.equal(isTagPattern('[abc]'), false);
  assert.equal(isTagPattern('x'.repeat(257)), false);
});
