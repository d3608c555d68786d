/**
 * The one error class of the SBOM module. Codes:
 * - `SBOM_INVALID`: not JSON, or JSON that does not have the shape its format requires;
 * - `SBOM_UNSUPPORTED`: a document we recognise as none of the formats we read (or a version we do not);
 * - `TOO_LARGE`: past the byte or component cap;
 * - `PURL_INVALID`: a package URL that does not parse or cannot be built.
 */
import { PortcullisError } from '../core/errors.js';

export type SbomErrorCode = 'SBOM_INVALID' | 'SBOM_UNSUPPORTED' | 'TOO_LARGE' | 'PURL_INVALID';

export class SbomError extends PortcullisError<SbomErrorCode> {}
