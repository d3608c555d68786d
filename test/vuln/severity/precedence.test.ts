/**
 * Which rating a finding reports (src/vuln/severity/precedence.ts): the
 * distributor first for distribution packages (Alpine, which does not rate,
 * falls through to NVD), GHSA then the ecosystem's database then NVD for
 * language packages, the record's own last; one rating per source kept;
 * `--severity-source` orders and restricts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Severity } from '../../../src/core/index.js';
import { chooseRating, collectRatings, parseSeverityOrder } from '../../../src/vuln/severity/precedence.js';

const nvd31: Severity = { source: 'nvd', severity: 'CRITICAL', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 } };
const nvd2: Severity = { source: 'nvd', severity: 'HIGH', cvss: { version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', score: 7.5 } };
const debian: Severity = { source: 'debian', severity: 'LOW' };
const ubuntu: Severity = { source: 'ubuntu', severity: 'MEDIUM' };
const redhat: Severity = { source: 'redhat', severity: 'HIGH' };
const alpine: Severity = { source: 'alpine', severity: 'HIGH', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 8.1 } };
const ghsa: Severity = { source: 'ghsa', severity: 'MEDIUM', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3 } };
const go: Severity = { source: 'go', severity: 'LOW' };
const cna: Severity = { source: 'secalert@redhat.com', severity: 'HIGH' };

test('collectRatings: one per source; NVD by CVSS version preference, others their highest level', () => {
  const r = collectRatings([nvd2, debian, nvd31, { source: 'debian', severity: 'HIGH' }, { source: 'ghsa', severity: 'UNKNOWN' }, ghsa]);
  assert.deepEqual(r, [nvd31, { source: 'debian', severity: 'HIGH' }, ghsa]);
});

test('distribution packages: the distributor first, with NVD\'s vector beside it; Alpine falls through to NVD', () => {
  assert.deepEqual(chooseRating([nvd31, debian], true), { severity: 'LOW', source: 'debian', cvss: nvd31.cvss });
  assert.equal(chooseRating([nvd31, ubuntu], true).source, 'ubuntu');
  assert.equal(chooseRating([nvd31, redhat, ghsa], true).source, 'redhat');
  assert.deepEqual(chooseRating([alpine, nvd31], true), { severity: 'CRITICAL', source: 'nvd', cvss: nvd31.cvss }, 'Alpine does not rate: NVD');
  assert.equal(chooseRating([alpine], true).source, 'alpine', 'only the ALPINE-CVE record\'s copy of NVD\'s CVSS: kept as the record\'s own');
  assert.equal(chooseRating([ghsa, cna], true).source, 'ghsa', 'no distributor, no NVD: GHSA');
});

test('language packages: GHSA, then the ecosystem, then NVD, then the record\'s own', () => {
  assert.equal(chooseRating([nvd31, ghsa, go], false).source, 'ghsa');
  assert.equal(chooseRating([nvd31, go], false).source, 'go');
  assert.equal(chooseRating([nvd31, cna], false).source, 'nvd');
  assert.equal(chooseRating([cna], false).source, 'secalert@redhat.com');
  assert.deepEqual(chooseRating([], false), { severity: 'UNKNOWN', source: 'none' });
  assert.deepEqual(chooseRating([{ source: 'nvd', severity: 'UNKNOWN', cvss: { version: '4.0', vector: 'CVSS:4.0/x' } }], false), { severity: 'UNKNOWN', source: 'none', cvss: { version: '4.0', vector: 'CVSS:4.0/x' } });
});

test('--severity-source: only the listed sources, in order; distro and auto as groups', () => {
  assert.equal(chooseRating([nvd31, debian], true, ['nvd']).source, 'nvd');
  assert.equal(chooseRating([debian], true, ['nvd']).severity, 'UNKNOWN', 'an unlisted source never rates');
  assert.equal(chooseRating([debian, ghsa], false, ['nvd', 'auto']).source, 'ghsa', 'auto: the default order for the package');
  assert.equal(chooseRating([nvd31, ubuntu], true, ['distro', 'nvd']).source, 'ubuntu');
  assert.deepEqual(parseSeverityOrder(' NVD, debian ,auto,nvd'), ['nvd', 'debian', 'auto']);
  assert.throws(() => parseSeverityOrder('nvd,bogus'), /takes a comma list of auto, distro, nvd, ghsa, .*not "bogus"/);
  assert.throws(() => parseSeverityOrder(','), /takes a comma list/);
});
