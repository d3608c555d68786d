import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dpkg } from '../../../src/vuln/versions/dpkg.js';
import { VersionError } from '../../../src/vuln/versions/errors.js';
import { pep440 } from '../../../src/vuln/versions/pep440.js';
import { inAnyRange, inRange, type RangeEvent } from '../../../src/vuln/versions/range.js';
import { semver } from '../../../src/vuln/versions/semver.js';

const affected = (events: readonly RangeEvent[], versions: string[]): string[] => versions.filter((v) => inRange(semver, v, events));
const ALL = ['0.0.1', '0.9.0', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.4.9', '1.5.0', '1.6.0', '2.0.0', '2.2.0', '2.3.0', '3.0.0'];

describe('inRange: OSV SEMVER/ECOSYSTEM semantics', () => {
  test('introduced "0" means from the beginning; fixed is exclusive', () => {
    assert.deepEqual(affected([{ introduced: '0' }, { fixed: '1.0.0' }], ALL), ['0.0.1', '0.9.0', '1.0.0-rc.1']);
  });

  test('introduced is inclusive; no fixed means every later version', () => {
    assert.deepEqual(affected([{ introduced: '2.0.0' }], ALL), ['2.0.0', '2.2.0', '2.3.0', '3.0.0']);
  });

  test('last_affected is inclusive (OSV spelling and camelCase)', () => {
    const expected = ['1.0.0', '1.2.0', '1.4.9', '1.5.0'];
    assert.deepEqual(affected([{ introduced: '1.0.0' }, { last_affected: '1.5.0' }], ALL), expected);
    assert.deepEqual(affected([{ introduced: '1.0.0' }, { lastAffected: '1.5.0' }], ALL), expected);
  });

  test('several introduced/fixed pairs in one range, in any order', () => {
    const events: RangeEvent[] = [{ fixed: '2.3.0' }, { introduced: '2.0.0' }, { fixed: '1.5.0' }, { introduced: '0' }];
    assert.deepEqual(affected(events, ALL), ['0.0.1', '0.9.0', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.4.9', '2.0.0', '2.2.0']);
  });

  test('limit caps the range; "*" is no cap', () => {
    assert.deepEqual(affected([{ introduced: '1.0.0' }, { limit: '1.5.0' }], ALL), ['1.0.0', '1.2.0', '1.4.9']);
    assert.deepEqual(affected([{ introduced: '2.0.0' }, { limit: '*' }], ALL), ['2.0.0', '2.2.0', '2.3.0', '3.0.0']);
    assert.deepEqual(affected([{ introduced: '0' }, { fixed: '2.3.0' }, { limit: '1.2.0' }], ALL), ['0.0.1', '0.9.0', '1.0.0-rc.1', '1.0.0']);
  });

  test('equal introduced and fixed is empty; equal introduced and last_affected is that version', () => {
    assert.deepEqual(affected([{ introduced: '1.2.0' }, { fixed: '1.2.0' }], ALL), []);
    assert.deepEqual(affected([{ introduced: '1.2.0' }, { last_affected: '1.2.0' }], ALL), ['1.2.0']);
  });

  test('the simple form defaults introduced to "0"', () => {
    assert.equal(inRange(semver, '0.1.0', { fixed: '1.0.0' }), true);
    assert.equal(inRange(semver, '1.0.0', { fixed: '1.0.0' }), false);
    assert.equal(inRange(semver, '1.5.0', { introduced: '1.0.0', lastAffected: '1.5.0' }), true);
    assert.equal(inRange(semver, '1.5.1', { introduced: '1.0.0', lastAffected: '1.5.0' }), false);
    assert.equal(inRange(semver, '1.5.1', { introduced: '1.0.0', limit: '1.5.0' }), false);
  });

  test('uses the scheme for order: dpkg epochs and tildes, PEP 440 pre-releases', () => {
    assert.equal(inRange(dpkg, '1:1.0-1', [{ introduced: '0' }, { fixed: '2.0-1' }]), false);
    assert.equal(inRange(dpkg, '2.0~rc1-1', [{ introduced: '0' }, { fixed: '2.0-1' }]), true);
    assert.equal(inRange(pep440, '2.0rc1', [{ introduced: '0' }, { fixed: '2.0' }]), true);
    assert.equal(inRange(pep440, '2.0.post1', [{ introduced: '0' }, { fixed: '2.0' }]), false);
    assert.equal(inRange(pep440, '2.0', [{ introduced: '1.0' }, { fixed: '2.0.0' }]), false);
  });

  test('events in order and the same events shuffled give the same answers (an ordered list is used as it is)', () => {
    const ordered: RangeEvent[] = [{ introduced: '0' }, { fixed: '1.0~rc1-1' }, { introduced: '1:0.5-1' }, { last_affected: '1:0.9-2' }];
    const shuffled: RangeEvent[] = [ordered[3]!, ordered[1]!, ordered[2]!, ordered[0]!];
    const versions = ['0.1-1', '1.0~beta-1', '1.0~rc1-1', '1.0-1', '1:0.4-9', '1:0.5-1', '1:0.9-2', '1:0.9-2+deb1', '2:0'];
    const expected = ['0.1-1', '1.0~beta-1', '1:0.5-1', '1:0.9-2'];
    assert.deepEqual(versions.filter((v) => inRange(dpkg, v, ordered)), expected);
    assert.deepEqual(versions.filter((v) => inRange(dpkg, v, shuffled)), expected);
    // Equal versions: introduced is applied before fixed whichever is written first.
    assert.equal(inRange(pep440, '2.0', [{ introduced: '2.0' }, { fixed: '2.0.0' }]), false);
    assert.equal(inRange(pep440, '2.0', [{ fixed: '2.0.0' }, { introduced: '2.0' }]), false);
    assert.equal(inRange(pep440, '2.0', [{ introduced: '2.0' }, { last_affected: '2.0.0' }]), true);
  });

  test('a range with an event version the scheme cannot order throws on every call (nothing kept)', () => {
    const events: RangeEvent[] = [{ introduced: '1.0.0' }, { fixed: 'not a version' }];
    const code = (e: unknown) => e instanceof VersionError && e.code === 'VERSION_INVALID';
    assert.throws(() => inRange(semver, '1.5.0', events), code);
    assert.throws(() => inRange(semver, '1.5.0', events), code);
  });

  test('inAnyRange', () => {
    const ranges = [[{ introduced: '0' }, { fixed: '1.0.0' }], { introduced: '2.0.0', fixed: '2.2.0' }];
    assert.deepEqual(ALL.filter((v) => inAnyRange(semver, v, ranges)), ['0.0.1', '0.9.0', '1.0.0-rc.1', '2.0.0']);
  });

  test('malformed ranges throw RANGE_INVALID; bad versions throw VERSION_INVALID', () => {
    const code = (code: string) => (e: unknown) => e instanceof VersionError && e.code === code;
    assert.throws(() => inRange(semver, '1.0.0', [{ fixed: '1.0.0' }]), code('RANGE_INVALID'));
    assert.throws(() => inRange(semver, '1.0.0', [{ introduced: '0', fixed: '1' } as unknown as RangeEvent]), code('RANGE_INVALID'));
    assert.throws(() => inRange(semver, '1.0.0', [{ bogus: '1' } as unknown as RangeEvent]), code('RANGE_INVALID'));
    assert.throws(() => inRange(semver, 'not a version', [{ introduced: '1.0.0' }]), code('VERSION_INVALID'));
  });
});
