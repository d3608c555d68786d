/**
 * Input that is not a good Dockerfile: syntax errors are findings and the
 * rest is still checked; binary, non-UTF-8 and oversize input is a coded
 * HygieneError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PortcullisError } from '../../../src/core/errors.js';
import { lintDockerfile } from '../../../src/hygiene/dockerfile/lint.js';
import { MAX_DOCKERFILE_BYTES } from '../../../src/hygiene/dockerfile/document.js';
import { HygieneError, type HygieneErrorCode } from '../../../src/hygiene/errors.js';
import { FIXTURE_CLOCK, fixture } from './fixtures.js';

const summary = (findings: readonly { ruleId: string; location: { line: number; column: number } }[]): string[] =>
  findings.map((f) => `${f.ruleId}@${f.location.line}:${f.location.column}`);

function throwsCode(fn: () => unknown, code: HygieneErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HygieneError, `expected a HygieneError, got ${String(e)}`);
    assert.ok(e instanceof PortcullisError);
    assert.equal(e.code, code);
    return true;
  });
}

describe('syntax errors', () => {
  test('each problem line is reported and the rest is still checked', () => {
    const { findings } = lintDockerfile(fixture('bad/syntax.Dockerfile'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });
    assert.deepEqual(summary(findings), [
      'dockerfile/syntax@2:1', // RUN before the first FROM
      'dockerfile/pkg-update-alone@4:5', // still checked: the install went to the next line
      'dockerfile/syntax@5:5', // `apt-get install …` after a missing backslash
      'dockerfile/syntax@6:1', // COPY with one argument
      'dockerfile/syntax@7:1', // RUNN
      'dockerfile/syntax@8:1', // FROM without an image
      'dockerfile/syntax@11:5', // here-document never closed
    ]);
    const missing = findings.find((f) => f.location.line === 5);
    assert.match(missing?.message ?? '', /unknown instruction 'apt-get'.*line 4/);
  });

  test('a file without FROM', () => {
    assert.deepEqual(summary(lintDockerfile('', { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings), ['dockerfile/syntax@1:1']);
    assert.deepEqual(summary(lintDockerfile('# only a comment\nARG X=1\n', { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings), ['dockerfile/syntax@1:1']);
  });

  test('unbalanced quotes in a RUN are a warning, not a crash', () => {
    const text = 'FROM scratch\nRUN echo "unterminated && apt-get install -y x\nUSER 1\nHEALTHCHECK NONE\n';
    const result = lintDockerfile(text, { now: FIXTURE_CLOCK, file: 'Dockerfile' });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.warnings, ['Dockerfile:2: RUN: unterminated double quote']);
  });
});

describe('input that is not a Dockerfile', () => {
  test('over the size cap is TOO_LARGE (string and bytes)', () => {
    const big = 'FROM scratch\n' + '# padding\n'.repeat(MAX_DOCKERFILE_BYTES / 10 + 1);
    throwsCode(() => lintDockerfile(big, { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'TOO_LARGE');
    throwsCode(() => lintDockerfile(Buffer.from(big), { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'TOO_LARGE');
    throwsCode(() => lintDockerfile('FROM scratch\n', { now: FIXTURE_CLOCK, file: 'Dockerfile', maxBytes: 4 }), 'TOO_LARGE');
    // multi-byte characters count as bytes, not UTF-16 units
    throwsCode(() => lintDockerfile('# ' + 'é'.repeat(600_000), { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'TOO_LARGE');
  });

  test('just under the cap is linted', () => {
    const text = 'FROM scratch\nUSER 1\nHEALTHCHECK NONE\n';
    const padded = text + '#'.repeat(MAX_DOCKERFILE_BYTES - text.length);
    assert.deepEqual(lintDockerfile(padded, { now: FIXTURE_CLOCK, file: 'Dockerfile' }).findings, []);
  });

  test('a binary file is DOCKERFILE_INVALID', () => {
    const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c, 0x4a, 0x06, 0x00]);
    throwsCode(() => lintDockerfile(gzip, { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'DOCKERFILE_INVALID');
    const elfish = Buffer.concat([Buffer.from('\u007fELF'), Buffer.alloc(16), Buffer.from('FROM x\n')]);
    throwsCode(() => lintDockerfile(elfish, { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'DOCKERFILE_INVALID');
    throwsCode(() => lintDockerfile('FROM scratch\n\u0000\u0001', { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'DOCKERFILE_INVALID');
  });

  test('bytes that are not UTF-8 are DOCKERFILE_INVALID', () => {
    throwsCode(() => lintDockerfile(Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xff, 0xfe, 0x0a]), { now: FIXTURE_CLOCK, file: 'Dockerfile' }), 'DOCKERFILE_INVALID');
  });

  test('UTF-8 bytes, a BOM and CRLF line ends are fine; positions stay right', () => {
    const text = '\ufeffFROM debian:12\r\nRUN apt-get update && \\\r\n    apt-get install -y curl\r\nUSER 1\r\nHEALTHCHECK NONE\r\n';
    const { findings } = lintDockerfile(Buffer.from(text, 'utf8'), { now: FIXTURE_CLOCK, file: 'Dockerfile' });
    assert.deepEqual(summary(findings), ['dockerfile/base-unpinned@1:6', 'dockerfile/apt-lists-kept@3:5', 'dockerfile/apt-no-recommends@3:5']);
  });
});
