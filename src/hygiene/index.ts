/** The hygiene module's public surface: the vocabulary, the rule catalogue, rule configuration, the Dockerfile linter. */
export type { DockerfileLocation, HygieneFinding, HygieneLocation, ImageLocation, Rule, Severity } from './check.js';
export { SEVERITIES, severityRank } from './check.js';
export { DOCKERFILE_RULES, IMAGE_RULES, RULES, findRule, getRule, anchorOf, type DockerfileRuleId, type ImageRuleId, type RuleId } from './rules.js';
export { renderRulesDoc, RULES_DOC_PATH } from './rules-doc.js';
export { applyRuleConfig, type RuleConfig } from './config.js';
export { HygieneError, type HygieneErrorCode } from './errors.js';
export { lintDockerfile, MAX_DOCKERFILE_BYTES, type DockerfileFinding, type LintDockerfileOptions, type LintDockerfileResult } from './dockerfile/index.js';
export { lintConfigFrom, type LintConfig } from './config.js';
export {
  BUNDLED_EOL_DATA,
  daysUntil,
  eolCachePath,
  eolDataAgeWarning,
  findCycle,
  loadEolData,
  parseEndoflifeCycles,
  refreshEolData,
  supportEnd,
  validateEolData,
  type EolCycle,
  type EolData,
  type EolProduct,
  type LoadedEolData,
  type RefreshEolOptions,
  type RefreshEolResult,
  type SupportEnd,
} from './eol.js';
export * from './image/index.js';
export { lintToSarif, type LintSarifOptions } from './sarif.js';
export { findTokens, isSecretName, isSecretValue, redactText, TOKEN_PATTERNS, type TokenMatch, type TokenPattern } from './secrets/patterns.js';
export { secretKindsIn } from './secrets/files.js';
