/**
 * `mergedFactsOf` (what getFactsByIds gives per id) is `mergeFacts`: a record
 * alone without `withdrawn` is given as it is (no copy, same keys in the same
 * order), one with `withdrawn` is copied without it, several are merged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeFacts } from '../../../src/vuln/store/merge.js';
import { mergedFactsOf } from '../../../src/vuln/store/records.js';
import type { AdvisoryFacts } from '../../../src/vuln/store/store.js';

const facts = (id: string, extra: Partial<AdvisoryFacts> & { withdrawn?: string } = {}): AdvisoryFacts =>
  JSON.parse(JSON.stringify({ id, feed: 'osv', scope: '', aliases: ['CVE-2024-1'], upstream: [], summary: 's', severities: [], references: [{ type: 'WEB', url: 'https://example.test/a' }], modified: '2026-01-01T00:00:00Z', ...extra })) as AdvisoryFacts;

test('a sole record without withdrawn is given as it is: the same keys, in order, as mergeFacts gives', () => {
  const one = facts('GHSA-1');
  const got = mergedFactsOf([one]);
  assert.equal(got, one);
  assert.equal(JSON.stringify(got), JSON.stringify(mergeFacts([one])));
  assert.deepEqual(got, mergeFacts([one]));
});

test('a sole withdrawn record loses its withdrawn mark, as mergeFacts does', () => {
  const one = facts('GHSA-2', { withdrawn: '2026-02-01T00:00:00Z' });
  const got = mergedFactsOf([one])!;
  assert.equal(Object.hasOwn(got, 'withdrawn'), false);
  assert.equal(JSON.stringify(got), JSON.stringify(mergeFacts([one])));
  assert.equal(Object.hasOwn(one, 'withdrawn'), true, 'the record itself is not changed');
});

test('several records merge; none is undefined', () => {
  const osv = facts('CVE-2024-1', { aliases: ['GHSA-3'] });
  const nvd = facts('CVE-2024-1', { feed: 'nvd', summary: undefined, references: [{ type: 'WEB', url: 'https://example.test/b' }], modified: '2026-03-01T00:00:00Z' });
  assert.equal(JSON.stringify(mergedFactsOf([nvd, osv])), JSON.stringify(mergeFacts([nvd, osv])));
  assert.deepEqual(mergedFactsOf([nvd, osv])!.references, [{ type: 'WEB', url: 'https://example.test/a' }, { type: 'WEB', url: 'https://example.test/b' }]);
  assert.equal(mergedFactsOf(undefined), undefined);
  assert.equal(mergedFactsOf([]), undefined);
});
