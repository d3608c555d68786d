/** The session's signature blob cache: bounded by bytes, least recently used out first, never an oversize entry. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignatureBlobCache } from '../../../src/engine/trust/registry.js';

describe('signature blob cache', () => {
  test('keeps at most maxBytes, dropping the least recently used', () => {
    const cache = new SignatureBlobCache(10);
    cache.set('r/a@1', Buffer.alloc(4, 1));
    cache.set('r/a@2', Buffer.alloc(4, 2));
    assert.ok(cache.get('r/a@1'), 'used: now the most recent');
    cache.set('r/a@3', Buffer.alloc(4, 3));
    assert.equal(cache.get('r/a@2'), undefined);
    assert.deepEqual(cache.get('r/a@1'), Buffer.alloc(4, 1));
    assert.deepEqual(cache.get('r/a@3'), Buffer.alloc(4, 3));
    cache.set('r/a@big', Buffer.alloc(11));
    assert.equal(cache.get('r/a@big'), undefined, 'larger than the whole cache: not kept');
    assert.equal(cache.get('r/b@1'), undefined, 'keys name the repository');
  });
});
