/**
 * The shell view under the rules: words, quotes, operators, continuations,
 * here-documents and positions; and edge cases of the rules that depend on it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lintDockerfile } from '../../../src/hygiene/dockerfile/lint.js';
import { FIXTURE_CLOCK } from './fixtures.js';
import { logicalSource, parseJsonStrings, parseShell, rawSource, resolveCommand } from '../../../src/hygiene/dockerfile/shell.js';

const words = (script: string): string[][] => parseShell(rawSource(script, 0, script.length)).commands.map((c) => c.words.map((w) => w.value));

describe('parseShell', () => {
  test('splits commands on operators and keeps quoted text in one word', () => {
    assert.deepEqual(words(`set -eux; apt-get install -y "a b" 'c|d' && echo x\\ y || true`), [
      ['set', '-eux'],
      ['apt-get', 'install', '-y', 'a b', 'c|d'],
      ['echo', 'x y'],
      ['true'],
    ]);
  });

  test('pipelines group commands joined by |', () => {
    const script = 'curl -fsSL https://x | tar xz -C /opt && wget -qO- y | sh';
    const parsed = parseShell(rawSource(script, 0, script.length));
    assert.deepEqual(parsed.pipelines.map((p) => p.map((c) => c.words[0]?.value)), [['curl', 'tar'], ['wget', 'sh']]);
  });

  test('drops redirections and their targets; keeps substitutions in their word', () => {
    assert.deepEqual(words('echo "$(id -u)" >/tmp/x 2>&1 && cat < in > out'), [['echo', '$(id -u)'], ['cat']]);
    assert.deepEqual(words('bash <(curl -s https://x) --flag'), [['bash', '<(curl -s https://x)', '--flag']]);
  });

  test('skips comments and here-document bodies inside a script', () => {
    assert.deepEqual(words('# a comment\ncat <<-EOT > /etc/x\n\tapt-get upgrade\n\tEOT\necho done'), [['cat'], ['echo', 'done']]);
  });

  test('word offsets point into the source, through quotes and escapes', () => {
    const script = `echo 'ab' "c\\"d"`;
    const parsed = parseShell(rawSource(script, 0, script.length));
    const [, a, b] = parsed.commands[0]?.words ?? [];
    assert.deepEqual(a?.offsets, [6, 7]);
    assert.equal(a?.start, 5);
    assert.deepEqual(b?.value, 'c"d');
    assert.deepEqual(b?.offsets, [11, 13, 14]);
  });

  test('resolveCommand skips assignments, keywords and wrappers', () => {
    const [c1, c2, c3] = parseShell(rawSource('DEBIAN_FRONTEND=noninteractive sudo -E -u root env A=1 /usr/bin/apt-get install x; if gosu app node x; then :; fi', 0, 200)).commands;
    assert.equal(c1 && resolveCommand(c1)?.name, 'apt-get');
    assert.deepEqual(c1 && resolveCommand(c1)?.wrappers.map((w) => w.value), ['sudo', 'env']);
    assert.equal(c2 && resolveCommand(c2)?.name, 'node');
    assert.equal(c3 && resolveCommand(c3)?.name, ':');
  });
});

describe('logicalSource and parseJsonStrings', () => {
  test('joins continuations and drops comment and empty lines inside them', () => {
    const doc = 'RUN a \\\n# note\n\n  b \\  \n c';
    const src = logicalSource(doc, 4, doc.length, '\\');
    assert.equal(src.text, 'a   b  c');
    assert.equal(src.offsets[src.text.indexOf('b')], doc.indexOf('b'));
  });

  test('honours a backtick escape character', () => {
    const doc = 'RUN a `\n b';
    assert.equal(logicalSource(doc, 4, doc.length, '`').text, 'a  b');
  });

  test('reads a JSON array of strings with value offsets; rejects anything else', () => {
    const doc = '["sh", "-c", "a\\u0026b"]';
    const parsed = parseJsonStrings(rawSource(doc, 0, doc.length));
    assert.deepEqual(parsed?.map((w) => w.value), ['sh', '-c', 'a&b']);
    assert.deepEqual(parsed?.[2]?.offsets, [14, 15, 21]);
    assert.equal(parseJsonStrings(rawSource("['sh']", 0, 6)), undefined);
    assert.equal(parseJsonStrings(rawSource('["a", 1]', 0, 8)), undefined);
    assert.equal(parseJsonStrings(rawSource('["a"] x', 0, 7)), undefined);
  });
});

const lint = (lines: string[]): string[] =>
  lintDockerfile(lines.join('\n') + '\n', { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings.map((f) => `${f.ruleId}@${f.location.line}:${f.location.column}`);
const PINNED = 'FROM debian:12@sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb';
const TAIL = ['USER 1000', 'HEALTHCHECK NONE'];

describe('rules over the shell view', () => {
  test('a RUN here-document is checked as a shell script with its own line numbers', () => {
    assert.deepEqual(lint([PINNED, 'RUN <<EOF', 'set -e', 'apt-get update', '  apt-get install -y curl', 'EOF', ...TAIL]), [
      'dockerfile/apt-lists-kept@5:3',
      'dockerfile/apt-no-recommends@5:3',
    ]);
  });

  test('a here-document fed to python, or written to a file, is not shell', () => {
    assert.deepEqual(lint([PINNED, 'RUN python3 <<EOF', 'import os; os.system("sudo ls")', 'EOF', 'RUN cat <<EOF > /x.sh', 'curl x | sh', 'EOF', ...TAIL]), []);
    assert.deepEqual(lint([PINNED, 'RUN <<EOF', '#!/usr/bin/env python3', 'print("apt-get upgrade")', 'EOF', ...TAIL]), []);
    assert.deepEqual(lint([PINNED, 'RUN bash -e <<EOF', 'apt-get upgrade', 'EOF', ...TAIL]), ['dockerfile/pkg-upgrade@3:1']);
  });

  test('exec-form RUN, and sh -c inside shell form', () => {
    assert.deepEqual(lint([PINNED, 'RUN ["apt-get", "dist-upgrade", "-y"]', `RUN bash -c 'curl -s https://x | bash'`, ...TAIL]), [
      'dockerfile/pkg-upgrade@2:6', // the JSON string, quote included
      'dockerfile/pipe-to-shell@3:14',
    ]);
  });

  test('a PowerShell SHELL turns off shell analysis of shell-form RUN', () => {
    assert.deepEqual(lint(['# escape=`', PINNED, 'SHELL ["powershell", "-Command"]', 'RUN iwr https://x/install.ps1 | iex; sudo x', ...TAIL]), []);
  });

  test('ONBUILD RUN triggers are checked', () => {
    assert.deepEqual(lint([PINNED, 'ONBUILD RUN apk add curl', ...TAIL]), ['dockerfile/apk-cache-kept@2:13']);
  });

  test('APT::Install-Recommends "0" configured earlier satisfies apt-no-recommends', () => {
    assert.deepEqual(
      lint([PINNED, `RUN echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/99norecommends`, 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*', ...TAIL]),
      [],
    );
  });

  test('runs-as-root: nonroot bases, inherited USER, unresolvable USER', () => {
    assert.deepEqual(lint(['FROM gcr.io/distroless/static-debian12:nonroot@sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb', 'HEALTHCHECK NONE']), []);
    assert.deepEqual(lint([PINNED + ' AS base', 'USER app', 'FROM base', 'HEALTHCHECK NONE']), []);
    assert.deepEqual(lint([PINNED, 'USER $APP_UID', 'HEALTHCHECK NONE']), []);
    assert.deepEqual(lint([PINNED, 'USER 1000', 'RUN id', 'USER root', 'HEALTHCHECK NONE']), ['dockerfile/runs-as-root@4:6']);
    assert.deepEqual(lint(['FROM scratch', 'HEALTHCHECK NONE']), ['dockerfile/runs-as-root@1:1']);
  });

  test('base images: scratch, stages, case of stage names, registries with ports', () => {
    assert.deepEqual(lint([PINNED + ' AS Build', 'FROM build', 'FROM scratch', ...TAIL]), []);
    assert.deepEqual(lint(['FROM registry.local:5000/team/app', ...TAIL]), ['dockerfile/base-latest@1:6']);
    assert.deepEqual(lint(['FROM registry.local:5000/team/app:1.2', ...TAIL]), ['dockerfile/base-unpinned@1:6']);
  });

  test('a base whose ARG has no default is a warning, not a finding', () => {
    const result = lintDockerfile(['ARG BASE', 'FROM $BASE', ...TAIL].join('\n'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.warnings, ['Dockerfile:2: FROM $BASE: the base image depends on ARG BASE without a default; not checked']);
  });

  test('HEALTHCHECK CMD is checked like a command; pipes to non-shells pass', () => {
    assert.deepEqual(lint([PINNED, 'USER 1000', 'HEALTHCHECK CMD curl -fs http://localhost/ | grep ok']), []);
  });
});
