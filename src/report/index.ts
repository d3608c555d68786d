/**
 * `report`, its main entry: the `ReportWriter` role, HTML and Markdown
 * escaping, finding order and counts by severity, and the SARIF builder that
 * `lint` shares. Two parts are entries of their own (docs/architecture.md):
 * the writers (`all.ts`, the one list of formats: it loads every format and
 * the CycloneDX library, which `lint` and the server do not need) and the
 * terminal gate every CLI output passes (`terminal.ts`: the CLI's start-up
 * path loads it, and nothing else of `report`).
 */
export { DEFAULT_TOOL, resolveOptions, type ReportOptions, type ReportTool, type ReportWriter } from './writer.js';
export { ReportError, type ReportErrorCode } from './errors.js';
export { htmlEscape, markdownCell, markdownLink, safeHttpUrl } from './escape.js';
export { countBySeverity, sortFindings, splitSuppressed, type SeverityCounts } from './severity.js';
export { epssLabel, exploitCell, formatShare, hasExploitData, kevLabel } from './exploit.js';
export {
  SARIF_SCHEMA_URI,
  SARIF_VERSION,
  SarifBuilder,
  type SarifLevel,
  type SarifLocationInput,
  type SarifResultInput,
  type SarifRuleInput,
  type SarifToolInput,
} from './sarif-builder.js';
