import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServeError } from '../../../src/server/errors.js';
import { parseProjectSettings, projectOf } from '../../../src/server/gc/projects.js';

const invalid = (pattern: RegExp) => (error: unknown) => error instanceof ServeError && error.code === 'CONFIG_INVALID' && pattern.test(error.message);

test('projectOf: the first path component', () => {
  assert.equal(projectOf('team/app'), 'team');
  assert.equal(projectOf('team/app/api'), 'team');
  assert.equal(projectOf('solo'), 'solo');
});

test('project settings from YAML: defaults under each project, key by key; rules with patterns, counts and ages', async () => {
  const settings = parseProjectSettings(
    `
defaults:
  untaggedRetention: 7d
  quota: 1GiB
projects:
  team:
    quota: 10GiB
    retention:
      - tags: "v*"
        keepLast: 10
      - tags: ["*-rc*", nightly-?]
        keepYoungerThan: 2w
  small:
    quota: 500MB
    untaggedRetention: 0
    denySeverity: MEDIUM
`,
    'projects.yaml',
  );
  assert.deepEqual(settings.projects(), ['small', 'team']);
  assert.deepEqual(await settings.settingsFor('team'), {
    untaggedRetentionMs: 7 * 86_400_000,
    quotaBytes: 10 * 2 ** 30,
    retention: [
      { tags: ['v*'], keepLast: 10 },
      { tags: ['*-rc*', 'nightly-?'], keepYoungerThanMs: 14 * 86_400_000 },
    ],
  });
  assert.deepEqual(await settings.settingsFor('small'), { untaggedRetentionMs: 0, quotaBytes: 500_000_000, denySeverity: 'MEDIUM' });
  assert.deepEqual(await settings.settingsFor('other'), { untaggedRetentionMs: 7 * 86_400_000, quotaBytes: 2 ** 30 });
});

test('project settings from JSON, and an empty file', async () => {
  const settings = parseProjectSettings('{"projects":{"team":{"quota":1234}}}', 'p.json');
  assert.deepEqual(await settings.settingsFor('team'), { quotaBytes: 1234 });
  assert.deepEqual(await parseProjectSettings('', 'empty.yaml').settingsFor('team'), {});
});

test('project settings refused with the key that is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['projects: [1]', /p\.yaml: projects: must be a mapping/],
    ['projects:\n  Team: {}', /projects\.Team: not a project name/],
    ['projects:\n  team:\n    quota: lots', /projects\.team\.quota: a size/],
    ['projects:\n  team:\n    quota: -1', /projects\.team\.quota: a size/],
    ['projects:\n  team:\n    untaggedRetention: 3 days', /projects\.team\.untaggedRetention: a duration/],
    ['projects:\n  team:\n    retention: {}', /projects\.team\.retention: must be a list/],
    ['projects:\n  team:\n    retention:\n      - tags: "v*"', /projects\.team\.retention\[0\]: say keepLast, keepYoungerThan or both/],
    ['projects:\n  team:\n    retention:\n      - tags: "v[0-9]"\n        keepLast: 1', /retention\[0\]\.tags: a tag pattern/],
    ['projects:\n  team:\n    retention:\n      - tags: "*"\n        keepLast: 1.5', /retention\[0\]\.keepLast: a whole number/],
    ['projects:\n  team:\n    retention:\n      - tags: "*"\n        keep: 1', /retention\[0\]\.keep: unknown key/],
    ['projects:\n  team:\n    quotas: 1', /projects\.team\.quotas: unknown key/],
    ['projects:\n  team:\n    denySeverity: severe', /projects\.team\.denySeverity: one of CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE, UNKNOWN/],
    ['project: {}', /project: unknown key/],
    ['a: [', /not valid YAML or JSON/],
  ];
  for (const [text, pattern] of cases) assert.throws(() => parseProjectSettings(text, 'p.yaml'), invalid(pattern), text);
});
