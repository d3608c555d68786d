/**
 * `junit`: JUnit XML for CI systems that show test reports (GitLab
 * `artifacts:reports:junit`, Jenkins, Azure Pipelines, CircleCI).
 *
 * - `<testsuites name tests failures skipped errors=0>`;
 * - one `<testsuite>` per target (the OS packages, each lock file or
 *   binary; see targets.ts), with `<properties>` class and type;
 * - one `<testcase classname="TARGET" name="PACKAGE@VERSION">` per affected
 *   package, with one `<failure message type>` whose text lists every
 *   finding (id, severity, installed → fixed, status, title, link); a
 *   package whose findings were all suppressed is `<skipped>` instead;
 * - an incomplete scan: one more `<testsuite name="portcullis">` whose
 *   testcase `scan completeness` has an `<error>` listing the reasons, and
 *   `errors="1"` on it and on `<testsuites>`.
 * Every interpolated string is XML-escaped and characters XML 1.0 forbids
 * (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped, so
 * advisory text cannot break the document.
 */
import type { Finding, ScanResult } from '../../core/index.js';
import { countBySeverity } from '../severity.js';
import { groupByTarget } from '../targets.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for XML content and attribute values (quotes included); drops characters XML cannot carry. */
export function xmlEscape(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values also keep their line breaks and tabs (which parsers would normalise to spaces). */
function attr(text: string): string {
  return xmlEscape(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function summary(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings);
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'}: ${parts.join(', ')}`;
}

function findingLine(f: Finding): string {
  const fix = f.fixedVersion ? ` -> ${f.fixedVersion}` : '';
  const title = f.title ? ` ${f.title.replace(/\s+/g, ' ')}` : '';
  const link = f.primaryUrl ? ` ${f.primaryUrl}` : '';
  return `[${f.severity}] ${f.id}: ${f.installedVersion}${fix} (${f.status})${title}${link}`;
}

interface Case {
  readonly name: string;
  readonly active: Finding[];
  readonly suppressed: Finding[];
}

function cases(findings: readonly Finding[]): Case[] {
  const byPackage = new Map<string, Case>();
  for (const f of findings) {
    const name = `${f.package.name}@${f.installedVersion}`;
    const key = `${name}\0${f.package.path}`;
    let c = byPackage.get(key);
    if (!c) byPackage.set(key, (c = { name, active: [], suppressed: [] }));
    (f.suppressed ? c.suppressed : c.active).push(f);
  }
  return [...byPackage.values()];
}

export function junitXml(result: ScanResult, options: ReportOptions = {}): string {
  const { now, tool } = resolveOptions(result, options);
  const suites: string[] = [];
  let total = 0;
  let failures = 0;
  let skipped = 0;
  for (const target of groupByTarget(result)) {
    const list = cases(target.findings);
    const suiteFailures = list.filter((c) => c.active.length > 0).length;
    const suiteSkipped = list.length - suiteFailures;
    total += list.length;
    failures += suiteFailures;
    skipped += suiteSkipped;
    const lines: string[] = [];
    lines.push(
      `  <testsuite name="${attr(target.name)}" tests="${list.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}" time="0" timestamp="${now.toISOString().replace(/\.\d{3}Z$/, '')}">`,
      '    <properties>',
      `      <property name="class" value="${attr(target.class)}"/>`,
      `      <property name="type" value="${attr(target.type)}"/>`,
      '    </properties>',
    );
    for (const c of list) {
      lines.push(`    <testcase classname="${attr(target.name)}" name="${attr(c.name)}" time="0">`);
      if (c.active.length) {
        const worst = c.active[0]!.severity;
        lines.push(
          `      <failure message="${attr(summary(c.active))}" type="${attr(worst)}">${xmlEscape(c.active.map(findingLine).join('\n'))}</failure>`,
        );
      } else {
        const reasons = c.suppressed.map((f) => `${f.id} (${f.suppressed!.by}: ${f.suppressed!.reason})`).join('; ');
        lines.push(`      <skipped message="${attr(`suppressed: ${reasons}`)}"/>`);
      }
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
    suites.push(lines.join('\n'));
  }
  const incomplete = result.incomplete ?? [];
  if (incomplete.length > 0) {
    total += 1;
    suites.push(
      [
        `  <testsuite name="${attr(tool.name)}" tests="1" failures="0" errors="1" skipped="0" time="0" timestamp="${now.toISOString().replace(/\.\d{3}Z$/, '')}">`,
        `    <testcase classname="${attr(tool.name)}" name="scan completeness" time="0">`,
        `      <error message="${attr(`incomplete scan: findings may be missing (${incomplete.length} ${incomplete.length === 1 ? 'reason' : 'reasons'})`)}" type="incomplete">${xmlEscape(incomplete.join('\n'))}</error>`,
        '    </testcase>',
        '  </testsuite>',
      ].join('\n'),
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`${tool.name} scan ${result.target}`)}" tests="${total}" failures="${failures}" errors="${incomplete.length > 0 ? 1 : 0}" skipped="${skipped}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

export const junitWriter: ReportWriter = {
  format: 'junit',
  mediaType: 'application/xml',
  write: (result, options) => junitXml(result, options),
};
