/**
 * CVSS v4.0 base scores (CVSS-B) through ae-cvss-calculator, checked against
 * scores FIRST and NVD published: FIRST's calculator's default vector and
 * the CVSS v4.0 examples document (CVE-2022-41741), and every
 * `cvssMetricV40` NVD published in ../shared/vulndata/nvd. Malformed vectors
 * have no score.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cvss4BaseScore, isCvss4Vector, parseCvss } from '../../src/vuln/cvss.js';
import { VULNDATA } from '../support/paths.js';

test('cvss 4.0: FIRST published scores', () => {
  // FIRST's calculator (https://www.first.org/cvss/calculator/4-0) opens on this vector: 9.3.
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), 9.3);
  // Every impact high, nothing required: the top of the scale.
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H'), 10);
  // FIRST "CVSS v4.0 Examples", CVE-2022-41741 (nginx mp4 module): CVSS-B 8.5.
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), 8.5);
  // No impact at all: 0.
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N'), 0);
  // Threat metrics do not change CVSS-B (the base score), as temporal metrics do not for v3.
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U'), 9.3);
  const parsed = parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
  assert.deepEqual(parsed, { version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', score: 9.3 });
});

test('cvss 4.0: every score NVD published in the samples is the computed one', () => {
  let checked = 0;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []));
  for (const file of walk(join(VULNDATA, 'nvd'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('cvssMetricV40')) continue;
    const metrics = [...text.matchAll(/"vectorString"\s*:\s*"(CVSS:4\.0\/[^"]+)"\s*,[\s\S]*?"baseScore"\s*:\s*([\d.]+)/g)];
    for (const [, vector, score] of metrics) {
      assert.equal(cvss4BaseScore(vector!), Number(score), `${file}: ${vector}`);
      checked++;
    }
  }
  assert.ok(checked >= 2, `checked ${checked} published v4 scores`);
});

test('cvss 4.0: malformed vectors have no score', () => {
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AC:L'), undefined, 'base metrics missing (the library would score it 0)');
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:N/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined, 'a repeated metric (the library lets the last win)');
  assert.equal(cvss4BaseScore('CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined, 'an undefined value');
  assert.equal(cvss4BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined);
  assert.equal(isCvss4Vector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/'), true, 'a trailing slash is tolerated');
  assert.equal(parseCvss('CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined);
});
