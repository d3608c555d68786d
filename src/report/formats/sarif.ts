/**
 * `sarif`: SARIF 2.1.0 for GitHub code scanning (upload with
 * `github/codeql-action/upload-sarif`), built with the generic SarifBuilder.
 *
 * - One rule per vulnerability id (`CVE-2024-1234`), with the title as short
 *   description, the description as full description, the primary link as
 *   `helpUri`, a help text and Markdown table (package, installed, fixed,
 *   status, link), and properties `security-severity` (the CVSS score when it
 *   agrees with the reported severity, else a score in that severity's band;
 *   GitHub shows critical/high/medium/low from it), `tags` (`security`,
 *   `vulnerability`, the severity, the ecosystem) and `precision` `very-high`.
 * - One result per finding: `level` error (CRITICAL, HIGH), warning (MEDIUM)
 *   or note (LOW and below); the message names package, installed and fixed
 *   versions; the location is the package's file in the image (the lock file,
 *   binary or manifest) — for OS packages the image name, since their
 *   database is not a file of the repository — with line 1.
 *   `partialFingerprints` make alerts stable across runs.
 * - Suppressed findings (ignore file, VEX) are kept with a SARIF
 *   `suppressions` entry, which GitHub shows as dismissed.
 * - An incomplete scan (`ScanResult.incomplete`): the run's invocation has
 *   `executionSuccessful: false` and one error notification per reason.
 */
import type { Finding, ScanResult } from '../../core/index.js';
import { createHash } from 'node:crypto';
import { SarifBuilder } from '../sarif-builder.js';
import { exploitCell } from '../exploit.js';
import { formatScore, sarifLevel, securitySeverityScore, sortFindings } from '../severity.js';
import { isOsPackage } from '../targets.js';
import { resolveOptions, type ReportOptions, type ReportWriter } from '../writer.js';

/** Escapes Markdown table cells: pipes, and line breaks that would end the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The location of a finding: the package's file, or the image name for OS packages. */
export function findingLocation(result: ScanResult, finding: Finding): string {
  if (isOsPackage(finding.package) || !finding.package.path) return result.target;
  return finding.package.path;
}

function ruleHelp(finding: Finding, url: string | undefined): { text: string; markdown: string } {
  const fixed = finding.fixedVersion ?? '';
  const text = [
    `Vulnerability ${finding.id}`,
    `Severity: ${finding.severity} (${finding.severitySource})`,
    `Package: ${finding.package.name}`,
    `Fixed version: ${fixed || 'none'}`,
    ...(url ? [`Link: ${url}`] : []),
    ...(finding.description ? ['', finding.description] : []),
  ].join('\n');
  const link = url ? `[${cell(finding.id)}](${url})` : cell(finding.id);
  const markdown = [
    `**Vulnerability ${cell(finding.id)}**`,
    '',
    '| Severity | Package | Fixed Version | Link |',
    '| --- | --- | --- | --- |',
    `| ${finding.severity} | ${cell(finding.package.name)} | ${cell(fixed)} | ${link} |`,
    ...(finding.description ? ['', cell(finding.description)] : []),
  ].join('\n');
  return { text, markdown };
}

function message(finding: Finding, location: string): string {
  const fix =
    finding.status === 'fixed' && finding.fixedVersion
      ? `Fixed in ${finding.fixedVersion}.`
      : finding.status === 'will-not-fix'
        ? 'The vendor will not fix it.'
        : 'No fix is available yet.';
  return [
    `Package: ${finding.package.name}`,
    `Installed Version: ${finding.installedVersion}`,
    `Vulnerability: ${finding.id}`,
    `Severity: ${finding.severity}`,
    `Fixed Version: ${finding.fixedVersion ?? ''}`,
    `Link: ${finding.primaryUrl ?? ''}`,
    `Location: ${location}`,
    ...(finding.kev || finding.epss ? [`Exploitation: ${exploitCell(finding)}`] : []),
    fix,
  ].join('\n');
}

function isHttpUrl(text: string | undefined): text is string {
  return !!text && /^https?:\/\/[^\s]+$/i.test(text);
}

/** The SARIF log object for a scan. */
export function sarifLog(result: ScanResult, options: ReportOptions = {}) {
  const { tool } = resolveOptions(result, options);
  const builder = new SarifBuilder({ name: tool.name, version: tool.version, ...(tool.informationUri ? { informationUri: tool.informationUri } : {}) });
  if (result.incomplete?.length) builder.setIncomplete(result.incomplete);
  const findings = sortFindings(result.findings);
  // A rule's severity is the highest among its findings (one CVE may be rated per package by a distribution).
  const worst = new Map<string, Finding>();
  for (const f of findings) if (!worst.has(f.id)) worst.set(f.id, f);
  for (const finding of findings) {
    const lead = worst.get(finding.id)!;
    const url = isHttpUrl(lead.primaryUrl) ? lead.primaryUrl : undefined;
    const help = ruleHelp(lead, url);
    builder.addRule({
      id: finding.id,
      shortDescription: lead.title ?? `${lead.id} in ${lead.package.name}`,
      fullDescription: lead.description ?? lead.title ?? lead.id,
      ...(url ? { helpUri: url } : {}),
      helpText: help.text,
      helpMarkdown: help.markdown,
      securitySeverity: Number(formatScore(securitySeverityScore(lead))),
      tags: ['security', 'vulnerability', lead.severity, lead.package.ecosystem],
      precision: 'very-high',
      level: sarifLevel(lead.severity),
    });
    const location = findingLocation(result, finding);
    const fingerprint = createHash('sha256')
      .update([finding.id, finding.package.purl || finding.package.name, finding.installedVersion, location].join('\0'))
      .digest('hex');
    builder.addResult({
      ruleId: finding.id,
      level: sarifLevel(finding.severity),
      message: message(finding, location),
      locations: [{ uri: location }],
      partialFingerprints: { 'portcullis/v1': fingerprint },
      properties: {
        'portcullis/package': finding.package.purl || finding.package.name,
        'portcullis/status': finding.status,
        ...(finding.fixedVersion ? { 'portcullis/fixedVersion': finding.fixedVersion } : {}),
        'portcullis/severitySource': finding.severitySource,
        ...exploitProperties(finding),
      },
      ...(finding.suppressed
        ? {
            suppression: {
              kind: 'external' as const,
              justification: [finding.suppressed.by, finding.suppressed.justification, finding.suppressed.reason].filter((s) => s).join(': '),
            },
          }
        : {}),
    });
  }
  return builder.build();
}

/** CISA KEV and EPSS as result properties (SARIF §3.8: a property bag takes tool-defined names). */
function exploitProperties(f: Finding): Record<string, string | number | boolean> {
  return {
    ...(f.kev
      ? {
          'portcullis/kev': true,
          'portcullis/kev/dateAdded': f.kev.dateAdded,
          ...(f.kev.dueDate ? { 'portcullis/kev/dueDate': f.kev.dueDate } : {}),
          ...(f.kev.knownRansomwareCampaignUse ? { 'portcullis/kev/knownRansomwareCampaignUse': f.kev.knownRansomwareCampaignUse } : {}),
        }
      : {}),
    ...(f.epss ? { 'portcullis/epss/probability': f.epss.probability, 'portcullis/epss/percentile': f.epss.percentile, ...(f.epss.date ? { 'portcullis/epss/date': f.epss.date } : {}) } : {}),
  };
}

export const sarifWriter: ReportWriter = {
  format: 'sarif',
  mediaType: 'application/sarif+json',
  write: (result, options) => `${JSON.stringify(sarifLog(result, options), null, 2)}\n`,
};
