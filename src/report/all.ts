/**
 * The ONE list of report writers. Adding a format means adding its writer
 * here; nothing registers itself by import side effect. A duplicate format
 * name fails loudly at module load (and in test/report/all.test.ts).
 */
import { ReportError } from './errors.js';
import { cycloneDxWriter } from './formats/cyclonedx.js';
import { htmlWriter } from './formats/html.js';
import { jsonWriter } from './formats/json.js';
import { junitWriter } from './formats/junit.js';
import { markdownWriter } from './formats/markdown.js';
import { sarifWriter } from './formats/sarif.js';
import { tableWriter } from './formats/table.js';
import { trivyJsonWriter } from './formats/trivy-json.js';
import type { ReportWriter } from './writer.js';

/** Checks that format names are unique and returns the list frozen. */
export function defineReportWriters(list: readonly ReportWriter[]): readonly ReportWriter[] {
  const seen = new Set<string>();
  for (const writer of list) {
    if (seen.has(writer.format)) {
      throw new ReportError('REPORT_FORMAT_DUPLICATE', `report format "${writer.format}" is registered twice`);
    }
    seen.add(writer.format);
  }
  return Object.freeze([...list]);
}

export const REPORT_WRITERS: readonly ReportWriter[] = defineReportWriters([
  tableWriter,
  jsonWriter,
  trivyJsonWriter,
  sarifWriter,
  cycloneDxWriter,
  junitWriter,
  htmlWriter,
  markdownWriter,
]);

/** The format names, in list order (for `--format` help and errors). */
export function reportFormats(): readonly string[] {
  return REPORT_WRITERS.map((w) => w.format);
}

/** The writer for a `--format` name; an unknown name fails with REPORT_FORMAT_UNKNOWN listing the known ones. */
export function writerFor(format: string): ReportWriter {
  const writer = REPORT_WRITERS.find((w) => w.format === format);
  if (!writer) {
    throw new ReportError(
      'REPORT_FORMAT_UNKNOWN',
      `unknown report format "${format}" (known: ${reportFormats().join(', ')})`,
    );
  }
  return writer;
}
