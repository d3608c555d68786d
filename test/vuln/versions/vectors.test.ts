/**
 * Upstream test vectors, read in place from ../shared/vulndata/vercmp (see its
 * README.md: every row was extracted mechanically from the upstream projects'
 * own tests). Every row must agree. Rows about behaviour we deliberately do
 * not support would be listed in UNSUPPORTED with a reason; there are none.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { apk, apkMatch } from '../../../src/vuln/versions/apk.js';
import { dpkg } from '../../../src/vuln/versions/dpkg.js';
import { go, parseGo } from '../../../src/vuln/versions/go.js';
import { maven } from '../../../src/vuln/versions/maven.js';
import { pep440 } from '../../../src/vuln/versions/pep440.js';
import { rpm } from '../../../src/vuln/versions/rpm.js';
import type { VersionScheme } from '../../../src/vuln/versions/scheme.js';
import { satisfies, semver } from '../../../src/vuln/versions/semver.js';
import { VULNDATA } from '../../support/paths.js';

/** file → rows (joined with TAB) we deliberately do not follow, with the reason. */
const UNSUPPORTED: Record<string, Record<string, string>> = {};

function rows(file: string, header: string): string[][] {
  const text = readFileSync(join(VULNDATA, 'vercmp', file), 'utf8');
  const lines = text.split('\n');
  assert.equal(lines[0], header, `${file}: unexpected header`);
  // Fields are not trimmed; only the final newline is dropped.
  return lines.slice(1).filter((l, i, all) => !(l === '' && i === all.length - 1)).map((l) => l.split('\t'));
}

function outcome(fn: () => unknown): string {
  try {
    return String(fn());
  } catch (error) {
    return `throws ${(error as { code?: string }).code ?? (error as Error).message}`;
  }
}

const COMPARISONS: readonly [file: string, scheme: VersionScheme, minRows: number][] = [
  ['dpkg.tsv', dpkg, 55],
  ['rpm.tsv', rpm, 91],
  ['apk.tsv', apk, 717],
  ['pep440.tsv', pep440, 8564],
  ['semver.tsv', semver, 44],
  ['semver-loose.tsv', semver, 92],
  ['maven.tsv', maven, 1985],
  ['gomod-semver.tsv', go, 1024],
];

describe('upstream comparison vectors', () => {
  for (const [file, scheme, minRows] of COMPARISONS) {
    test(`${file} (${scheme.name})`, () => {
      const data = rows(file, 'a\tb\texpected');
      assert.ok(data.length >= minRows, `${file}: only ${data.length} rows`);
      const skip = UNSUPPORTED[file] ?? {};
      const failures: string[] = [];
      let checked = 0;
      for (const row of data) {
        const [a, b, expected] = row as [string, string, string];
        if (row.join('\t') in skip) continue;
        checked++;
        const got = outcome(() => scheme.compare(a, b));
        if (got !== expected) failures.push(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${got}, upstream ${expected}`);
      }
      assert.deepEqual(failures, []);
      assert.equal(checked, data.length - Object.keys(skip).length);
    });
  }
});

describe('upstream validity and matching vectors', () => {
  test('apk-validity.tsv', () => {
    const failures = rows('apk-validity.tsv', 'version\tvalid')
      .filter(([v, valid]) => String(apk.isValid(v!)) !== valid)
      .map(([v, valid]) => `${JSON.stringify(v)} valid=${valid}`);
    assert.deepEqual(failures, []);
  });

  test('apk-fuzzy-match.tsv', () => {
    const data = rows('apk-fuzzy-match.tsv', 'a\top\tb');
    assert.ok(data.length >= 16);
    const failures = data.filter(([a, op, b]) => !apkMatch(a!, op!, b!)).map((r) => r.join(' '));
    assert.deepEqual(failures, []);
  });

  test('gomod-semver-canonical.tsv', () => {
    const failures = rows('gomod-semver-canonical.tsv', 'version\tcanonical_or_empty_if_invalid')
      .filter(([v, canonical]) => (go.isValid(v!) ? parseGo(v!).canonical : '') !== canonical)
      .map((r) => r.join(' → '));
    assert.deepEqual(failures, []);
  });

  test('semver-range-satisfies.tsv', () => {
    const data = rows('semver-range-satisfies.tsv', 'range\tversion\tsatisfies\toptions');
    assert.ok(data.length >= 223);
    const failures: string[] = [];
    for (const [range, version, expected, options] of data as [string, string, string, string][]) {
      // The fixture's options are node-semver's: `true` means loose; fields are truthy/falsy.
      const o: unknown = options === '' ? {} : JSON.parse(options);
      const opts =
        o === true
          ? { loose: true }
          : { loose: Boolean((o as { loose?: unknown }).loose), includePrerelease: Boolean((o as { includePrerelease?: unknown }).includePrerelease) };
      const got = outcome(() => satisfies(version, range, opts));
      if (got !== expected) failures.push(`satisfies(${JSON.stringify(version)}, ${JSON.stringify(range)}, ${options}) = ${got}`);
    }
    assert.deepEqual(failures, []);
  });
});
