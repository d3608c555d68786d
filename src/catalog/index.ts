/**
 * `catalog`, its public entry: the `Cataloger` role, the one list of
 * cataloguers (`all.ts`), and running them over a file view. The cataloguers
 * themselves (`os/`, `lang/`) stay inside.
 */
export type { CatalogContext, CatalogResult, Cataloger } from './cataloger.js';
export { ALL_CATALOGERS, catalogersNamed, defineCatalogers } from './all.js';
export { runCatalogers, selectorFor } from './catalog.js';
export { CatalogError, type CatalogErrorCode } from './errors.js';
