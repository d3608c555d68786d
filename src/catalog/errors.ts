/**
 * Errors of the catalog module. Cataloguers themselves never throw for bad
 * input (that is a warning); these are programming and wiring errors.
 */
import { PortcullisError } from '../core/errors.js';

export type CatalogErrorCode =
  /** Two cataloguers registered under the same name. */
  | 'CATALOGER_DUPLICATE'
  /** A cataloguer name that no registered cataloguer has. */
  | 'CATALOGER_UNKNOWN';

export class CatalogError extends PortcullisError<CatalogErrorCode> {}
