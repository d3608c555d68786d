import { PortcullisError } from '../../core/errors.js';

/**
 * Failures of version handling. `VERSION_INVALID`: the scheme's upstream tool
 * would reject the string. `VERSION_INCOMPARABLE`: both parse but the scheme
 * defines no order between them (Composer dev branches). `RANGE_INVALID`: an
 * OSV range or npm range string that cannot be evaluated. `SCHEME_UNKNOWN` /
 * `ECOSYSTEM_UNKNOWN`: no scheme for that name. `SCHEME_DUPLICATE`: two
 * registrations claim one name (all.ts fails loudly).
 */
export type VersionErrorCode =
  | 'VERSION_INVALID'
  | 'VERSION_INCOMPARABLE'
  | 'RANGE_INVALID'
  | 'SCHEME_UNKNOWN'
  | 'ECOSYSTEM_UNKNOWN'
  | 'SCHEME_DUPLICATE';

export class VersionError extends PortcullisError<VersionErrorCode> {}

/** Shorthand used by every parser: `throw invalid('dpkg', v, 'why')`. */
export function invalid(scheme: string, version: string, why: string, cause?: unknown): VersionError {
  return new VersionError('VERSION_INVALID', `${scheme}: invalid version ${JSON.stringify(version)}: ${why}`, cause === undefined ? undefined : { cause });
}
