/**
 * The role of a scan report writer: one implementation per output format,
 * each in its own file under `formats/`, all listed in `all.ts`. A writer is
 * pure: it turns a `ScanResult` into the text of one document (no I/O, no
 * clock — the time comes from `options.now`, so output is deterministic).
 */
import type { ScanResult } from '../core/index.js';

export interface ReportTool {
  readonly name: string;
  readonly version: string;
  /** The project's home page (SARIF `tool.driver.informationUri`, links in HTML/Markdown footers). */
  readonly informationUri?: string;
}

export interface ReportOptions {
  /**
   * Colour (only formats meant for a terminal use it), as marks that the
   * CLI's terminal gate turns into ANSI (src/report/terminal.ts). Default false.
   */
  readonly color?: boolean;
  /** The time written into documents that carry one. Default: `result.scannedAt`. */
  readonly now?: Date;
  /** The producing tool. Default: DEFAULT_TOOL (the CLI passes the package's version). */
  readonly tool?: ReportTool;
}

export interface ReportWriter {
  /** The `--format` name: `table`, `json`, `trivy-json`, `sarif`, `cyclonedx`, `junit`, `html`, `markdown`. */
  readonly format: string;
  /** The media type of the document (for `-o` and HTTP answers). */
  readonly mediaType: string;
  /** The whole document; ends with a newline. */
  write(result: ScanResult, options?: ReportOptions): string;
}

/** PLACEHOLDER home page until the project has a public one: the lead sets it once. */
export const DEFAULT_TOOL: ReportTool = {
  name: 'portcullis',
  version: '0.1.0',
  informationUri: 'https://github.com/portcullis/portcullis',
};

/** The options with their defaults applied. */
export function resolveOptions(result: ScanResult, options: ReportOptions = {}): {
  color: boolean;
  now: Date;
  tool: ReportTool;
} {
  const fromScan = new Date(result.scannedAt);
  const now = options.now ?? (Number.isNaN(fromScan.getTime()) ? new Date(0) : fromScan);
  const tool = options.tool ? { ...options.tool, informationUri: options.tool.informationUri ?? DEFAULT_TOOL.informationUri } : DEFAULT_TOOL;
  return { color: options.color ?? false, now, tool };
}
