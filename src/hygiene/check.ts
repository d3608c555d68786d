/**
 * The vocabulary every hygiene check speaks: a finding (rule id, severity,
 * a one-line message naming the evidence, where it is, how to fix it) and the
 * metadata of a rule (its documentation entry). Dockerfile checks and image
 * checks both produce `HygieneFinding`s; the catalogue of rules is rules.ts.
 */
import type { LayerOrigin } from '../core/index.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';

/** Most severe first; use `severityRank` to sort or compare against a threshold. */
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];

/** 0 for CRITICAL … 4 for INFO. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * A place in a Dockerfile. Lines and columns are 1-based and count UTF-16
 * code units; `endColumn` is the column just after the evidence (exclusive, as
 * SARIF's `endColumn`).
 */
export interface DockerfileLocation {
  readonly kind: 'dockerfile';
  /** The path the caller gave for the Dockerfile (shown as is). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

/** A place in an image: a file, a layer, a history entry, or the image as a whole (all absent). */
export interface ImageLocation {
  readonly kind: 'image';
  /** Normalised image-relative path, no leading slash. */
  readonly path?: string;
  readonly layer?: LayerOrigin;
  /** 0-based index into the image config's `history`. */
  readonly historyIndex?: number;
  /** The history entry's `created_by` (the build step). */
  readonly createdBy?: string;
}

export type HygieneLocation = DockerfileLocation | ImageLocation;

export interface HygieneFinding {
  /** A rule id from the catalogue (rules.ts), stable across releases. */
  readonly ruleId: string;
  readonly severity: Severity;
  /** One line naming the evidence; never echoes a secret value. */
  readonly message: string;
  readonly location: HygieneLocation;
  /** A fix specific to this finding, when there is one better than the rule's general fix. */
  readonly fix?: string;
}

/** The documentation entry of a rule; docs/lint-rules.md is generated from these. */
export interface Rule {
  /** Stable id: `dockerfile/<name>` or `image/<name>`. */
  readonly id: string;
  /** A short title (a sentence fragment, no final full stop). */
  readonly title: string;
  readonly severity: Severity;
  /** What the rule looks for and why it matters (Markdown). */
  readonly description: string;
  /** How to fix it (Markdown, may hold a code block). */
  readonly fix: string;
  /** CIS Docker Benchmark recommendation number (v1.6.0), when one matches: `4.1`. */
  readonly cis?: string;
  /** The anchor of the rule's entry in docs/lint-rules.md. */
  readonly docsAnchor: string;
}
