/**
 * The one error class of the report module. Codes:
 * - `REPORT_FORMAT_UNKNOWN`: no writer has that `--format` name;
 * - `REPORT_FORMAT_DUPLICATE`: two writers in the list share a format name (a programming error, at load).
 */
import { PortcullisError } from '../core/errors.js';

export type ReportErrorCode = 'REPORT_FORMAT_UNKNOWN' | 'REPORT_FORMAT_DUPLICATE';

export class ReportError extends PortcullisError<ReportErrorCode> {}
