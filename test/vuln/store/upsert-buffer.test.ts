/**
 * UpsertBuffer (upsert-buffer.ts): records reach a batching store in batches
 * bounded by records and by affected entries, every result reaches its own
 * record's callback in order, `flush` writes the rest; a store without
 * `upsertMany` gets each record at once; a store that answers the wrong
 * number of results fails the import instead of miscounting it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Advisory } from '../../../src/core/index.js';
import type { UpsertResult } from '../../../src/vuln/store/store.js';
import { UpsertBuffer } from '../../../src/vuln/store/upsert-buffer.js';
import { advisory } from './advisory-contract.js';

const many = (n: number, entries = 1): Advisory[] =>
  Array.from({ length: n }, (_, i) => advisory(`A-${i}`, { affected: Array.from({ length: entries }, () => advisory('x').affected[0]!) }));

test('batches are bounded by records and entries; each record gets its own result, in order', async () => {
  const batches: number[] = [];
  const store = {
    upsert: async (): Promise<UpsertResult> => assert.fail('one by one on a batching store'),
    upsertMany: async (list: readonly Advisory[]): Promise<UpsertResult[]> => {
      batches.push(list.length);
      return list.map((a) => (Number(a.id.slice(2)) % 2 === 0 ? 'inserted' : 'unchanged'));
    },
  };
  const buffer = new UpsertBuffer(store, { records: 4, entries: 9 });
  const seen: string[] = [];
  for (const a of many(10)) await buffer.add(a, (r) => seen.push(`${a.id}:${r}`));
  assert.deepEqual(batches, [4, 4]);
  await buffer.flush();
  await buffer.flush();
  assert.deepEqual(batches, [4, 4, 2]);
  assert.deepEqual(seen, many(10).map((a, i) => `${a.id}:${i % 2 === 0 ? 'inserted' : 'unchanged'}`));
  batches.length = 0;
  for (const a of many(5, 3)) await buffer.add(a, () => undefined);
  await buffer.flush();
  assert.deepEqual(batches, [3, 2], 'three records of three entries reach the nine-entry bound');
});

test('a store without upsertMany gets each record at once; a wrong number of results fails', async () => {
  const calls: string[] = [];
  const single = new UpsertBuffer({ upsert: async (a: Advisory) => (calls.push(a.id), 'inserted' as const) });
  let result: UpsertResult | undefined;
  await single.add(advisory('S-1'), (r) => (result = r));
  assert.deepEqual(calls, ['S-1']);
  assert.equal(result, 'inserted');
  const short = new UpsertBuffer({ upsert: async () => 'inserted' as const, upsertMany: async () => ['inserted' as const] });
  await short.add(advisory('B-1'), () => undefined);
  await short.add(advisory('B-2'), () => undefined);
  await assert.rejects(short.flush(), /answered 1 results for 2 records/);
});
