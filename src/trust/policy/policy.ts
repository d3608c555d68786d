/**
 * The trust policy file (`~/.portcullis/policy.yaml`, or `--policy FILE`):
 *
 * ```yaml
 * version: 1
 * repositories:
 *   - match: registry.example/team/*        # a glob, or a list of globs
 *     keys: [root-certified, 3f2a9c81d0e4, ./keys/vendor.pub]
 *     threshold: 1                          # distinct keys that must have signed
 *     signedIdentity: matchRepository       # matchRepository | exact | any
 *     identity: registry.example/team/app   # with exact: the docker-reference required
 *     attestations:
 *       - type: vuln                        # sbom | vuln | custom | a predicate type URI
 *         maxAge: 7d                        # s, m, h, d, w
 *         condition: no CRITICAL finding    # no finding | no <LEVEL> finding (LEVEL or above)
 *     cveAllowlist:                         # findings that do not count until they expire (cve-allowlist.ts)
 *       - {id: CVE-2024-12345, expires: 2027-01-31, reason: not reachable}
 *     action: reject                        # reject | warn | allow
 * ```
 * Entries are tried in file order; the first whose glob matches the
 * repository (`registry/path`) applies. Globs are those of key
 * certifications (`*` within a segment, `**` whole segments), normalised as
 * image names are (`alpine` is `docker.io/library/alpine`: scope.ts).
 *
 * Parsing is strict: an unknown key, a bad glob, a bad duration, a wrong type
 * is one POLICY_INVALID error naming the file and line. Pure: the caller
 * reads the file and resolves key file paths.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { KeyError } from '../keys/errors.js';
import { validateGlob } from '../keys/globs.js';
import { PredicateType } from '../signatures/dsse.js';
import { normalisePolicyGlob } from './scope.js';
import { allowlistFromNode, type CveAllowlistEntry } from './cve-allowlist.js';
import { PolicyError } from './errors.js';
import type { Severity } from './predicates.js';
import { parseNotaryRule, parseSources, type NotaryRule, type TrustSource } from './sources.js';

export type PolicyAction = 'reject' | 'warn' | 'allow';
export type SignedIdentityRule = 'matchRepository' | 'exact' | 'any';

export type KeySpec =
  | { readonly kind: 'root-certified' }
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'file'; readonly path: string };

export interface AttestationRequirement {
  /** What was written (`vuln`, `sbom`, a URI). */
  readonly type: string;
  /** Predicate types that satisfy it. */
  readonly predicateTypes: readonly string[];
  readonly maxAgeMs?: number;
  readonly maxAge?: string;
  readonly condition?: { readonly text: string; readonly threshold: Severity | 'ANY' };
}

export interface PolicyEntry {
  readonly match: readonly string[];
  readonly keys: readonly KeySpec[];
  readonly threshold: number;
  readonly signedIdentity: SignedIdentityRule;
  readonly identity?: string;
  readonly attestations: readonly AttestationRequirement[];
  readonly action: PolicyAction;
  /** Trust sources that may satisfy the entry (sources.ts); absent: all of them. */
  readonly sources?: readonly TrustSource[];
  /** How Notary counts (sources.ts); absent: not authoritative, every role. */
  readonly notary?: NotaryRule;
  /** Findings that do not count against attestation conditions and the registry's severity gate until they expire. */
  readonly cveAllowlist?: readonly CveAllowlistEntry[];
  /** `file:line` of the entry, for messages. */
  readonly where: string;
}

export interface Policy {
  readonly source: string;
  readonly entries: readonly PolicyEntry[];
}

export const ATTESTATION_TYPES: Readonly<Record<string, readonly string[]>> = {
  sbom: [PredicateType.CycloneDX, PredicateType.Spdx, 'https://spdx.dev/Document/v2.3'],
  vuln: [PredicateType.CosignVuln],
  custom: [PredicateType.CosignCustom],
};

const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

const CONDITION = /^no\s+(?:(critical|high|medium|low)\s+)?(?:or\s+(?:higher|above)\s+)?(?:vulnerabilit(?:y|ies)|findings?)$/i;

export function parseCondition(text: string): { text: string; threshold: Severity | 'ANY' } | undefined {
  const m = CONDITION.exec(text.trim().replace(/\s+/g, ' '));
  if (!m) return undefined;
  return { text: text.trim(), threshold: m[1] ? (m[1].toUpperCase() as Severity) : 'ANY' };
}

const KEY_ID = /^[0-9a-f]{6,64}$/;

export function parseKeySpec(value: string): KeySpec | undefined {
  const v = value.trim();
  if (v === 'root-certified' || v === 'root-certified repository keys') return { kind: 'root-certified' };
  if (KEY_ID.test(v)) return { kind: 'id', id: v };
  if (/\.(pem|pub|key)$/i.test(v) || v.includes('/')) return { kind: 'file', path: v };
  return undefined;
}

const ENTRY_KEYS = ['match', 'keys', 'threshold', 'signedIdentity', 'identity', 'attestations', 'action', 'sources', 'notary', 'cveAllowlist'];
const ATTESTATION_KEYS = ['type', 'maxAge', 'condition'];

export function parsePolicy(text: string, source = 'policy'): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? source : `${source}:${lines.linePos(offset).line}`;
  };
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new PolicyError('POLICY_INVALID', `${at(node)}: ${message}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new PolicyError('POLICY_INVALID', `${source}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { source, entries: [] };
  if (!isMap(root)) return fail(root, 'the policy must be a mapping with "version" and "repositories"');
  const known = ['version', 'repositories'];
  checkKeys(root, known, 'policy', fail);
  const version = root.get('version', true);
  if (version !== undefined && !(isScalar(version) && (version.value as unknown) === 1)) fail(version as Node, 'version must be 1');
  const repos = root.get('repositories', true);
  if (repos === undefined) return { source, entries: [] };
  if (!isSeq(repos)) return fail(repos as Node, '"repositories" must be a list of entries');
  const entries = repos.items.map((item) => parseEntry(item as Node, at, fail));
  return { source, entries };
}

type Fail = (node: Node | null | undefined, message: string) => never;

function checkKeys(map: YAMLMap, allowed: readonly string[], what: string, fail: Fail): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined || !allowed.includes(key)) {
      fail(pair.key as Node, `unknown key ${JSON.stringify(key ?? '?')} in ${what} (allowed: ${allowed.join(', ')})`);
    }
  }
}

function scalarString(node: unknown, what: string, fail: Fail): string {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') return fail(node as Node, `${what} must be a non-empty string`);
  return node.value.trim();
}

function stringList(node: unknown, what: string, fail: Fail): { value: string; node: Node }[] {
  if (isScalar(node)) return [{ value: scalarString(node, what, fail), node }];
  if (!isSeq(node) || node.items.length === 0) return fail(node as Node, `${what} must be a string or a non-empty list of strings`);
  return node.items.map((item) => ({ value: scalarString(item, what, fail), node: item as Node }));
}

function parseEntry(node: Node, at: (n: Node | null | undefined) => string, fail: Fail): PolicyEntry {
  if (!isMap(node)) return fail(node, 'each repositories entry must be a mapping');
  checkKeys(node, ENTRY_KEYS, 'a repositories entry', fail);
  const matchNode = node.get('match', true);
  if (matchNode === undefined) fail(node, 'the entry has no "match" (a repository glob)');
  const match = stringList(matchNode, '"match"', fail).map(({ value, node: n }) => {
    try {
      validateGlob(value);
    } catch (error) {
      if (error instanceof KeyError) fail(n, `bad glob ${JSON.stringify(value)}: ${error.message}`);
      throw error;
    }
    return normalisePolicyGlob(value);
  });
  const actionNode = node.get('action', true);
  const action = actionNode === undefined ? 'reject' : scalarString(actionNode, '"action"', fail);
  if (!['reject', 'warn', 'allow'].includes(action)) fail(actionNode as Node, `"action" must be reject, warn or allow, not ${JSON.stringify(action)}`);
  const keysNode = node.get('keys', true);
  const keys = keysNode === undefined
    ? [{ kind: 'root-certified' } as KeySpec]
    : stringList(keysNode, '"keys"', fail).map(({ value, node: n }) => parseKeySpec(value) ?? fail(n, `"keys" entry ${JSON.stringify(value)} is not root-certified, a key id (6-64 hex digits) or a PEM file path`));
  const thresholdNode = node.get('threshold', true);
  let threshold = 1;
  if (thresholdNode !== undefined) {
    if (!isScalar(thresholdNode) || typeof thresholdNode.value !== 'number' || !Number.isInteger(thresholdNode.value) || thresholdNode.value < 0 || thresholdNode.value > 64) {
      fail(thresholdNode as Node, '"threshold" must be a whole number from 0 to 64');
    }
    threshold = (thresholdNode as { value: number }).value;
  }
  const sidNode = node.get('signedIdentity', true);
  const signedIdentity = sidNode === undefined ? 'any' : scalarString(sidNode, '"signedIdentity"', fail);
  if (!['matchRepository', 'exact', 'any'].includes(signedIdentity)) fail(sidNode as Node, `"signedIdentity" must be matchRepository, exact or any, not ${JSON.stringify(signedIdentity)}`);
  const identityNode = node.get('identity', true);
  const identity = identityNode === undefined ? undefined : scalarString(identityNode, '"identity"', fail);
  if (signedIdentity === 'exact' && identity === undefined) fail(sidNode as Node, '"signedIdentity: exact" needs "identity" (the docker-reference signatures must name)');
  if (signedIdentity !== 'exact' && identity !== undefined) fail(identityNode as Node, '"identity" is only used with "signedIdentity: exact"');
  const attNode = node.get('attestations', true);
  let attestations: AttestationRequirement[] = [];
  if (attNode !== undefined) {
    if (!isSeq(attNode)) fail(attNode as Node, '"attestations" must be a list');
    attestations = (attNode as { items: unknown[] }).items.map((item) => parseAttestation(item as Node, fail));
  }
  const sourcesNode = node.get('sources', true);
  const sources = sourcesNode === undefined ? undefined : parseSources(sourcesNode, fail);
  const notaryNode = node.get('notary', true);
  const notary = notaryNode === undefined ? undefined : parseNotaryRule(notaryNode, fail);
  if (notary && sources && !sources.includes('notary')) fail(notaryNode as Node, '"notary" settings need notary in "sources"');
  const allowNode = node.get('cveAllowlist', true);
  return {
    match,
    keys,
    threshold,
    signedIdentity: signedIdentity as SignedIdentityRule,
    ...(identity !== undefined ? { identity } : {}),
    attestations,
    action: action as PolicyAction,
    ...(sources ? { sources } : {}),
    ...(notary ? { notary } : {}),
    ...(allowNode !== undefined ? { cveAllowlist: allowlistFromNode(allowNode as Node, fail) } : {}),
    where: at(node),
  };
}

function parseAttestation(node: Node, fail: Fail): AttestationRequirement {
  if (!isMap(node)) return fail(node, 'each attestation requirement must be a mapping with "type"');
  checkKeys(node, ATTESTATION_KEYS, 'an attestation requirement', fail);
  const typeNode = node.get('type', true);
  if (typeNode === undefined) fail(node, 'the attestation requirement has no "type"');
  const type = scalarString(typeNode, '"type"', fail);
  const predicateTypes = ATTESTATION_TYPES[type] ?? (/^https?:\/\/\S+$/.test(type) ? [type] : fail(typeNode as Node, `"type" must be sbom, vuln, custom or a predicate type URI, not ${JSON.stringify(type)}`));
  const out: { -readonly [K in keyof AttestationRequirement]: AttestationRequirement[K] } = { type, predicateTypes };
  const ageNode = node.get('maxAge', true);
  if (ageNode !== undefined) {
    const text = isScalar(ageNode) ? String(ageNode.value) : '';
    const ms = parseDuration(text);
    if (ms === undefined || ms === 0) fail(ageNode as Node, `"maxAge" must be a duration like 12h, 7d or 2w, not ${JSON.stringify(text)}`);
    out.maxAgeMs = ms;
    out.maxAge = text;
  }
  const condNode = node.get('condition', true);
  if (condNode !== undefined) {
    const text = scalarString(condNode, '"condition"', fail);
    const condition = parseCondition(text);
    if (!condition) fail(condNode as Node, `"condition" must read "no finding" or "no <CRITICAL|HIGH|MEDIUM|LOW> finding", not ${JSON.stringify(text)}`);
    out.condition = condition;
  }
  return out;
}
