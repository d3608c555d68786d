/**
 * Every rule, on a bad Dockerfile of its own: the exact findings (rule id,
 * line, column) and nothing else; a clean multi-stage build with none; and
 * real-world-shaped Dockerfiles (Node, Python, Go, nginx) with what a
 * reviewer would say about them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lintDockerfile } from '../../../src/hygiene/dockerfile/lint.js';
import { DOCKERFILE_RULES, findRule } from '../../../src/hygiene/rules.js';
import { FIXTURE_CLOCK, fixture } from './fixtures.js';

/** `rule@line:column`, the form the expectations are written in. */
function lint(name: string): string[] {
  const { findings } = lintDockerfile(fixture(name), { now: FIXTURE_CLOCK, file: name });
  for (const f of findings) {
    assert.ok(findRule(f.ruleId), `${f.ruleId} is in the catalogue`);
    assert.equal(f.severity, findRule(f.ruleId)?.severity);
    assert.equal(f.location.file, name);
    assert.ok(!f.message.includes('\n'), 'messages are one line');
  }
  return findings.map((f) => `${f.ruleId}@${f.location.line}:${f.location.column}`);
}

const BAD: Record<string, string[]> = {
  'bad/base-latest.Dockerfile': ['dockerfile/base-latest@1:6'],
  // golang:${GO_VERSION}-bookworm has an unknown tag: not judged. ${BASE_IMAGE} defaults to ubuntu: no tag.
  'bad/base-no-tag.Dockerfile': ['dockerfile/base-latest@10:33'],
  'bad/base-unpinned.Dockerfile': ['dockerfile/base-unpinned@1:6'],
  // --checksum and git sources pass; credentials in the URL are not repeated.
  'bad/add-remote-url.Dockerfile': ['dockerfile/add-remote-url@2:5', 'dockerfile/add-remote-url@4:6'],
  'bad/pkg-upgrade.Dockerfile': ['dockerfile/pkg-upgrade@3:5', 'dockerfile/pkg-upgrade@8:5', 'dockerfile/pkg-upgrade@11:5'],
  'bad/pkg-update-alone.Dockerfile': ['dockerfile/pkg-update-alone@2:5'],
  // the -o APT::Install-Recommends=false and `apt install --no-install-recommends` lines pass
  'bad/apt-no-recommends.Dockerfile': ['dockerfile/apt-no-recommends@3:36'],
  // a later RUN rm cannot shrink an earlier layer; cache mounts pass
  'bad/apt-lists-kept.Dockerfile': ['dockerfile/apt-lists-kept@2:23', 'dockerfile/apt-lists-kept@3:23'],
  'bad/apk-cache-kept.Dockerfile': ['dockerfile/apk-cache-kept@2:19', 'dockerfile/apk-cache-kept@7:5'],
  'bad/pipe-to-shell.Dockerfile': [
    'dockerfile/pipe-to-shell@2:5',
    'dockerfile/pipe-to-shell@3:5',
    'dockerfile/sudo@3:52',
    'dockerfile/pipe-to-shell@4:5',
    'dockerfile/pipe-to-shell@5:5',
  ],
  'bad/secret-in-arg-env.Dockerfile': [
    'dockerfile/secret-in-arg-env@3:5',
    'dockerfile/secret-in-arg-env@4:16',
    'dockerfile/secret-in-arg-env@7:5',
  ],
  // the comment and AWS's documentation key pass; the name-based rule yields to the token rule on line 11
  'bad/secret-token.Dockerfile': ['dockerfile/secret-token@3:23', 'dockerfile/secret-token@5:38', 'dockerfile/secret-token@7:1', 'dockerfile/secret-token@11:18'],
  'bad/runs-as-root-no-user.Dockerfile': ['dockerfile/runs-as-root@5:1'],
  'bad/runs-as-root-user-root.Dockerfile': ['dockerfile/runs-as-root@6:6'],
  'bad/sudo.Dockerfile': ['dockerfile/sudo@4:5', 'dockerfile/sudo@4:31'],
  // FROM supervised: the earlier stage's CMD is part of the final image
  'bad/multiple-processes.Dockerfile': [
    'dockerfile/multiple-processes@4:6',
    'dockerfile/multiple-processes@9:31',
    'dockerfile/multiple-processes@10:5',
    'dockerfile/multiple-processes@11:5',
  ],
  'bad/expose-ssh.Dockerfile': ['dockerfile/expose-ssh@2:15', 'dockerfile/expose-ssh@3:8'],
  'bad/no-healthcheck.Dockerfile': ['dockerfile/no-healthcheck@4:1'],
  // alpine:3.20 and ubi8 are supported at the fixture clock; python:3.12-slim-buster for its Debian part; golang:1.19-alpine3.17 for both
  'bad/base-eol.Dockerfile': ['dockerfile/base-eol@1:6', 'dockerfile/base-eol@2:6', 'dockerfile/base-eol@3:6', 'dockerfile/base-eol@4:6', 'dockerfile/base-eol@5:6', 'dockerfile/base-eol@6:6'],
  'bad/maintainer.Dockerfile': ['dockerfile/maintainer@2:1'],
  // absolute paths, an ARG with an absolute default and an unknown variable pass
  'bad/workdir-relative.Dockerfile': ['dockerfile/workdir-relative@4:9', 'dockerfile/workdir-relative@6:9'],
  // the final stage's ENTRYPOINT comes from its parent; `exec` last and the JSON form pass
  'bad/shell-form-cmd.Dockerfile': ['dockerfile/shell-form-cmd@4:1', 'dockerfile/shell-form-cmd@12:1'],
  // 1777 (sticky), 755, +w (through the umask), g+w pass
  'bad/chmod-world-writable.Dockerfile': [
    'dockerfile/chmod-world-writable@2:5',
    'dockerfile/chmod-world-writable@3:5',
    'dockerfile/chmod-world-writable@4:5',
    'dockerfile/chmod-world-writable@5:5',
  ],
};

describe('one bad Dockerfile per rule', () => {
  for (const [name, expected] of Object.entries(BAD)) {
    test(name, () => assert.deepEqual(lint(name), expected));
  }

  test('every Dockerfile rule has a bad fixture', () => {
    const covered = new Set(Object.values(BAD).flat().map((e) => e.split('@')[0]));
    covered.add('dockerfile/syntax'); // bad-input.test.ts
    const missing = DOCKERFILE_RULES.map((r) => r.id as string)
      .filter((id) => !covered.has(id));
    assert.deepEqual(missing, []);
  });
});

test('a clean multi-stage Dockerfile has no findings and no warnings', () => {
  const result = lintDockerfile(fixture('good/clean-multistage.Dockerfile'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });
  assert.deepEqual(result.findings, []);
  assert.deepEqual(result.warnings, []);
});

describe('real-world-shaped Dockerfiles', () => {
  test('Node app: node:20, a session secret in ENV, runs as root', () => {
    assert.deepEqual(lint('real/node-app.Dockerfile'), [
      'dockerfile/base-unpinned@1:6',
      'dockerfile/no-healthcheck@1:1',
      'dockerfile/runs-as-root@1:1',
      'dockerfile/secret-in-arg-env@4:5',
    ]);
  });

  test('Python app: recommends pulled in, otherwise tidy', () => {
    assert.deepEqual(lint('real/python-app.Dockerfile'), ['dockerfile/base-unpinned@1:6', 'dockerfile/apt-no-recommends@6:23']);
  });

  test('Go multi-stage: only the final stage needs USER and HEALTHCHECK', () => {
    assert.deepEqual(lint('real/go-multistage.Dockerfile'), [
      'dockerfile/base-unpinned@1:6',
      'dockerfile/apk-cache-kept@2:5',
      'dockerfile/base-unpinned@9:6',
      'dockerfile/no-healthcheck@9:1',
    ]);
  });

  test('nginx with sshd under supervisord: most of the list', () => {
    assert.deepEqual(lint('real/nginx.Dockerfile'), [
      'dockerfile/base-latest@1:6',
      'dockerfile/no-healthcheck@1:1',
      'dockerfile/runs-as-root@1:1',
      'dockerfile/pkg-upgrade@3:23',
      'dockerfile/apt-lists-kept@4:5',
      'dockerfile/apt-no-recommends@4:5',
      'dockerfile/expose-ssh@10:15',
      'dockerfile/multiple-processes@11:6',
    ]);
  });
});

test('findings carry an end position after the start and name the evidence', () => {
  const { findings } = lintDockerfile(fixture('bad/apt-no-recommends.Dockerfile'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });
  const [f] = findings;
  assert.ok(f);
  assert.deepEqual(f.location, { kind: 'dockerfile', file: 'Dockerfile', line: 3, column: 36, endLine: 3, endColumn: 51 });
  assert.match(f.message, /apt-get install/);
});

test('secret findings never contain the secret', () => {
  for (const name of ['bad/secret-token.Dockerfile', 'bad/secret-in-arg-env.Dockerfile', 'bad/add-remote-url.Dockerfile']) {
    const { findings } = lintDockerfile(fixture(name), { now: FIXTURE_CLOCK, file: name });
    const text = JSON.stringify(findings);
    for (const secret of ['ghp_0123', 'AKIAZ3', 'hunter2', 'changeme', 'wJalrXUtnFEMI', 's3cret']) {
      assert.ok(!text.includes(secret), `${name}: ${secret} leaked into a finding`);
    }
  }
});
