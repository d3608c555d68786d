/**
 * The signature check's cache against invalidations (src/server/
 * signature-check.ts), counted by the store reads each verification makes
 * (a manifest the store does not hold is refused without leaving the
 * process): an answer is reused until a change names its image, its
 * repository or everything, and a change for another repository leaves it;
 * while the bus is not listening nothing is reused or kept; an answer whose
 * verification overlapped a change is not kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import type { MetadataStore } from '../../src/server/metadata/store.js';
import { createSignatureCheck, type SignatureChecker } from '../../src/server/signature-check.js';
import type { BlobStore } from '../../src/server/storage/blob-store.js';
import type { KeyStore } from '../../src/trust/index.js';

const DIGEST = `sha256:${'ef'.repeat(32)}` as Digest;

function checker(options: { listening?: () => boolean; onRead?: () => void } = {}): { check: SignatureChecker; reads: () => number } {
  let reads = 0;
  const metadata = {
    getManifest: async () => {
      reads++;
      options.onRead?.();
      return undefined;
    },
  } as unknown as MetadataStore;
  const check = createSignatureCheck({
    blobs: {} as BlobStore,
    metadata,
    keys: {} as KeyStore,
    selfAddress: () => '127.0.0.1:1',
    publicName: () => 'registry.test',
    negativeTtlMs: 3_600_000,
    ...(options.listening ? { listening: options.listening } : {}),
  });
  return { check, reads: () => reads };
}

test('an answer is reused until a change names its image, its repository or everything', async () => {
  const { check, reads } = checker();
  const ask = async () => assert.equal((await check.check('team/app', DIGEST)).allowed, false);
  await ask();
  await ask();
  assert.equal(reads(), 1, 'the second answer came from the cache');
  check.invalidate({ kind: 'repository', repository: 'team/other' });
  check.invalidate({ kind: 'image', repository: 'team/app', digest: `sha256:${'00'.repeat(32)}` as Digest });
  await ask();
  assert.equal(reads(), 1, 'changes to other repositories and images leave it');
  for (const change of [{ kind: 'image', repository: 'team/app', digest: DIGEST }, { kind: 'repository', repository: 'team/app' }, { kind: 'everything' }] as const) {
    const before = reads();
    check.invalidate(change);
    await ask();
    assert.equal(reads(), before + 1, `${change.kind}: verified again`);
  }
});

test('while the bus is not listening, nothing is answered from the cache nor kept in it', async () => {
  let listening = false;
  const { check, reads } = checker({ listening: () => listening });
  await check.check('team/app', DIGEST);
  await check.check('team/app', DIGEST);
  assert.equal(reads(), 2);
  listening = true;
  await check.check('team/app', DIGEST);
  assert.equal(reads(), 3, 'what was verified while not listening was not kept');
  await check.check('team/app', DIGEST);
  assert.equal(reads(), 3);
});

test('an answer whose verification overlapped a change is not kept', async () => {
  let change: (() => void) | undefined;
  const made = checker({ onRead: () => change?.() });
  change = () => made.check.invalidate({ kind: 'image', repository: 'team/elsewhere', digest: DIGEST });
  await made.check.check('team/app', DIGEST);
  change = undefined;
  await made.check.check('team/app', DIGEST);
  assert.equal(made.reads(), 2, 'verified again: the first answer may predate the change');
  await made.check.check('team/app', DIGEST);
  assert.equal(made.reads(), 2);
});
