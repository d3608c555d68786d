/**
 * A Dockerfile check: one family of rules, one file in checks/, registered in
 * all.ts. It reads the parsed document through the context and reports
 * findings by absolute offset; the context fills in severity and location.
 */
import type { DockerfileRuleId } from '../rules.js';
import type { DockerfileContext } from './context.js';

export interface DockerfileCheck {
  /** The family name (the file name in checks/). */
  readonly name: string;
  /** Every rule id this check can report; each id belongs to exactly one check. */
  readonly rules: readonly DockerfileRuleId[];
  check(context: DockerfileContext): void;
}
