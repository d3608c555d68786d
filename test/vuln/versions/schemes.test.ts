/**
 * Unit tests per scheme: each ordered list must be strictly increasing under
 * the scheme (every pair, both directions), equal groups must compare 0, and
 * parse errors carry VERSION_INVALID. The lists follow each ecosystem's
 * documentation (cited per block); schemes without a vector file here (gem,
 * nuget, composer) rely on them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ECOSYSTEMS, SCHEMES, schemeByName, schemeForEcosystem, schemeForRange, uniqueMap } from '../../../src/vuln/versions/all.js';
import { apk, parseApk } from '../../../src/vuln/versions/apk.js';
import { composer, normalizeComposer, phpVersionCompare } from '../../../src/vuln/versions/composer.js';
import { dpkg, isStrictDpkg, parseDpkg } from '../../../src/vuln/versions/dpkg.js';
import { VersionError } from '../../../src/vuln/versions/errors.js';
import { gem, parseGem } from '../../../src/vuln/versions/gem.js';
import { go, goOsv, isPseudoVersion } from '../../../src/vuln/versions/go.js';
import { maven, parseMaven } from '../../../src/vuln/versions/maven.js';
import { nuget, parseNuget } from '../../../src/vuln/versions/nuget.js';
import { parsePep440, pep440 } from '../../../src/vuln/versions/pep440.js';
import { parseRpm, rpm } from '../../../src/vuln/versions/rpm.js';
import type { VersionScheme } from '../../../src/vuln/versions/scheme.js';
import { parseSemver, satisfies, semver } from '../../../src/vuln/versions/semver.js';

const isCode = (code: string) => (e: unknown) => e instanceof VersionError && e.code === code;

function assertAscending(scheme: VersionScheme, versions: readonly string[]): void {
  const wrong: string[] = [];
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      const expected = i < j ? -1 : i > j ? 1 : 0;
      const got = scheme.compare(versions[i]!, versions[j]!);
      if (got !== expected) wrong.push(`${versions[i]} vs ${versions[j]}: ${got}, want ${expected}`);
    }
  }
  assert.deepEqual(wrong, []);
}

function assertEqual(scheme: VersionScheme, versions: readonly string[]): void {
  for (const a of versions) for (const b of versions) assert.equal(scheme.compare(a, b), 0, `${a} == ${b}`);
}

describe('dpkg', () => {
  test('order', () => {
    assertAscending(dpkg, ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0-1~bpo1', '1.0-1', '1.0-1+b1', '1.0a', '1.0+', '1.0.1', '1.1', '1:0.1', '2:0']);
    assertEqual(dpkg, ['1.0', '0:1.0', '1.0-0', '01.00-00']);
  });
  test('parse and errors', () => {
    assert.deepEqual({ ...parseDpkg('2:1.2-3-4') }, { scheme: 'dpkg', raw: '2:1.2-3-4', epoch: 2, upstream: '1.2-3', revision: '4' });
    for (const bad of ['', ' ', '1 2', 'a:1', ':1', '1:', '1.0-', '-1', '99999999999:1']) {
      assert.throws(() => parseDpkg(bad), isCode('VERSION_INVALID'), JSON.stringify(bad));
      assert.equal(dpkg.isValid(bad), false);
    }
    assert.throws(() => dpkg.compare('1:', '1'), isCode('VERSION_INVALID'));
    assert.equal(isStrictDpkg('1.0-1'), true);
    assert.equal(isStrictDpkg('a1.0'), false);
    assert.equal(dpkg.isValid('a1.0'), true, 'dpkg only warns');
  });
});

describe('rpm', () => {
  test('order', () => {
    assertAscending(rpm, ['1', '1.a', '1.0~rc1', '1.0', '1.0-1', '1.0-1.el8', '1.0-1.el8_1', '1.0^git1', '1.0.1', '1.1', '1:0.1']);
    assertEqual(rpm, ['1.0', '0:1.0', ':1.0', '1_0', '1.00']);
  });
  test('parse', () => {
    assert.deepEqual({ ...parseRpm('3:1.2-3-4') }, { scheme: 'rpm', raw: '3:1.2-3-4', epoch: '3', version: '1.2-3', release: '4' });
    assert.deepEqual({ ...parseRpm('1.2') }, { scheme: 'rpm', raw: '1.2', epoch: null, version: '1.2', release: null });
    assert.throws(() => parseRpm(''), isCode('VERSION_INVALID'));
  });
});

describe('apk', () => {
  test('order', () => {
    assertAscending(apk, ['1.0_alpha', '1.0_beta2', '1.0_pre1', '1.0_rc1', '1.0', '1.0-r1', '1.0_cvs', '1.0_git20240101', '1.0_p1', '1.0a', '1.0.1', '1.01', '1.1']);
    // apk-tools: a present -r0 still makes the longer token stream newer.
    assert.equal(apk.compare('1.0', '1.0-r0'), -1);
    assertEqual(apk, ['1.0-r1', '1.0-r01']);
  });
  test('parse', () => {
    assert.deepEqual({ ...parseApk('1.2.3_rc1~abc1-r4') }, { scheme: 'apk', raw: '1.2.3_rc1~abc1-r4', version: '1.2.3_rc1~abc1', revision: 4 });
    assert.throws(() => parseApk('1.0-1'), isCode('VERSION_INVALID'));
  });
});

describe('semver', () => {
  test('order, loose parsing, satisfies', () => {
    assertAscending(semver, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '2.0.0']);
    assertEqual(semver, ['1.2.3', 'v1.2.3', '=1.2.3', ' 1.2.3 ', '1.2.3+build.5']);
    assert.equal(parseSemver('1.2.3beta').prerelease[0], 'beta');
    assert.throws(() => semver.parse('1.2'), isCode('VERSION_INVALID'));
    assert.equal(satisfies('1.4.0', '^1.2.3'), true);
    assert.equal(satisfies('2.0.0', '^1.2.3'), false);
    assert.equal(satisfies('1.3.0-rc.1', '^1.2.3'), false);
    assert.equal(satisfies('1.3.0-rc.1', '^1.2.3', { includePrerelease: true }), true);
    assert.throws(() => satisfies('1.0.0', '>=>1'), isCode('RANGE_INVALID'));
  });
});

describe('go', () => {
  test('order: shorthands, pre-releases, pseudo-versions, +incompatible', () => {
    assertAscending(go, [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-000000000000',
      'v0.1.0',
      'v1.2.3-pre',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4',
      'v2.0.0+incompatible',
      'v2.1',
    ]);
    assertEqual(go, ['v1', 'v1.0', 'v1.0.0', 'v1.0.0+meta']);
    assert.equal(go.compare('1.2.3', 'v0.0.1'), -1, 'without v it is invalid, below every valid version');
    assert.equal(go.isValid('1.2.3'), false);
    assert.equal(goOsv.compare('1.2.3', 'v1.2.3'), 0, 'OSV Go versions have no v');
    assert.equal(isPseudoVersion('v0.0.0-20191109021931-daa7c04131f5'), true);
    assert.equal(isPseudoVersion('v1.2.4-0.20191109021931-daa7c04131f5'), true);
    assert.equal(isPseudoVersion('v1.2.3-pre'), false);
  });
});

describe('pep440', () => {
  test('normalisation', () => {
    assert.equal(parsePep440('1.0.0-alpha1').normalized, '1.0.0a1');
    assert.equal(parsePep440('1.0-1').normalized, '1.0.post1');
    assert.equal(parsePep440('V2!1.0.PREVIEW.3-DEV_4+Ubuntu-1').normalized, '2!1.0rc3.dev4+ubuntu.1');
    assertEqual(pep440, ['1.0.0a1', '1.0.0-alpha1', '1.0.0.a.1', '1.0a1']);
    assertEqual(pep440, ['1.0.post1', '1.0-1', '1.0.r1', '1.0rev1']);
    assert.throws(() => parsePep440('1.0+'), isCode('VERSION_INVALID'));
    assert.throws(() => parsePep440('french toast'), isCode('VERSION_INVALID'));
  });
  test('order', () => {
    assertAscending(pep440, ['1.0.dev1', '1.0a1.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0+abc', '1.0+5', '1.0.post1.dev1', '1.0.post1', '1.1', '1!0.1']);
    // Numbers are unbounded in packaging (Python ints): past 2^53 they still order (packaging 26.2 says so for each pair).
    assertAscending(pep440, ['9007199254740992', '9007199254740993']);
    assertAscending(pep440, ['1.99999999999999999998', '1.99999999999999999999']);
    assertAscending(pep440, ['1.0.post18446744073709551616', '1.0.post18446744073709551617']);
    // Every BigInt part of the order past 2^53 (the comparison uses relational operators, not a difference).
    assertAscending(pep440, ['18446744073709551616!1.0', '18446744073709551617!1.0']);
    assertAscending(pep440, ['1.0a18446744073709551616', '1.0a18446744073709551617', '1.0b0', '1.0rc18446744073709551617', '1.0']);
    assertAscending(pep440, ['1.0.dev18446744073709551616', '1.0.dev18446744073709551617', '1.0']);
    assertAscending(pep440, ['1.0+18446744073709551616', '1.0+18446744073709551617']);
    assertEqual(pep440, ['1.0a18446744073709551617', '1.0.0alpha018446744073709551617']);
  });
});

describe('maven', () => {
  test('order and canonical form', () => {
    assertAscending(maven, ['1-alpha', '1-alpha2', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-abc', '1-1', '1.1']);
    assertEqual(maven, ['1', '1.0', '1.0.0', '1-ga', '1-final', '1-release', '1.0.GA']);
    assertEqual(maven, ['1-rc1', '1-cr1', '1-RC-1']);
    assert.equal(parseMaven('1.0.0-Alpha1').canonical, '1-alpha1');
    assert.throws(() => parseMaven('1.'.repeat(200)), isCode('VERSION_INVALID'));
  });
});

describe('gem (Gem::Version)', () => {
  test('order', () => {
    assertAscending(gem, ['0.9', '1.0.a', '1.0.a2', '1.0.b1', '1.0.rc1', '1.0', '1.0.1', '1.1.pre', '1.1', '1.10', '2']);
    assertEqual(gem, ['1', '1.0', '1.0.0', ' 1.0 ']);
    assertEqual(gem, ['1.0-rc1', '1.0.pre.rc1']);
    assertEqual(gem, ['', '0']);
  });
  test('parse', () => {
    assert.equal(parseGem('1.0.a').prerelease, true);
    assert.equal(parseGem('1.0').prerelease, false);
    for (const bad of ['junk', '1.0\n2.0', '1..2', '1.0-', '-1']) assert.throws(() => parseGem(bad), isCode('VERSION_INVALID'), bad);
  });
});

describe('nuget', () => {
  test('order', () => {
    assertAscending(nuget, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0.1', '1.0.1', '1.1']);
    assertEqual(nuget, ['1.0', '1.0.0', '1.0.0.0', '1.0.0+build', '01.0']);
    assertEqual(nuget, ['1.0.0-BETA', '1.0.0-beta', '1.0.0-Beta+sha.1']);
    assert.equal(nuget.compare('1.0.0-2', '1.0.0-10'), -1);
    assert.equal(nuget.compare('1.0.0-10', '1.0.0-a'), -1);
  });
  test('parse', () => {
    assert.equal(parseNuget('1.2.3.0-Beta+m').normalized, '1.2.3-Beta+m');
    assert.equal(parseNuget('1.2.3.4').normalized, '1.2.3.4');
    for (const bad of ['', '1.2.3.4.5', '1.0-', 'a.b', '1.0.0-be$ta', '99999999999.0']) assert.throws(() => parseNuget(bad), isCode('VERSION_INVALID'), bad);
  });
});

describe('composer', () => {
  test('normalisation (composer/semver VersionParser::normalize)', () => {
    const cases: [string, string][] = [
      ['1.0.0', '1.0.0.0'],
      ['v1.2', '1.2.0.0'],
      ['1.0.0-beta2', '1.0.0.0-beta2'],
      ['1.0.0b2', '1.0.0.0-beta2'],
      ['1.0-rc1', '1.0.0.0-RC1'],
      ['1.0.0-pl3', '1.0.0.0-patch3'],
      ['1.0.0-stable', '1.0.0.0'],
      ['1.0.0-dev', '1.0.0.0-dev'],
      ['1.0.0-alpha3-dev', '1.0.0.0-alpha3-dev'],
      ['2010-01-02', '2010.01.02'],
      ['1.x-dev', '1.9999999.9999999.9999999-dev'],
      ['dev-master', 'dev-master'],
      ['master', 'dev-master'],
      ['1.0.0+build.1', '1.0.0.0'],
      ['1.0.0@beta', '1.0.0.0'],
      ['1.0.0 as 2.0.0', '1.0.0.0'],
    ];
    assert.deepEqual(cases.map(([v]) => [v, normalizeComposer(v)]), cases);
    assert.throws(() => composer.parse('foo bar'), isCode('VERSION_INVALID'));
  });
  test('order (version_compare on normalised versions)', () => {
    assertAscending(composer, ['1.0.0-dev', '1.0.0-alpha1', '1.0.0-beta1', '1.0.0-beta2', '1.0.0-RC1', '1.0.0', '1.0.0-p1', '1.0.1', '1.1-dev', '1.1', '2.0']);
    assertEqual(composer, ['1.0', 'v1.0.0', '1.0.0.0', '1.0.0-stable']);
    assert.throws(() => composer.compare('dev-master', '1.0.0'), isCode('VERSION_INCOMPARABLE'));
    assert.equal(composer.compare('dev-master', 'master'), 0);
  });
  test("PHP's version_compare", () => {
    assert.equal(phpVersionCompare('1.0.0', '1.0.0.0'), -1);
    assert.equal(phpVersionCompare('1.0rc1', '1.0'), -1);
    assert.equal(phpVersionCompare('1.0pl1', '1.0'), 1);
    assert.equal(phpVersionCompare('1.0-dev', '1.0-alpha'), -1);
    assert.equal(phpVersionCompare('1.0foo', '1.0dev'), -1);
  });
});

describe('all.ts', () => {
  test('one scheme per name, each reachable by name', () => {
    assert.deepEqual(SCHEMES.map((s) => s.name).sort(), ['apk', 'composer', 'dpkg', 'gem', 'go', 'maven', 'nuget', 'pep440', 'rpm', 'semver']);
    for (const s of SCHEMES) assert.equal(schemeByName(s.name), s);
    assert.throws(() => schemeByName('nope'), isCode('SCHEME_UNKNOWN'));
  });
  test('OSV ecosystems', () => {
    const expected: Record<string, string> = {
      Debian: 'dpkg', 'Debian:12': 'dpkg', Ubuntu: 'dpkg', 'Ubuntu:22.04:LTS': 'dpkg', Alpine: 'apk', 'Alpine:v3.20': 'apk', Wolfi: 'apk',
      'Rocky Linux': 'rpm', AlmaLinux: 'rpm', 'Red Hat': 'rpm', 'Red Hat:enterprise_linux:9::appstream': 'rpm', SUSE: 'rpm',
      npm: 'semver', 'crates.io': 'semver', Hex: 'semver', PyPI: 'pep440', Go: 'go', Maven: 'maven', RubyGems: 'gem', NuGet: 'nuget', Packagist: 'composer',
    };
    for (const [eco, name] of Object.entries(expected)) assert.equal(schemeForEcosystem(eco).name, name, eco);
    assert.throws(() => schemeForEcosystem('Pub'), isCode('ECOSYSTEM_UNKNOWN'));
    assert.equal(schemeForEcosystem('Go').compare('1.2.3', 'v1.2.3'), 0);
    assert.ok(ECOSYSTEMS.length >= 20);
  });
  test('range types', () => {
    assert.equal(schemeForRange('SEMVER', 'Go').name, 'semver');
    assert.equal(schemeForRange('ECOSYSTEM', 'PyPI').name, 'pep440');
    assert.throws(() => schemeForRange('GIT', 'npm'), isCode('RANGE_INVALID'));
  });
  test('duplicates fail loudly', () => {
    assert.throws(() => uniqueMap([['a', 1], ['a', 2]], 'thing'), isCode('SCHEME_DUPLICATE'));
  });
});
