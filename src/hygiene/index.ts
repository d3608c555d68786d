/** The hygiene module's public surface: the vocabulary, the rule catalogue, rule configuration, the Dockerfile linter. */
export type { DockerfileLocation, HygieneFinding, HygieneLocation, ImageLocation, Rule, Severity } from './check.js';
export { SEVERITIES, severityRank } from './check.js';
export { DOCKERFILE_RULES, IMAGE_RULES, RULES, findRule, getRule, anchorOf, type DockerfileRuleId, type ImageRuleId, type RuleId } from './rules.js';
export { renderRulesDoc, RULES_DOC_PATH } from './rules-doc.js';
export { applyRuleConfig, type RuleConfig } from './config.js';
export { HygieneError, type HygieneErrorCode } from './errors.js';
export { lintDockerfile, MAX_DOCKERFILE_BYTES, type DockerfileFinding, type LintDockerfileOptions, type LintDockerfileResult } from './dockerfile/index.js';
