/**
 * The one error class of the hygiene module. Problems in what is being linted
 * (a syntax error in a Dockerfile) are findings, not errors; these codes are
 * for input that cannot be linted at all and for bad configuration.
 */
import { PortcullisError } from '../core/errors.js';

export type HygieneErrorCode =
  /** Not a text Dockerfile: NUL bytes, invalid UTF-8. */
  | 'DOCKERFILE_INVALID'
  /** Bigger than the cap (1 MiB by default). */
  | 'TOO_LARGE'
  /** A rule id in a configuration (enable/disable) that the catalogue does not know. */
  | 'RULE_UNKNOWN'
  /** An EOL data file (bundled, cached or downloaded) that does not have the expected shape. */
  | 'EOL_DATA_INVALID'
  /** refreshEolData could download no product at all, or the EOL host could not be reached (the cause is in the message). */
  | 'EOL_REFRESH_FAILED'
  /** A lint configuration (`.portcullis.yaml` `lint:` section) that is not what the docs describe. */
  | 'CONFIG_INVALID';

export class HygieneError extends PortcullisError<HygieneErrorCode> {}
