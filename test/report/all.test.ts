import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineReportWriters, REPORT_WRITERS, writerFor } from '../../src/report/all.js';
import { ReportError } from '../../src/report/errors.js';
import { DEBIAN_RESULT, EMPTY_RESULT, NOW, TOOL } from './fixtures.js';

test('the list has each format once, and writerFor finds them', () => {
  const formats = REPORT_WRITERS.map((w) => w.format);
  assert.equal(new Set(formats).size, formats.length);
  for (const f of ['trivy-json', 'sarif', 'cyclonedx', 'junit', 'html', 'markdown']) assert.equal(writerFor(f).format, f);
});

test('a duplicate format fails loudly, an unknown one names the known ones', () => {
  const w = writerFor('sarif');
  assert.throws(() => defineReportWriters([w, w]), (e: unknown) => e instanceof ReportError && e.code === 'REPORT_FORMAT_DUPLICATE');
  assert.throws(() => writerFor('pdf'), (e: unknown) => e instanceof ReportError && e.code === 'REPORT_FORMAT_UNKNOWN' && e.message.includes('sarif'));
});

test('every writer is deterministic given now, ends with a newline, and copes with an empty scan', () => {
  for (const w of REPORT_WRITERS) {
    const a = w.write(DEBIAN_RESULT, { now: NOW, tool: TOOL });
    const b = w.write(DEBIAN_RESULT, { now: NOW, tool: TOOL });
    assert.equal(a, b, w.format);
    assert.ok(a.endsWith('\n'), w.format);
    assert.ok(w.mediaType.includes('/'), w.format);
    const empty = w.write(EMPTY_RESULT);
    assert.ok(empty.length > 0, w.format);
  }
});
