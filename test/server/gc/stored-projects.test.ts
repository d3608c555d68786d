/**
 * StoredProjectSettings: a project's stored settings (as the admin API
 * wrote them) over the file's defaults; the file's answer for a project
 * with none; read afresh at every call (no cache); a stored value this
 * version cannot parse throws rather than lifting the project's limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServeError } from '../../../src/server/errors.js';
import { parseProjectSettings, StoredProjectSettings } from '../../../src/server/gc/index.js';

const FILE = parseProjectSettings('defaults:\n  untaggedRetention: 7d\n  quota: 1GiB\nprojects:\n  team:\n    quota: 5GiB\n    retention:\n      - tags: "*"\n        keepLast: 3\n', 'projects.yaml');

function storeOf(stored: Map<string, Record<string, unknown>>) {
  return { getProjectSettings: async (project: string) => stored.get(project) };
}

test('stored settings over the file defaults, key by key; the file for projects without any; no cache', async () => {
  const stored = new Map<string, Record<string, unknown>>();
  const provider = new StoredProjectSettings(storeOf(stored), FILE);
  assert.deepEqual(await provider.settingsFor('team'), { untaggedRetentionMs: 7 * 86_400_000, quotaBytes: 5 * 2 ** 30, retention: [{ tags: ['*'], keepLast: 3 }] }, 'the file');
  stored.set('team', { quota: '1KiB', retention: [{ tags: ['v*'], keepYoungerThan: '30d' }] });
  assert.deepEqual(
    await provider.settingsFor('team'),
    { untaggedRetentionMs: 7 * 86_400_000, quotaBytes: 1024, retention: [{ tags: ['v*'], keepYoungerThanMs: 30 * 86_400_000 }] },
    'the stored settings replace the file\'s section for the project; a key they leave out gets the default',
  );
  stored.set('team', { untaggedRetention: '1h' });
  assert.deepEqual(await provider.settingsFor('team'), { untaggedRetentionMs: 3_600_000, quotaBytes: 2 ** 30 }, 'the file\'s own section no longer applies');
  assert.deepEqual(await provider.settingsFor('other'), { untaggedRetentionMs: 7 * 86_400_000, quotaBytes: 2 ** 30 });
  assert.deepEqual(await new StoredProjectSettings(storeOf(stored), undefined).settingsFor('team'), { untaggedRetentionMs: 3_600_000 }, 'without a file');
  assert.deepEqual(await new StoredProjectSettings(storeOf(stored), undefined).settingsFor('other'), {});
});

test('a stored value this version cannot read fails closed', async () => {
  const provider = new StoredProjectSettings(storeOf(new Map([['team', { quota: 'a lot' }]])), FILE);
  await assert.rejects(provider.settingsFor('team'), (e: unknown) => e instanceof ServeError && e.message === 'stored settings of project team: quota: a size such as 500MB, 10GiB or a number of bytes');
});
