/**
 * `engine`, its main entry: opening images by name (`open.ts`: transports,
 * the blob cache, progress) and the use cases that only read an image —
 * `inspect` and `cat` (`read-file.ts`). The heavier use cases are entries of
 * their own, so that each CLI command loads only its own (docs/architecture.md):
 * `inventory.ts` (sbom), `scan.ts`, `ignore.ts` (the ignore file), `lint.ts`,
 * `db-artifact.ts` (db push/pull) and `trust/index.ts` (sign, verify, attest,
 * content trust).
 */
export { canonicalImageName, openDestination, openSource, type OpenSourceOptions } from './open.js';
export { INSPECT_SCHEMA_VERSION, inspectImage, layerHistory, type InspectLayer, type InspectOptions, type InspectReport } from './inspect.js';
export { ReadFileError, readImageFile, type ReadFileErrorCode, type ReadFileOptions } from './read-file.js';
