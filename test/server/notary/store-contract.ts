/**
 * The Notary TufMetadataStore contract, run on every backend (SQLite in
 * store.test.ts, PostgreSQL in store.postgres.peer.test.ts): byte-exact
 * files by newest, version and checksum; a batch stored whole or not at
 * all; versions that never go back; keys newest first with the id of the
 * key that sealed them; one GUN deleted without touching another.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { VersionConflictError, type TufMetadataStore } from '../../../src/server/notary/store.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const hex = (algorithm: 'sha256' | 'sha512', data: Buffer): string => createHash(algorithm).update(data).digest('hex');

async function withStore(make: () => Promise<TufMetadataStore>, body: (store: TufMetadataStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function notaryStoreContract(name: string, make: () => Promise<TufMetadataStore>): void {
  describe(`Notary store contract: ${name}`, () => {
    test('files: newest, by version, by sha256 and sha512, byte-exact, per GUN', () =>
      withStore(make, async (store) => {
        const gun = 'reg.example/team/app';
        const v1 = bytes('{"signed":{"version":1}} \u00e9');
        const v2 = bytes('{"signed":{"version":2}}');
        await store.put(gun, [{ role: 'root', version: 1, data: v1 }, { role: 'targets/releases', version: 1, data: v2 }]);
        await store.put(gun, [{ role: 'root', version: 2, data: v2 }]);
        const latest = await store.latest(gun, 'root');
        assert.equal(latest?.version, 2);
        assert.deepEqual(latest?.data, v2);
        assert.equal(latest?.sha256, hex('sha256', v2));
        assert.deepEqual((await store.byVersion(gun, 'root', 1))?.data, v1);
        assert.deepEqual((await store.byChecksum(gun, 'root', hex('sha256', v1)))?.version, 1);
        assert.deepEqual((await store.byChecksum(gun, 'root', hex('sha512', v1).toUpperCase()))?.data, v1);
        assert.deepEqual((await store.latest(gun, 'targets/releases'))?.data, v2);
        assert.equal(await store.latest('reg.example/team/other', 'root'), undefined);
        assert.equal(await store.byVersion(gun, 'root', 3), undefined);
        assert.equal(await store.byChecksum(gun, 'targets', hex('sha256', v1)), undefined);
      }));

    test('a batch with a taken or older version stores nothing and names the role and version', () =>
      withStore(make, async (store) => {
        const gun = 'reg.example/team/batch';
        await store.put(gun, [{ role: 'targets', version: 3, data: bytes('t3') }]);
        for (const version of [3, 2]) {
          await assert.rejects(
            store.put(gun, [{ role: 'snapshot', version: 1, data: bytes('s1') }, { role: 'targets', version, data: bytes(`t${version}`) }]),
            (e: unknown) => e instanceof VersionConflictError && e.role === 'targets' && e.version === version,
          );
          assert.equal(await store.latest(gun, 'snapshot'), undefined, 'the snapshot of the refused batch was not kept');
        }
        await store.put(gun, [{ role: 'snapshot', version: 1, data: bytes('s1') }, { role: 'targets', version: 4, data: bytes('t4') }]);
        assert.equal((await store.latest(gun, 'targets'))?.version, 4);
      }));

    test('ten publishes of one version at once: exactly one is stored', () =>
      withStore(make, async (store) => {
        const gun = 'reg.example/team/race';
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put(gun, [{ role: 'timestamp', version: 1, data: bytes(`ts-${i}`) }])));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof VersionConflictError, String(r.reason));
      }));

    test('keys: newest first, sealed bytes and key-encryption id kept; deleteGun forgets one GUN only', () =>
      withStore(make, async (store) => {
        const [a, b] = ['reg.example/team/a', 'reg.example/team/b'];
        const key = (gun: string, keyId: string, at: number, kekId = 'kek-1') => ({ gun, role: 'timestamp', keyId, sealedKey: bytes(`sealed-${keyId}`), kekId, createdAt: new Date(at) });
        await store.addKey(key(a, 'k1', 1_000));
        await store.addKey(key(a, 'k2', 2_000, 'kek-2'));
        await store.addKey(key(b, 'k3', 1_500));
        assert.deepEqual(await store.keys(a, 'timestamp'), [key(a, 'k2', 2_000, 'kek-2'), key(a, 'k1', 1_000)]);
        assert.deepEqual(await store.keys(a, 'snapshot'), []);
        assert.deepEqual((await store.kekIds()).sort(), ['kek-1', 'kek-2']);
        await store.put(a, [{ role: 'root', version: 1, data: bytes('ra') }]);
        await store.put(b, [{ role: 'root', version: 1, data: bytes('rb') }]);
        await store.deleteGun(a);
        assert.deepEqual(await store.keys(a, 'timestamp'), []);
        assert.equal(await store.latest(a, 'root'), undefined);
        assert.deepEqual((await store.keys(b, 'timestamp')).map((k) => k.keyId), ['k3']);
        assert.deepEqual((await store.latest(b, 'root'))?.data, bytes('rb'));
        assert.deepEqual(await store.kekIds(), ['kek-1']);
      }));
  });
}
