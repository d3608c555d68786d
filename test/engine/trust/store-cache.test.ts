/**
 * Trust-store answers kept for a session: reused while trust.json is
 * unchanged, dropped when another writer changes it (a revocation is seen by
 * the next reader), and authorization never outliving a certification's expiry.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KeyStore } from '../../../src/trust/keys/store.js';
import { KeyStoreCache } from '../../../src/engine/trust/store-cache.js';

async function storeWith(expires?: string): Promise<{ store: KeyStore; id: string }> {
  const home = await mkdtemp(join(tmpdir(), 'portcullis-store-cache-'));
  const store = new KeyStore({ home, scrypt: { N: 16384, r: 8, p: 1 } });
  await store.generate({ role: 'root', passphrase: 'r' });
  const info = await store.generate({ role: 'repository', passphrase: 'p', repositories: ['reg.example/**'], rootPassphrase: 'r', ...(expires ? { expires } : {}) });
  return { store, id: info.id };
}

describe('key store cache', () => {
  test('answers as the store does, from one snapshot while trust.json is unchanged', async () => {
    const { store, id } = await storeWith();
    const cache = new KeyStoreCache(store);
    const reader = await cache.reader();
    assert.deepEqual(await reader.list(), await store.list());
    assert.deepEqual(await reader.checkAuthorization(id, 'reg.example/app'), await store.checkAuthorization(id, 'reg.example/app'));
    assert.equal((await reader.checkAuthorization(id, 'other.example/app')).authorized, false);
    const key = await reader.publicKey(id);
    assert.equal(await reader.publicKey(id), key, 'the parsed key is kept');
    assert.equal(await cache.reader(), reader, 'unchanged store: the same snapshot');
  });

  test('a revocation written meanwhile is seen by the next reader', async () => {
    const { store, id } = await storeWith();
    const cache = new KeyStoreCache(store);
    const before = await cache.reader();
    assert.equal((await before.checkAuthorization(id, 'reg.example/app')).authorized, true);
    await store.revoke(id, { rootPassphrase: 'r' });
    const after = await cache.reader();
    assert.notEqual(after, before);
    assert.deepEqual(await after.checkAuthorization(id, 'reg.example/app'), { authorized: false, reason: 'revoked' });
    assert.equal((await after.list()).find((k) => k.id === id)?.revoked, true);
  });

  test('an authorization answer is not reused past the certification expiry (nor before it was computed)', async () => {
    const expires = '2030-01-01T00:00:00Z';
    const { store, id } = await storeWith(expires);
    const reader = await new KeyStoreCache(store).reader();
    const early = new Date('2029-12-31T23:59:59Z');
    assert.equal((await reader.checkAuthorization(id, 'reg.example/app', { now: early })).authorized, true);
    assert.equal((await reader.checkAuthorization(id, 'reg.example/app', { now: new Date('2029-12-31T23:59:59.500Z') })).authorized, true);
    assert.equal((await reader.checkAuthorization(id, 'reg.example/app', { now: new Date(expires) })).reason, 'expired');
    assert.equal((await reader.checkAuthorization(id, 'reg.example/app', { now: early })).authorized, true, 'an earlier clock is asked again');
  });
});
