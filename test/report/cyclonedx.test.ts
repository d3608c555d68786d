import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cycloneDxWriter } from '../../src/report/formats/cyclonedx.js';
import { cycloneDx16Validator } from '../sbom/schemas.js';
import { DEBIAN_RESULT, EMPTY_RESULT, HOSTILE_DESCRIPTION, NOW, TOOL } from './fixtures.js';

type J = Record<string, any>;
const bom = JSON.parse(cycloneDxWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL })) as J;
const vuln = (id: string): J => bom.vulnerabilities.find((v: J) => v.id === id);

test('validates against the CycloneDX 1.6 schema shipped with @cyclonedx/cyclonedx-library', () => {
  const validate = cycloneDx16Validator();
  assert.deepEqual(validate(bom), []);
  assert.deepEqual(validate(JSON.parse(cycloneDxWriter.write(EMPTY_RESULT)) as J), []);
  const broken = structuredClone(bom);
  broken.vulnerabilities[0].ratings[0].method = 'CVSSv9';
  assert.notDeepEqual(validate(broken), []);
});

test('spec version, deterministic serial and timestamp, the affected components', () => {
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.equal(bom.specVersion, '1.6');
  assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(bom.metadata.timestamp, NOW.toISOString());
  assert.equal(bom.metadata.component.type, 'container');
  const purls = bom.components.filter((c: J) => c.purl).map((c: J) => c.purl).sort();
  const expected = [...new Set(DEBIAN_RESULT.findings.map((f) => f.package.purl))].sort();
  assert.deepEqual(purls, expected);
  assert.ok(bom.components.some((c: J) => c.type === 'operating-system' && c.name === 'debian' && c.version === '12'));
});

test('one vulnerability per id, affects every package it was found in, by bom-ref', () => {
  const ids = bom.vulnerabilities.map((v: J) => v.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(new Set(ids), new Set(DEBIAN_RESULT.findings.map((f) => f.id)));
  const refs = new Set(bom.components.map((c: J) => c['bom-ref']));
  for (const v of bom.vulnerabilities as J[]) for (const a of v.affects) assert.ok(refs.has(a.ref), `${v.id} affects unknown ref ${a.ref}`);
  const openssl = vuln('CVE-2023-5678');
  assert.equal(openssl.affects.length, 2, 'openssl and libssl3');
  assert.deepEqual(openssl.affects[0].versions, [{ version: '3.0.11-1~deb12u1', status: 'affected' }]);
  assert.match(openssl.recommendation, /Upgrade libssl3 to 3\.0\.13-1~deb12u1/);
  assert.deepEqual(openssl.source, { name: 'debian', url: 'https://salsa.debian.org/security-tracker-team/security-tracker' });
});

test('ratings carry the CVSS method, vector and score, and the severity by its source', () => {
  const curl = vuln('CVE-2023-38545');
  const cvss = curl.ratings.find((r: J) => r.method === 'CVSSv31');
  assert.deepEqual(cvss, { source: { name: 'nvd' }, score: 9.8, method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
  const bash = vuln('CVE-2022-3715');
  assert.ok(bash.ratings.some((r: J) => r.source?.name === 'debian' && r.severity === 'low'));
  assert.ok(!vuln('CVE-2023-45853').advisories.some((a: J) => a.url.startsWith('javascript:')));
  assert.equal(vuln('CVE-2023-45853').detail, HOSTILE_DESCRIPTION);
  assert.ok(vuln('CVE-2021-23337').references.some((r: J) => r.id === 'GHSA-35jh-r3h4-6jhm'));
});

test('a VEX-suppressed vulnerability has analysis not_affected with the justification; will-not-fix has the response', () => {
  const minimist = vuln('CVE-2021-44906');
  assert.equal(minimist.analysis.state, 'not_affected');
  assert.equal(minimist.analysis.justification, 'code_not_reachable');
  assert.match(minimist.analysis.detail, /build tooling/);
  assert.deepEqual(vuln('CVE-2023-45853').analysis.response, ['will_not_fix']);
  assert.equal(vuln('CVE-2023-38545').analysis, undefined);
});
