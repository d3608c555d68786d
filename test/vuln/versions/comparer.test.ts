/**
 * `comparerFor(scheme, a)(b)` is `scheme.compare(a, b)` for every scheme: the
 * same result or the same error, on every upstream comparison vector (read in
 * place from ../shared/vulndata/vercmp) and on strings no scheme accepts; the
 * version is parsed only when a comparison is made, so a comparer of an
 * invalid version throws at its first call, as `compare` would, and not before.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SCHEMES } from '../../../src/vuln/versions/all.js';
import { VersionError } from '../../../src/vuln/versions/errors.js';
import { pep440 } from '../../../src/vuln/versions/pep440.js';
import { comparerFor, type VersionScheme } from '../../../src/vuln/versions/scheme.js';
import { VULNDATA } from '../../support/paths.js';

function outcome(fn: () => unknown): string {
  try {
    return String(fn());
  } catch (error) {
    return `throws ${error instanceof VersionError ? error.code : (error as Error).message}`;
  }
}

/** Every version of the vector files, with the scheme each file is for. */
const FILES: readonly [file: string, scheme: string][] = [
  ['dpkg.tsv', 'dpkg'],
  ['rpm.tsv', 'rpm'],
  ['apk.tsv', 'apk'],
  ['pep440.tsv', 'pep440'],
  ['semver.tsv', 'semver'],
  ['semver-loose.tsv', 'semver'],
  ['maven.tsv', 'maven'],
  ['gomod-semver.tsv', 'go'],
];

function pairs(file: string): [string, string][] {
  const lines = readFileSync(join(VULNDATA, 'vercmp', file), 'utf8').split('\n').slice(1);
  return lines.filter((l) => l !== '').map((l) => l.split('\t') as [string, string]);
}

const GARBAGE = ['', ' ', 'not a version', '1.0+', 'v', '-1', '1..2', '\u0000', '1.0.0-', '🙂', '1:', '~', '999999999999999999999999.0'];

describe('comparerFor: the same answers and errors as compare', () => {
  for (const [file, name] of FILES) {
    test(`${file}, every row both ways`, () => {
      const scheme = SCHEMES.find((s) => s.name === name)!;
      const rows = pairs(file);
      assert.ok(rows.length > 40, `${file}: ${rows.length} rows`);
      const wrong: string[] = [];
      for (const [a, b] of rows) {
        for (const [x, y] of [[a, b], [b, a]] as const) {
          const want = outcome(() => scheme.compare(x, y));
          const got = outcome(() => comparerFor(scheme, x)(y));
          if (got !== want) wrong.push(`${JSON.stringify(x)} vs ${JSON.stringify(y)}: ${got}, compare ${want}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  test('every scheme, versions of every file and garbage, all pairs, one comparer per version', () => {
    const versions = [...new Set([...FILES.flatMap(([file]) => pairs(file).slice(0, 60).flat()), ...GARBAGE])];
    const wrong: string[] = [];
    let throwing = 0;
    for (const scheme of SCHEMES as readonly VersionScheme[]) {
      for (const a of versions) {
        const compare = comparerFor(scheme, a);
        for (const b of versions) {
          const want = outcome(() => scheme.compare(a, b));
          if (want.startsWith('throws')) throwing++;
          const got = outcome(() => compare(b));
          if (got !== want) wrong.push(`${scheme.name}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${got}, compare ${want}`);
        }
      }
    }
    assert.deepEqual(wrong.slice(0, 20), []);
    assert.ok(throwing > 1000, `errors compared too (${throwing})`);
  });

  test('an invalid version throws at the first comparison, every time, and not when the comparer is made', () => {
    const compare = comparerFor(pep440, 'french toast');
    const invalid = (e: unknown) => e instanceof VersionError && e.code === 'VERSION_INVALID';
    assert.throws(() => compare('1.0'), invalid);
    assert.throws(() => compare('1.0'), invalid);
    assert.equal(comparerFor(pep440, '1.0')('1.0.0'), 0);
    assert.equal(comparerFor(pep440, '1.0.post1')('1.0'), 1);
  });
});
