/**
 * `evaluate(policy, facts)`: which entry applies to the image, each
 * requirement's outcome, the decision (allow, warn, reject) and, when a
 * requirement is unmet, its name. Pure: the facts (verified signatures and
 * attestations, the clock) are gathered by the engine.
 *
 * Without a matching entry: with content trust on, a signature by a trusted
 * key of the local store (`root-certified`: own or imported keys, not revoked,
 * certified by the root for this repository) is required and the action is
 * reject; with content trust off nothing is enforced (allow).
 */
import { type Digest, plural } from '../../core/index.js';
import { matchRepository } from '../keys/globs.js';
import { normalisePolicyGlob, policyName } from './scope.js';
import { exactIdentityMatches, normaliseIdentity, type SignatureCheck } from '../signatures/verify.js';
import type { AttestationRequirement, KeySpec, Policy, PolicyAction, PolicyEntry } from './policy.js';
import { allowlistedBy, allowlistIndex, allowlistState, expiredNotes, type CveAllowlistEntry } from './cve-allowlist.js';
import { atLeast, incompleteReasons, predicateFindings, predicateTime, type PredicateFinding } from './predicates.js';

export interface PolicyFacts {
  /** `registry/repository`. */
  readonly repository: string;
  readonly digest: Digest;
  readonly contentTrust: boolean;
  readonly signatures: readonly SignatureCheck[];
  readonly attestations: readonly SignatureCheck[];
  readonly now: Date;
  /** Key ids of the PEM files a policy names (path as written → id); filled by the engine. */
  readonly fileKeyIds?: Readonly<Record<string, string>>;
  /**
   * Keys given on the command line (`verify --key`): with no policy entry,
   * a signature by one of them is what is required.
   */
  readonly explicitKeyIds?: readonly string[];
  /**
   * Every key id the verification knew (trust store, key files). A policy key
   * id shorter than 64 hex digits then names a key only when it is the prefix
   * of exactly one of them: six hex digits are 24 bits, and whoever gets a
   * public key imported (a vendor's, certified for their own repositories)
   * can grind one with the prefix a policy pins. Absent: prefixes match as
   * written.
   */
  readonly knownKeyIds?: readonly string[];
}

export type Decision = 'allow' | 'warn' | 'reject';

/** How far in the future a signed attestation time may be (clock skew) before it counts as no time. */
const FUTURE_SKEW_MS = 5 * 60_000;

export interface RequirementOutcome {
  /** `signature`, `signedIdentity`, `attestation:vuln`… */
  readonly name: string;
  readonly met: boolean;
  readonly detail: string;
}

export interface PolicyResult {
  readonly decision: Decision;
  /** `file:line` of the entry that applied, `--key`, or `default`. */
  readonly entry: string;
  readonly action: PolicyAction;
  readonly requirements: readonly RequirementOutcome[];
  /** The first unmet requirement's name. */
  readonly unmet?: string;
  /** Its detail. */
  readonly reason?: string;
  /** True when no signature of any kind was found for the image. */
  readonly unsigned: boolean;
  /**
   * Per signature (same order as `facts.signatures`): whether it counts
   * toward the signature requirement (a key the entry accepts, and the
   * signed identity it asks for). Absent when no signature was required
   * (action allow, or content trust off without an entry). A signature can
   * be valid and still not count: made by a key that `--key` or the policy
   * does not name.
   */
  readonly counted?: readonly boolean[];
  /** What the reader should know beside the decision: expired CVE allowlist entries, which allow nothing. */
  readonly notes?: readonly string[];
}

export function findEntry(policy: Policy | undefined, repository: string): PolicyEntry | undefined {
  const name = policyName(repository);
  return policy?.entries.find((e) => e.match.some((glob) => matchRepository(normalisePolicyGlob(glob), name)));
}

export function evaluate(policy: Policy | undefined, facts: PolicyFacts): PolicyResult {
  const unsigned = facts.signatures.length === 0;
  let entry = findEntry(policy, facts.repository);
  let label = entry?.where ?? 'default';
  if (!entry && facts.explicitKeyIds && facts.explicitKeyIds.length > 0) {
    entry = { match: ['**'], keys: facts.explicitKeyIds.map((id) => ({ kind: 'id', id })), threshold: 1, signedIdentity: 'any', attestations: [], action: 'reject', where: '--key' };
    label = '--key';
  }
  if (!entry) {
    if (!facts.contentTrust) {
      return { decision: 'allow', entry: 'default', action: 'allow', requirements: [], unsigned };
    }
    entry = { match: ['**'], keys: [{ kind: 'root-certified' }], threshold: 1, signedIdentity: 'any', attestations: [], action: 'reject', where: 'default' };
  }
  if (entry.action === 'allow') return { decision: 'allow', entry: label, action: 'allow', requirements: [], unsigned };

  const requirements: RequirementOutcome[] = [];
  const accepted = (check: SignatureCheck): boolean => entry.keys.some((spec) => acceptedBy(spec, check, facts));
  // signatures by keys the entry accepts
  const valid = facts.signatures.filter(accepted);
  const validKeys = distinctKeys(valid);
  if (validKeys < entry.threshold) {
    requirements.push({ name: 'signature', met: false, detail: signatureFailure(facts, valid.length, entry) });
  } else {
    requirements.push({ name: 'signature', met: true, detail: `${plural(validKeys, 'valid signature')} by ${describeKeys(entry.keys)}` });
    if (entry.signedIdentity !== 'any') {
      const matching = valid.filter((c) => identityOk(entry, c, facts.repository));
      if (distinctKeys(matching) < entry.threshold) {
        const other = valid.find((c) => !identityOk(entry, c, facts.repository));
        const want = entry.signedIdentity === 'exact' ? entry.identity! : facts.repository;
        requirements.push({
          name: 'signedIdentity',
          met: false,
          detail: `the signature names ${other?.signedIdentity ? `"${other.signedIdentity}"` : 'no repository'}, not ${want} (signedIdentity: ${entry.signedIdentity})`,
        });
      } else {
        requirements.push({ name: 'signedIdentity', met: true, detail: `the signed identity matches (${entry.signedIdentity})` });
      }
    }
  }
  const allowlist = allowlistState(entry.cveAllowlist, facts.now);
  for (const att of entry.attestations) requirements.push(attestationOutcome(att, facts, accepted, allowlistIndex(allowlist.active)));
  const notes = expiredNotes(allowlist);

  const failed = requirements.find((r) => !r.met);
  const decision: Decision = !failed ? 'allow' : entry.action === 'warn' ? 'warn' : 'reject';
  const counted = facts.signatures.map((c) => accepted(c) && identityOk(entry, c, facts.repository));
  return {
    decision,
    entry: label,
    action: entry.action,
    requirements,
    ...(failed ? { unmet: failed.name, reason: failed.detail } : {}),
    unsigned,
    counted,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Whether a key spec accepts a signature check (policy-named keys need no certification, but revocation still applies). */
function acceptedBy(spec: KeySpec, check: SignatureCheck, facts: PolicyFacts): boolean {
  if (!check.keyId) return false;
  const namedOk = check.status === 'verified' || (check.status === 'untrusted-key' && ['not-certified', 'repository-not-covered', 'no-root'].includes(check.keyReason ?? ''));
  switch (spec.kind) {
    case 'root-certified':
      return check.status === 'verified' && check.keySource === 'store';
    case 'id':
      return namedOk && namesKey(spec.id, check.keyId, facts.knownKeyIds);
    case 'file':
      return namedOk && facts.fileKeyIds?.[spec.path] === check.keyId;
  }
}

/** Whether a policy key id (a prefix, or all 64 hex digits) names `keyId`: a prefix must name one known key only. */
function namesKey(id: string, keyId: string, known: readonly string[] | undefined): boolean {
  if (!keyId.startsWith(id)) return false;
  if (id.length >= 64 || known === undefined) return true;
  return !known.some((other) => other !== keyId && other.startsWith(id));
}

/** Policy key id prefixes that name more than one known key (and so accept none). */
function ambiguousPrefixes(entry: PolicyEntry, known: readonly string[] | undefined): string[] {
  if (!known) return [];
  const out: string[] = [];
  for (const spec of entry.keys) {
    if (spec.kind !== 'id' || spec.id.length >= 64) continue;
    if (new Set(known.filter((k) => k.startsWith(spec.id))).size > 1) out.push(spec.id);
  }
  return out;
}

function distinctKeys(checks: readonly SignatureCheck[]): number {
  return new Set(checks.map((c) => c.keyId)).size;
}

function identityOk(entry: PolicyEntry, check: SignatureCheck, repository: string): boolean {
  if (entry.signedIdentity === 'any') return true;
  if (!check.signedIdentity) return false;
  const signed = normaliseIdentity(check.signedIdentity);
  if (entry.signedIdentity === 'matchRepository') return signed !== undefined && signed === normaliseIdentity(repository);
  return signed !== undefined && exactIdentityMatches(check.signedIdentity, entry.identity!);
}

function describeKeys(keys: readonly KeySpec[]): string {
  return keys.map((k) => (k.kind === 'root-certified' ? 'root-certified keys' : k.kind === 'id' ? `key ${k.id.slice(0, 12)}` : k.path)).join(' or ');
}

function signatureFailure(facts: PolicyFacts, valid: number, entry: PolicyEntry): string {
  if (facts.signatures.length === 0) return `no signature found for ${facts.repository}@${facts.digest}`;
  const need = `${plural(entry.threshold, 'signature')} by ${describeKeys(entry.keys)} required, ${valid} valid`;
  const ambiguous = ambiguousPrefixes(entry, facts.knownKeyIds);
  if (ambiguous.length > 0) return `${need}; key id ${ambiguous.join(', ')} names more than one key of the trust store and keys given: write the full 64-digit id`;
  const problems = facts.signatures.filter((c) => !(c.status === 'verified' && entry.keys.some((s) => acceptedBy(s, c, facts))));
  const first = problems[0];
  return first ? `${need}; ${first.message}` : need;
}

function attestationOutcome(req: AttestationRequirement, facts: PolicyFacts, accepted: (c: SignatureCheck) => boolean, allowlist: ReadonlyMap<string, CveAllowlistEntry>): RequirementOutcome {
  const name = `attestation:${req.type}`;
  const ofType = facts.attestations.filter((a) => a.predicateType !== undefined && req.predicateTypes.includes(a.predicateType));
  const valid = ofType.filter(accepted);
  if (valid.length === 0) {
    const bad = ofType[0];
    return { name, met: false, detail: bad ? `no valid ${req.type} attestation: ${bad.message}` : `no ${req.type} attestation for ${facts.repository}@${facts.digest}` };
  }
  let lastProblem = '';
  // Newest first: the newest usable attestation decides a condition, so a later scan of the same digest that found
  // more is not outweighed by an earlier clean one still inside maxAge. A signed time in the future is no time (it
  // would never age). Attestations without a time come last; when one of them is the newest usable, each must meet it.
  const timed = valid.map((att) => ({ att, time: predicateTime(att.predicateType!, att.predicate) }));
  timed.sort((a, b) => (b.time?.getTime() ?? -Infinity) - (a.time?.getTime() ?? -Infinity));
  let excused = '';
  let judged = 0;
  for (const { att, time } of timed) {
    if (time && time.getTime() - facts.now.getTime() > FUTURE_SKEW_MS) {
      lastProblem = `the ${req.type} attestation is dated ${time.toISOString()}, in the future: its age cannot be trusted`;
      continue;
    }
    if (req.maxAgeMs !== undefined) {
      if (!time) {
        lastProblem = `the ${req.type} attestation carries no signed time, so its age (maxAge ${req.maxAge}) cannot be checked`;
        continue;
      }
      const age = facts.now.getTime() - time.getTime();
      if (age > req.maxAgeMs) {
        lastProblem = `the ${req.type} attestation is from ${time.toISOString()}, ${formatAge(age)} old, older than maxAge ${req.maxAge}`;
        continue;
      }
    }
    if (!req.condition) return { name, met: true, detail: `a valid ${req.type} attestation${req.maxAge ? ` younger than ${req.maxAge}` : ''}` };
    const verdict = conditionVerdict(req, req.condition, att, allowlist);
    if (verdict.problem !== undefined) return { name, met: false, detail: verdict.problem };
    excused ||= verdict.excused;
    judged++;
    if (time) break;
  }
  if (judged > 0) return { name, met: true, detail: `a valid ${req.type} attestation${req.maxAge ? ` younger than ${req.maxAge}` : ''} with ${req.condition!.text}${excused}` };
  return { name, met: false, detail: lastProblem };
}

/** Whether one attestation meets a condition: the problem when it does not; the allowlisted findings it excused. */
function conditionVerdict(req: AttestationRequirement, condition: NonNullable<AttestationRequirement['condition']>, att: SignatureCheck, allowlist: ReadonlyMap<string, CveAllowlistEntry>): { problem?: string; excused: string } {
  // A scan that could not look at everything cannot show the absence of findings.
  const incomplete = incompleteReasons(att.predicate);
  if (incomplete.length > 0) {
    return { problem: `the ${req.type} attestation is of an incomplete scan (${incomplete[0]}${incomplete.length > 1 ? ` and ${incomplete.length - 1} more` : ''}): findings may be missing, so "${condition.text}" is not shown`, excused: '' };
  }
  const threshold = condition.threshold;
  const counted = predicateFindings(att.predicate).filter((f) => threshold === 'ANY' || atLeast(f.severity, threshold));
  const bad: PredicateFinding[] = [];
  const allowed = new Set<string>();
  for (const f of counted) {
    const by = allowlistedBy(allowlist, f.ids);
    if (by) allowed.add(by.id);
    else bad.push(f);
  }
  const excused = allowed.size > 0 ? ` (${counted.length - bad.length} allowlisted: ${firstFew([...allowed])})` : '';
  if (bad.length === 0) return { excused };
  const named = bad.flatMap((f) => f.ids.slice(0, 1));
  return { problem: `the ${req.type} attestation reports ${bad.length} finding(s)${threshold === 'ANY' ? '' : ` at ${threshold} or above`}${named.length ? ` (${firstFew(named)})` : ''}, against "${condition.text}"`, excused };
}

function firstFew(ids: readonly string[]): string {
  const distinct = [...new Set(ids)];
  return `${distinct.slice(0, 3).join(', ')}${distinct.length > 3 ? ', …' : ''}`;
}

function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1) return `${days.toFixed(1)}d`;
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${hours.toFixed(1)}h` : `${Math.round(ms / 60_000)}m`;
}
