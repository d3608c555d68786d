/**
 * A small, generic SARIF 2.1.0 builder for every portcullis command that
 * reports findings against rules: `scan` (vulnerabilities, one rule per
 * vulnerability id) and `lint` (hygiene findings, one rule per check). It
 * knows SARIF and GitHub code scanning's expectations, nothing about
 * vulnerabilities:
 * - one run, `tool.driver` {name, version, informationUri, rules};
 * - rules with `id`, `shortDescription`, `fullDescription`, `help` {text,
 *   markdown}, `helpUri`, and `properties` {`security-severity` (a string
 *   holding a number, 0.0–10.0), `tags`, `precision`} — the property bag
 *   GitHub reads for its severity and filters;
 * - results with `ruleId`, `ruleIndex`, `level`, `message.text` and one
 *   physical location (an artifact URI relative to the repository root, with
 *   a region, defaulting to line 1), plus `partialFingerprints` when given;
 * - GitHub's limits respected: description texts cut to 1024 characters,
 *   `message.text` never empty, at most 10 locations per result.
 * - a run that could not look at everything (`setIncomplete`): one
 *   `invocations` entry with `executionSuccessful: false` and one error
 *   `toolExecutionNotifications` entry per reason.
 * Rules are added once by id (the first definition wins); results refer to
 * them by index. The output is deterministic: rules in order of first use,
 * results in the order added.
 */
import type * as Sarif from 'sarif';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const SARIF_VERSION = '2.1.0';

/** GitHub truncates/rejects longer rule descriptions. */
const MAX_DESCRIPTION = 1024;
const MAX_LOCATIONS = 10;

export interface SarifRuleInput {
  readonly id: string;
  /** A human name (`CVE-2024-1 in openssl`), optional. */
  readonly name?: string;
  readonly shortDescription: string;
  readonly fullDescription?: string;
  readonly helpUri?: string;
  readonly helpText: string;
  readonly helpMarkdown?: string;
  /** GitHub's `security-severity`: a number 0.0–10.0, written as a string with one decimal. */
  readonly securitySeverity?: number;
  readonly tags?: readonly string[];
  /** GitHub's `precision`: very-high, high, medium, low. */
  readonly precision?: 'very-high' | 'high' | 'medium' | 'low';
  /** The rule's default level. */
  readonly level?: SarifLevel;
  /** Extra properties (namespaced keys recommended). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifLocationInput {
  /** Path relative to the repository / scan root, or a URI; made into a valid URI reference. */
  readonly uri: string;
  readonly startLine?: number;
  readonly endLine?: number;
  readonly startColumn?: number;
  readonly endColumn?: number;
  /** A message for the location (SARIF `location.message`). */
  readonly message?: string;
}

export interface SarifResultInput {
  readonly ruleId: string;
  readonly level: SarifLevel;
  readonly message: string;
  readonly locations: readonly SarifLocationInput[];
  /** Stable identity across runs (GitHub: `partialFingerprints`). */
  readonly partialFingerprints?: Readonly<Record<string, string>>;
  readonly properties?: Readonly<Record<string, unknown>>;
  /** Set for suppressed results (VEX, ignore file, inline ignore). */
  readonly suppression?: { readonly kind: 'external' | 'inSource'; readonly justification?: string };
}

export interface SarifToolInput {
  readonly name: string;
  readonly version: string;
  readonly informationUri?: string;
  readonly fullName?: string;
}

/** Cuts text to GitHub's limit on a code point boundary, marking the cut. */
export function clipText(text: string, max = MAX_DESCRIPTION): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * An artifact URI from a path: relative paths stay relative (no leading
 * slash, which GitHub would not match against the repository), and every
 * character that is not allowed in a URI reference is percent-encoded.
 */
export function toArtifactUri(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  // encodeURI leaves reserved characters (/:@?#…) as they are and encodes the rest;
  // '#' and '?' would start a fragment or query, '%' must be escaped when not an escape already.
  const encoded = encodeURI(trimmed).replace(/#/g, '%23').replace(/\?/g, '%3F').replace(/\[/g, '%5B').replace(/\]/g, '%5D');
  return encoded || '.';
}

export class SarifBuilder {
  readonly #tool: SarifToolInput;
  readonly #rules: Sarif.ReportingDescriptor[] = [];
  readonly #ruleIndex = new Map<string, number>();
  readonly #results: Sarif.Result[] = [];
  readonly #runProperties: Record<string, unknown> = {};
  #automationId: string | undefined;
  #incomplete: readonly string[] = [];

  constructor(tool: SarifToolInput) {
    this.#tool = tool;
  }

  /** Adds a rule unless one with that id exists; answers its index. */
  addRule(rule: SarifRuleInput): number {
    const known = this.#ruleIndex.get(rule.id);
    if (known !== undefined) return known;
    const properties: Record<string, unknown> = { ...(rule.properties ?? {}) };
    if (rule.securitySeverity !== undefined) {
      const clamped = Math.min(10, Math.max(0, rule.securitySeverity));
      properties['security-severity'] = clamped.toFixed(1);
    }
    if (rule.tags?.length) properties.tags = [...new Set(rule.tags)];
    if (rule.precision) properties.precision = rule.precision;
    const descriptor: Sarif.ReportingDescriptor = {
      id: rule.id,
      ...(rule.name ? { name: rule.name } : {}),
      shortDescription: { text: clipText(oneLine(rule.shortDescription) || rule.id) },
      fullDescription: { text: clipText(rule.fullDescription?.trim() || oneLine(rule.shortDescription) || rule.id) },
      ...(rule.level ? { defaultConfiguration: { level: rule.level } } : {}),
      ...(rule.helpUri ? { helpUri: rule.helpUri } : {}),
      help: { text: rule.helpText || rule.id, ...(rule.helpMarkdown ? { markdown: rule.helpMarkdown } : {}) },
      ...(Object.keys(properties).length ? { properties } : {}),
    };
    const index = this.#rules.length;
    this.#rules.push(descriptor);
    this.#ruleIndex.set(rule.id, index);
    return index;
  }

  /** Adds a result; its rule must have been added. */
  addResult(result: SarifResultInput): void {
    const ruleIndex = this.#ruleIndex.get(result.ruleId);
    if (ruleIndex === undefined) throw new Error(`SARIF result refers to rule "${result.ruleId}", which was not added`);
    const locations = result.locations.slice(0, MAX_LOCATIONS).map((l): Sarif.Location => {
      const startLine = l.startLine ?? 1;
      const region: Sarif.Region = { startLine };
      if (l.endLine !== undefined) region.endLine = l.endLine;
      if (l.startColumn !== undefined) region.startColumn = l.startColumn;
      if (l.endColumn !== undefined) region.endColumn = l.endColumn;
      return {
        physicalLocation: { artifactLocation: { uri: toArtifactUri(l.uri) }, region },
        ...(l.message ? { message: { text: l.message } } : {}),
      };
    });
    const out: Sarif.Result = {
      ruleId: result.ruleId,
      ruleIndex,
      level: result.level,
      message: { text: result.message.trim() || result.ruleId },
      locations,
    };
    if (result.partialFingerprints && Object.keys(result.partialFingerprints).length) {
      out.partialFingerprints = { ...result.partialFingerprints };
    }
    if (result.suppression) {
      out.suppressions = [
        { kind: result.suppression.kind, ...(result.suppression.justification ? { justification: result.suppression.justification } : {}) },
      ];
    }
    if (result.properties && Object.keys(result.properties).length) out.properties = { ...result.properties };
    this.#results.push(out);
  }

  /** GitHub's `runAutomationDetails.id` (`category/run-id`), which separates analyses of the same tool. */
  setAutomationId(id: string): void {
    this.#automationId = id;
  }

  setRunProperty(key: string, value: unknown): void {
    this.#runProperties[key] = value;
  }

  /** The run did not look at everything it should have (findings may be missing): one reason each. */
  setIncomplete(reasons: readonly string[]): void {
    this.#incomplete = reasons;
  }

  build(): Sarif.Log {
    const driver: Sarif.ToolComponent = {
      name: this.#tool.name,
      ...(this.#tool.fullName ? { fullName: this.#tool.fullName } : {}),
      version: this.#tool.version,
      semanticVersion: /^\d+\.\d+\.\d+/.test(this.#tool.version) ? this.#tool.version : undefined,
      ...(this.#tool.informationUri ? { informationUri: this.#tool.informationUri } : {}),
      rules: this.#rules,
    };
    if (driver.semanticVersion === undefined) delete driver.semanticVersion;
    const run: Sarif.Run = {
      tool: { driver },
      ...(this.#automationId ? { automationDetails: { id: this.#automationId } } : {}),
      ...(this.#incomplete.length > 0
        ? {
            invocations: [
              {
                executionSuccessful: false,
                toolExecutionNotifications: this.#incomplete.map((text) => ({ level: 'error' as const, message: { text: `incomplete: ${text}` } })),
              },
            ],
          }
        : {}),
      results: this.#results,
      columnKind: 'utf16CodeUnits',
      ...(Object.keys(this.#runProperties).length ? { properties: { ...this.#runProperties } } : {}),
    };
    return { $schema: SARIF_SCHEMA_URI, version: SARIF_VERSION, runs: [run] };
  }

  toJson(space = 2): string {
    return `${JSON.stringify(this.build(), null, space)}\n`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
