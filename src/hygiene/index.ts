/**
 * `hygiene`, its main entry: the vocabulary of findings, rule configuration,
 * the Dockerfile linter, the image checks and lint results as SARIF. Two
 * parts are entries of their own (docs/architecture.md): the rule catalogue
 * (`rules.ts`: `lint --explain` reads it without loading the linters) and
 * the end-of-life data (`eol.ts`: `db update` refreshes it).
 */
export type { DockerfileLocation, HygieneFinding, HygieneLocation, ImageLocation, Rule, Severity } from './check.js';
export { SEVERITIES, severityRank } from './check.js';
export { applyRuleConfig, type RuleConfig } from './config.js';
export { HygieneError, type HygieneErrorCode } from './errors.js';
export { lintDockerfile, MAX_DOCKERFILE_BYTES, type DockerfileFinding, type LintDockerfileOptions, type LintDockerfileResult } from './dockerfile/index.js';
export { lintConfigFrom, type LintConfig } from './config.js';
export * from './image/index.js';
export { lintToSarif, type LintSarifOptions } from './sarif.js';
export { findTokens, isSecretName, isSecretValue, redactText, TOKEN_PATTERNS, type TokenMatch, type TokenPattern } from './secrets/patterns.js';
export { secretKindsIn } from './secrets/files.js';
