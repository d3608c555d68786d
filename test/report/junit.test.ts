import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { junitWriter, xmlEscape } from '../../src/report/formats/junit.js';
import { DEBIAN_RESULT, EMPTY_RESULT, HOSTILE_DESCRIPTION, HOSTILE_TITLE, NOW, TOOL } from './fixtures.js';

type J = Record<string, any>;
const xml = junitWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL });
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });
const doc = parser.parse(xml) as J;

const packagesOf = (findings: typeof DEBIAN_RESULT.findings) => new Set(findings.map((f) => `${f.package.path}\0${f.package.name}@${f.installedVersion}`));

test('well-formed XML', () => {
  assert.equal(XMLValidator.validate(xml), true);
  assert.equal(XMLValidator.validate(junitWriter.write(EMPTY_RESULT)), true);
  assert.equal(XMLValidator.validate('<a><b></a>') === true, false, 'the validator can fail');
});

test('counts of tests, failures and skipped match the findings', () => {
  const root = doc.testsuites as J;
  const all = packagesOf(DEBIAN_RESULT.findings);
  const failing = packagesOf(DEBIAN_RESULT.findings.filter((f) => !f.suppressed));
  assert.equal(Number(root['@tests']), all.size);
  assert.equal(Number(root['@failures']), failing.size);
  assert.equal(Number(root['@skipped']), all.size - failing.size);
  const suites = root.testsuite as J[];
  assert.deepEqual(suites.map((s) => s['@name']), ['registry.example.com/team/app:1.4 (debian 12)', 'app/bin/server', 'app/package-lock.json']);
  assert.equal(suites.reduce((n, s) => n + Number(s['@tests']), 0), all.size);
  for (const s of suites) {
    assert.equal(s.testcase.length, Number(s['@tests']));
    assert.equal(s.testcase.filter((c: J) => c.failure).length, Number(s['@failures']));
  }
  const os = suites[0]!;
  assert.deepEqual(os.properties.property.map((p: J) => [p['@name'], p['@value']]), [['class', 'os-pkgs'], ['type', 'debian']]);
  assert.equal(os.testcase.length, 5);
  const curl = os.testcase.find((c: J) => c['@name'] === 'curl@7.88.1-10+deb12u4');
  assert.equal(curl.failure['@type'], 'CRITICAL');
  assert.match(curl.failure['#text'], /CVE-2023-38545: 7\.88\.1-10\+deb12u4 -> 7\.88\.1-10\+deb12u5 \(fixed\)/);
  const npm = suites[2]!;
  assert.ok(npm.testcase.find((c: J) => c['@name'] === 'minimist@1.2.5').skipped !== undefined);
});

test('hostile advisory text round-trips as text', () => {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true, htmlEntities: false, isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml) as J;
  const zlib = (parsed.testsuites.testsuite[0].testcase as J[]).find((c) => c['@name'].startsWith('zlib1g@'))!;
  assert.ok(zlib.failure['#text'].includes(HOSTILE_TITLE), 'the title survives escaping');
  assert.ok(!xml.includes('<script>'));
  assert.ok(!xml.includes(']]>'));
  assert.equal(xmlEscape('a\u0000b\u0007c\uFFFEd'), 'abcd');
  assert.equal(xmlEscape(HOSTILE_DESCRIPTION).includes('<'), false);
});
