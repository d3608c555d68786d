/**
 * THE catalogue of hygiene rules: every rule id portcullis can report, with
 * its severity, documentation and fix. Checks refer to rules by id; the
 * documentation (docs/lint-rules.md) is generated from this list
 * (`npx tsx scripts/lint-rules-doc.ts`) and a test fails when it is stale.
 *
 * Ids are stable: `dockerfile/<name>` for `portcullis lint Dockerfile`,
 * `image/<name>` for checks on a built image. Never rename or reuse an id;
 * retire one by leaving it documented as retired.
 *
 * An entry of `hygiene` of its own (docs/architecture.md): `lint --explain`
 * reads the catalogue without loading the linters; the module's error class
 * comes with it.
 */
import type { Rule } from './check.js';
import { DOCKERFILE_RULES } from './catalogue/dockerfile.js';
import { IMAGE_RULES } from './catalogue/image.js';

export { HygieneError, type HygieneErrorCode } from './errors.js';
export { anchorOf } from './catalogue/entry.js';
export { DOCKERFILE_RULES, IMAGE_RULES };

export type DockerfileRuleId = (typeof DOCKERFILE_RULES)[number]['id'];
export type ImageRuleId = (typeof IMAGE_RULES)[number]['id'];
export type RuleId = DockerfileRuleId | ImageRuleId;

/** Every rule, Dockerfile rules first, each id once. */
export const RULES: readonly Rule[] = [...DOCKERFILE_RULES, ...IMAGE_RULES];

const BY_ID = new Map<string, Rule>();
for (const r of RULES) {
  if (BY_ID.has(r.id)) throw new Error(`hygiene rule ${r.id} is defined twice`);
  BY_ID.set(r.id, r);
}

/** The rule with this id, or undefined. */
export function findRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** The rule with this id; throws (a programming error) when it is not in the catalogue. */
export function getRule(id: RuleId): Rule {
  const r = BY_ID.get(id);
  if (!r) throw new Error(`hygiene rule ${id} is not in the catalogue`);
  return r;
}
