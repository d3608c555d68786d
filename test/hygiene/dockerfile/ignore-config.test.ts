/**
 * Inline `# portcullis-ignore` comments and the enable/disable configuration.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyRuleConfig } from '../../../src/hygiene/config.js';
import { lintDockerfile } from '../../../src/hygiene/dockerfile/lint.js';
import { HygieneError } from '../../../src/hygiene/errors.js';
import { FIXTURE_CLOCK, fixture } from './fixtures.js';

const summary = (findings: readonly { ruleId: string; location: { line: number; column: number } }[]): string[] =>
  findings.map((f) => `${f.ruleId}@${f.location.line}:${f.location.column}`);

describe('inline ignores', () => {
  const result = lintDockerfile(fixture('ignores.Dockerfile'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });

  test('suppress the named rules for the next instruction only', () => {
    assert.deepEqual(summary(result.findings), [
      // base-unpinned and runs-as-root are ignored on the FROM; no-healthcheck is not named
      // pipe-to-shell (line 6) and apt-no-recommends (line 9) are ignored
      'dockerfile/sudo@14:5', // the ignore before it is separated by a blank line
      'dockerfile/apk-cache-kept@16:5', // an unknown rule id ignores nothing
      'dockerfile/apt-lists-kept@19:5', // an ignore inside an instruction has no effect
    ]);
  });

  test('ignore comments that do nothing are reported as warnings', () => {
    assert.deepEqual(result.warnings, [
      'Dockerfile:12: portcullis-ignore is not directly before an instruction and has no effect',
      "Dockerfile:15: portcullis-ignore: unknown rule id 'dockerfile/no-such-rule'",
      'Dockerfile:18: portcullis-ignore inside an instruction has no effect; put it on the line before the instruction',
      'Dockerfile:20: portcullis-ignore names no rule',
    ]);
  });

  test('an ignore for one rule leaves the others on the same instruction', () => {
    const text = ['FROM debian:12', '# portcullis-ignore dockerfile/apt-no-recommends', 'RUN apt-get install -y curl', 'USER 1', 'HEALTHCHECK NONE'].join('\n');
    assert.deepEqual(summary(lintDockerfile(text, { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings), ['dockerfile/base-unpinned@1:6', 'dockerfile/apt-lists-kept@3:5']);
  });

  test('an ignore covers here-document lines of its RUN', () => {
    const text = ['FROM debian:12', '# portcullis-ignore dockerfile/pkg-upgrade', 'RUN <<EOF', 'apt-get upgrade -y', 'EOF', 'RUN <<EOF', 'apt-get upgrade -y', 'EOF', 'USER 1', 'HEALTHCHECK NONE'].join('\n');
    assert.deepEqual(summary(lintDockerfile(text, { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings), ['dockerfile/base-unpinned@1:6', 'dockerfile/pkg-upgrade@7:1']);
  });
});

describe('rule configuration', () => {
  const text = fixture('real/nginx.Dockerfile');
  const all = lintDockerfile(text, { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings;

  test('disable removes exactly the listed rules', () => {
    const { findings } = lintDockerfile(text, { now: FIXTURE_CLOCK, file: 'Dockerfile', config: { disable: ['dockerfile/no-healthcheck', 'dockerfile/apt-no-recommends'] } });
    assert.deepEqual(
      summary(findings),
      summary(all.filter((f) => f.ruleId !== 'dockerfile/no-healthcheck' && f.ruleId !== 'dockerfile/apt-no-recommends')),
    );
    assert.equal(findings.length, all.length - 2);
  });

  test('enable keeps only the listed rules, plus syntax errors', () => {
    const findings = applyRuleConfig(
      [...all, { ruleId: 'dockerfile/syntax' }].map((f) => ({ ruleId: f.ruleId })),
      { enable: ['dockerfile/expose-ssh', 'dockerfile/runs-as-root'] },
    );
    assert.deepEqual(findings.map((f) => f.ruleId), ['dockerfile/runs-as-root', 'dockerfile/expose-ssh', 'dockerfile/syntax']);
  });

  test('disable wins over enable, and can switch off syntax findings', () => {
    const findings = applyRuleConfig([{ ruleId: 'dockerfile/syntax' }, { ruleId: 'dockerfile/sudo' }], {
      enable: ['dockerfile/sudo'],
      disable: ['dockerfile/sudo', 'dockerfile/syntax'],
    });
    assert.deepEqual(findings, []);
  });

  test('an unknown rule id is RULE_UNKNOWN', () => {
    assert.throws(
      () => applyRuleConfig([], { disable: ['dockerfile/latest'] }),
      (e: unknown) => e instanceof HygieneError && e.code === 'RULE_UNKNOWN' && e.message.includes('dockerfile/latest'),
    );
    assert.throws(
      () => lintDockerfile('FROM scratch\n', { now: FIXTURE_CLOCK, file: 'Dockerfile', config: { enable: ['DF001'] } }),
      (e: unknown) => e instanceof HygieneError && e.code === 'RULE_UNKNOWN',
    );
  });

  test('no configuration changes nothing', () => {
    assert.deepEqual(applyRuleConfig(all), all);
    assert.deepEqual(applyRuleConfig(all, {}), all);
  });
});
