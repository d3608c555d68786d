/**
 * `--format json`: the ScanResult itself (schema version 1, docs/scan.md),
 * pretty-printed. Suppressed findings stay in `findings` with `suppressed`
 * saying by what and why.
 */
import type { ScanResult } from '../../core/index.js';
import type { ReportOptions, ReportWriter } from '../writer.js';

export const jsonWriter: ReportWriter = {
  format: 'json',
  mediaType: 'application/vnd.portcullis.scan-result.v1+json',
  write(result: ScanResult, _options?: ReportOptions): string {
    return `${JSON.stringify(result, null, 2)}\n`;
  },
};
