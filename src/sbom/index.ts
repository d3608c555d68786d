/**
 * `sbom`, its public entry: writing an inventory as CycloneDX 1.6, SPDX 2.3
 * or portcullis' own JSON, and package URLs. The shared helpers in
 * `common.ts` are public too: the CycloneDX report writer builds on them.
 * Reading SBOMs back (ours, Syft's, Trivy's) is a second entry, `decode.ts`:
 * `scan --sbom` needs it, `portcullis sbom` does not (docs/architecture.md).
 */
export { DEFAULT_TOOL, PROP, isOsEcosystem, parsePlatformString, platformString, sortPackages, uniqueRefs, type SbomImage, type SbomTool } from './common.js';
export { buildCycloneDxBom, toCycloneDxJson, type CycloneDxOptions } from './cyclonedx.js';
export { buildSpdxDocument, toSpdxJson, type SpdxDocument, type SpdxOptions } from './spdx.js';
export { NATIVE_SCHEMA_VERSION, buildNativeDocument, toInventoryJson, type NativeInventoryDocument, type NativeJsonOptions } from './json.js';
export { canonicalPurl, formatPurl, parsePurl, purlFor, tryParsePurl, type Purl } from './purl.js';
export { SbomError, type SbomErrorCode } from './errors.js';
