/** The image checks' public surface. */
export { IMAGE_CHECKS } from './all.js';
export { ImageLintContext, layerName, type ImageCheck, type ImageFacts, type ImageFinding, type ImageLintOptions, type RebuildFixes, type ResolvingView } from './check.js';
export { scanLayers, DEFAULT_MAX_SECRET_BYTES, type ElfHit, type LayerScan, type LayerScanOptions, type ModeHit, type SecretHit } from './layer-scan.js';
export { combineSelectors, imageSelector, volumesOf } from './selector.js';
export { compareImageFindings, lintImageFacts, type LintImageFactsOptions, type LintImageFactsResult } from './lint.js';
