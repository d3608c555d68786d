import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sarifWriter } from '../../src/report/formats/sarif.js';
import { SarifBuilder, toArtifactUri } from '../../src/report/sarif-builder.js';
import { activeFindings, DEBIAN_RESULT, EMPTY_RESULT, HOSTILE_TITLE, NOW, TOOL } from './fixtures.js';
import { sarif210Validator, sarifSchemaPath } from './schemas.js';
import { missingPeer } from '../support/require-peer.js';

type J = Record<string, any>;
const text = sarifWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL });
const log = JSON.parse(text) as J;
const run = log.runs[0] as J;

test('validates against the official SARIF 2.1.0 schema', (t) => {
  const validate = sarif210Validator();
  if (!validate) {
    missingPeer(t, 'no SARIF schema: add the devDependency @microsoft/jest-sarif or set PORTCULLIS_SARIF_SCHEMA');
    return;
  }
  t.diagnostic(`schema: ${sarifSchemaPath()}`);
  assert.deepEqual(validate(log), []);
  assert.deepEqual(validate(JSON.parse(sarifWriter.write(EMPTY_RESULT)) as J), []);
  // The validator can fail: a result without its required message is rejected.
  const broken = structuredClone(log);
  delete broken.runs[0].results[0].message;
  assert.notDeepEqual(validate(broken), []);
});

test('the structure GitHub code scanning requires', () => {
  assert.equal(log.version, '2.1.0');
  assert.match(log.$schema, /sarif-schema-2\.1\.0\.json$/);
  assert.equal(log.runs.length, 1);
  const driver = run.tool.driver as J;
  assert.equal(driver.name, 'portcullis');
  assert.equal(driver.version, '1.2.3');
  assert.match(driver.informationUri, /^https:\/\//);
  const ids = driver.rules.map((r: J) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'one rule per vulnerability id');
  for (const rule of driver.rules as J[]) {
    assert.ok(rule.shortDescription.text.length > 0 && rule.shortDescription.text.length <= 1024);
    assert.ok(rule.fullDescription.text.length > 0 && rule.fullDescription.text.length <= 1024);
    assert.ok(rule.help.text.length > 0);
    assert.equal(typeof rule.help.markdown, 'string');
    assert.equal(typeof rule.properties['security-severity'], 'string');
    assert.match(rule.properties['security-severity'], /^\d{1,2}\.\d$/);
    assert.ok(rule.properties.tags.includes('security'));
    assert.equal(rule.properties.precision, 'very-high');
  }
  assert.equal(run.results.length, DEBIAN_RESULT.findings.length);
  for (const r of run.results as J[]) {
    assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.match(r.level, /^(error|warning|note)$/);
    assert.ok(r.message.text.length > 0);
    assert.equal(r.locations.length, 1);
    const loc = r.locations[0].physicalLocation;
    assert.ok(loc.artifactLocation.uri.length > 0);
    assert.ok(!loc.artifactLocation.uri.startsWith('/'));
    assert.ok(loc.region.startLine >= 1);
  }
});

test('levels, security-severity and locations follow the findings', () => {
  const rule = (id: string): J => run.tool.driver.rules.find((r: J) => r.id === id);
  const result = (id: string, pkg: string): J => run.results.find((r: J) => r.ruleId === id && r.message.text.includes(`Package: ${pkg}\n`));
  assert.equal(rule('CVE-2023-38545').properties['security-severity'], '9.8');
  assert.equal(result('CVE-2023-38545', 'curl').level, 'error');
  assert.equal(result('CVE-2023-5678', 'openssl').level, 'warning');
  assert.equal(rule('CVE-2023-5678').properties['security-severity'], '5.3');
  // Debian rates it LOW while NVD's vector scores 7.8: GitHub gets a low score, as the report says.
  assert.equal(result('CVE-2022-3715', 'bash').level, 'note');
  assert.equal(rule('CVE-2022-3715').properties['security-severity'], '2.0');
  // OS packages are located at the image, language packages at their file in the image.
  assert.equal(result('CVE-2023-38545', 'curl').locations[0].physicalLocation.artifactLocation.uri, 'registry.example.com/team/app:1.4');
  assert.equal(result('CVE-2021-23337', 'lodash').locations[0].physicalLocation.artifactLocation.uri, 'app/package-lock.json');
  assert.equal(result('CVE-2023-39325', 'stdlib').locations[0].physicalLocation.artifactLocation.uri, 'app/bin/server');
  // A hostile primary URL is not used as helpUri.
  assert.equal(rule('CVE-2023-45853').helpUri, undefined);
  assert.ok(rule('CVE-2023-45853').shortDescription.text.includes('<script>'), 'plain text stays as is in JSON');
  assert.ok(!rule('CVE-2023-45853').help.markdown.includes('| pipe'), 'pipes escaped in the Markdown table');
  assert.ok(HOSTILE_TITLE.includes('| pipe'));
});

test('a suppressed finding is kept with a suppression; each active finding has a stable fingerprint', () => {
  const suppressed = run.results.filter((r: J) => r.suppressions);
  assert.equal(suppressed.length, DEBIAN_RESULT.findings.length - activeFindings(DEBIAN_RESULT).length);
  assert.equal(suppressed[0].ruleId, 'CVE-2021-44906');
  assert.equal(suppressed[0].suppressions[0].kind, 'external');
  assert.match(suppressed[0].suppressions[0].justification, /vulnerable_code_not_in_execute_path/);
  const prints = run.results.map((r: J) => r.partialFingerprints['portcullis/v1']);
  assert.equal(new Set(prints).size, prints.length);
});

test('the builder serves other rule sets (lint) and checks its input', () => {
  const b = new SarifBuilder({ name: 'portcullis', version: '1.0.0' });
  b.addRule({ id: 'DL3007', shortDescription: 'Using latest is prone to errors', helpText: 'Pin the version.', tags: ['hygiene'], securitySeverity: 12 });
  assert.equal(b.addRule({ id: 'DL3007', shortDescription: 'again', helpText: 'x' }), 0, 'first definition wins');
  b.addResult({ ruleId: 'DL3007', level: 'warning', message: 'FROM debian:latest', locations: [{ uri: 'docker/Dockerfile', startLine: 3 }] });
  assert.throws(() => b.addResult({ ruleId: 'nope', level: 'note', message: 'x', locations: [] }), /not added/);
  const out = b.build();
  assert.equal(out.runs[0]!.tool.driver.rules![0]!.properties!['security-severity'], '10.0');
  assert.equal(out.runs[0]!.results![0]!.locations![0]!.physicalLocation!.region!.startLine, 3);
  const validate = sarif210Validator();
  if (validate) assert.deepEqual(validate(out), []);
  assert.equal(toArtifactUri('/usr/lib/node_modules/a b/package.json'), 'usr/lib/node_modules/a%20b/package.json');
  assert.equal(toArtifactUri('app/#weird?.jar'), 'app/%23weird%3F.jar');
});
