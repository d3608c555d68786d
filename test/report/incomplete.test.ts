/**
 * An incomplete scan (`ScanResult.incomplete`) in every report writer: what
 * a reader (GitHub code scanning, a CI test report, a human) sees is "this
 * scan could not look at everything", never a clean result. A complete scan's
 * output is unchanged (no empty invocation, no extra suite).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScanResult } from '../../src/core/finding.js';
import { writerFor } from '../../src/report/all.js';
import { cycloneDx16Validator } from '../sbom/schemas.js';
import { DEBIAN_RESULT, EMPTY_RESULT, NOW, TOOL } from './fixtures.js';
import { sarif210Validator } from './schemas.js';

const REASONS = ['npm: failed: Maximum call stack size exceeded', 'rpm: var/lib/rpm/Packages: not an rpm database <x> & "y"; not read'];
const INCOMPLETE: ScanResult = { ...EMPTY_RESULT, incomplete: REASONS };
const write = (format: string, result: ScanResult): string => writerFor(format).write(result, { now: NOW, tool: TOOL });

interface SarifRun {
  invocations?: Array<{ executionSuccessful: boolean; toolExecutionNotifications?: Array<{ level: string; message: { text: string } }> }>;
}

test('sarif: the run failed (executionSuccessful false), one error notification per reason; valid SARIF 2.1.0', () => {
  const log = JSON.parse(write('sarif', INCOMPLETE)) as { runs: SarifRun[] };
  const invocation = log.runs[0]?.invocations?.[0];
  assert.equal(invocation?.executionSuccessful, false);
  assert.deepEqual(
    invocation?.toolExecutionNotifications?.map((n) => [n.level, n.message.text]),
    REASONS.map((r) => ['error', `incomplete: ${r}`]),
  );
  assert.equal((JSON.parse(write('sarif', EMPTY_RESULT)) as { runs: SarifRun[] }).runs[0]?.invocations, undefined);
  const validate = sarif210Validator();
  assert.ok(validate, 'the SARIF schema ships with the devDependency @microsoft/jest-sarif');
  assert.deepEqual(validate(log), []);
});

test('cyclonedx: one portcullis:incomplete metadata property per reason; valid CycloneDX 1.6', () => {
  const bom = JSON.parse(write('cyclonedx', { ...DEBIAN_RESULT, incomplete: REASONS })) as { metadata: { properties?: Array<{ name: string; value: string }> } };
  assert.deepEqual(
    (bom.metadata.properties ?? []).filter((p) => p.name === 'portcullis:incomplete').map((p) => p.value).sort(),
    [...REASONS].sort(),
  );
  assert.deepEqual(cycloneDx16Validator()(bom), []);
  const complete = JSON.parse(write('cyclonedx', DEBIAN_RESULT)) as { metadata: { properties?: unknown[] } };
  assert.equal(complete.metadata.properties, undefined);
});

test('junit: an errored "scan completeness" case listing the reasons, counted on <testsuites>', () => {
  const xml = write('junit', INCOMPLETE);
  assert.match(xml, /<testsuites [^>]*tests="1" failures="0" errors="1"/);
  assert.match(xml, /<testcase classname="portcullis" name="scan completeness" time="0">\n {6}<error message="incomplete scan: findings may be missing \(2 reasons\)" type="incomplete">/);
  assert.ok(xml.includes('not an rpm database &lt;x&gt; &amp; &quot;y&quot;'), 'reasons are escaped');
  assert.match(write('junit', EMPTY_RESULT), /<testsuites [^>]*errors="0"/);
});

test('table, markdown and html name every reason and never say "No vulnerabilities found" alone', () => {
  const table = write('table', INCOMPLETE);
  assert.ok(table.includes(`INCOMPLETE SCAN: findings may be missing (2 reasons):\n  - ${REASONS[0]}\n  - ${REASONS[1]}\n`), table);
  assert.match(table, /No vulnerabilities found in what could be read\./);
  assert.doesNotMatch(table, /^No vulnerabilities found\.$/m);

  const md = write('markdown', INCOMPLETE);
  assert.match(md, /⚠️ \*\*Incomplete scan: findings may be missing\.\*\*/);
  assert.doesNotMatch(md, /✅/);
  assert.match(md, /^- npm: failed: Maximum call stack size exceeded$/m);

  const html = write('html', INCOMPLETE);
  assert.match(html, /<h2>Incomplete scan: findings may be missing<\/h2>\n<ul id="incomplete"><li>npm: failed: Maximum call stack size exceeded<\/li><li>rpm: var\/lib\/rpm\/Packages: not an rpm database &lt;x&gt; &amp; &quot;y&quot;; not read<\/li><\/ul>/);
  assert.doesNotMatch(write('html', EMPTY_RESULT), /id="incomplete"/);
});

test('json: the ScanResult field as it is', () => {
  assert.deepEqual((JSON.parse(write('json', INCOMPLETE)) as ScanResult).incomplete, REASONS);
  assert.equal((JSON.parse(write('json', EMPTY_RESULT)) as ScanResult).incomplete, undefined);
});
