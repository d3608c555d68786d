import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding, ScanResult } from '../../src/core/finding.js';
import { COLLAPSE_AFTER, markdownWriter } from '../../src/report/formats/markdown.js';
import { markdownCell, markdownLink } from '../../src/report/escape.js';
import { DEBIAN_RESULT, EMPTY_RESULT, FINDINGS, NOW, TOOL } from './fixtures.js';

const md = markdownWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL });
const lines = md.split('\n');

/** Splits a table row on unescaped pipes. */
function cells(row: string): string[] {
  return row.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

test('a summary line and the counts by severity', () => {
  assert.ok(md.startsWith('### Vulnerability scan: `registry.example.com/team/app:1.4`'));
  assert.ok(md.includes('**8 vulnerabilities** (6 with a fix available), 1 suppressed.'));
  const i = lines.indexOf('| CRITICAL | HIGH | MEDIUM | LOW | NEGLIGIBLE | UNKNOWN |');
  assert.ok(i > 0);
  assert.deepEqual(cells(lines[i + 2]!), ['2', '3', '2', '1', '0', '0']);
});

test('tables per target with escaped pipes: every row has exactly 7 cells', () => {
  const rows = lines.filter((l) => l.startsWith('| ') && (l.includes('CVE-') || l.includes('GHSA')) && !l.includes('vex'));
  assert.equal(rows.length, 8);
  for (const r of rows) assert.equal(cells(r).length, 7, r);
  const zlib = rows.find((r) => r.includes('zlib1g'))!;
  assert.ok(zlib.includes('\\| pipe'), 'the pipe in the title is escaped');
  assert.ok(zlib.includes('&lt;script&gt;'), 'HTML is neutralised');
  assert.ok(!zlib.includes('javascript:'), 'no javascript: link');
  const curl = rows.find((r) => cells(r)[2] === 'curl')!;
  assert.equal(cells(curl)[1], '[CVE-2023-38545](https://security-tracker.debian.org/tracker/CVE-2023-38545)');
  const headings = lines.filter((l) => l.startsWith('#### '));
  assert.equal(headings.length, 3);
  assert.ok(md.indexOf('\\(debian\\)') < md.indexOf('\\(gobinary\\)'));
  assert.ok(md.indexOf('\\(gobinary\\)') > 0);
  assert.ok(md.includes('<summary>1 suppressed</summary>'));
});

test('a long target collapses into <details>', () => {
  const many: Finding[] = Array.from({ length: COLLAPSE_AFTER + 5 }, (_, i) => ({ ...FINDINGS[2]!, id: `CVE-2024-${1000 + i}` }));
  const result: ScanResult = { ...DEBIAN_RESULT, findings: many };
  const out = markdownWriter.write(result);
  assert.ok(out.includes('<details open>\n<summary><b>registry.example.com/team/app:1.4 (debian 12) (debian) — 15 findings</b></summary>\n\n| Severity'));
  assert.ok(out.includes('</details>'));
  assert.ok(markdownWriter.write(EMPTY_RESULT).includes('No vulnerabilities found'));
});

test('escaping helpers', () => {
  assert.equal(markdownCell('a|b\nc'), 'a\\|b c');
  assert.equal(markdownLink('x', 'javascript:alert(1)'), 'x');
  assert.equal(markdownLink('x', 'https://e.com/a b)(c'), 'x', 'URLs with whitespace are not links');
  assert.equal(markdownLink('x', 'https://e.com/a_(b)'), '[x](https://e.com/a_%28b%29)');
});
