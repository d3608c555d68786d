/**
 * A project's own trust policy (`trustPolicy` in its settings: the admin
 * API's `PUT /api/v1/projects/NAME/settings`, or the operator's
 * `--project-settings` file), as project admins set it:
 *
 * ```json
 * {"keys": ["3f2a9c81d0e4"], "threshold": 1,
 *  "attestations": [{"type": "vuln", "maxAge": "7d", "condition": "no CRITICAL finding"}],
 *  "cveAllowlist": [{"id": "CVE-2024-12345", "expires": "2027-01-31", "reason": "not reachable"}]}
 * ```
 *
 * It is one entry of the trust policy file's language, read by the same
 * strict parser (trust/policy, JSON being YAML), so a rule means the same in
 * both places (a value nested deeper than a policy entry can be is refused first,
 * by a walk without recursion: the YAML parser and JSON.stringify recurse, and
 * a project admin's 64 KiB of brackets made them overflow the stack, a 500).
 * It can only add requirements: the registry's policy is
 * evaluated first and must allow the image; then this entry, applied to every
 * repository of the project, must allow it too. Hence what it may say:
 * `keys` by id or `root-certified` (the registry's trust store: never a file
 * path on the server), `threshold`, `signedIdentity`/`identity`,
 * `attestations`, `cveAllowlist`, `sources` and `notary` (so a project pins
 * its own Notary keys: `{"sources": ["notary"], "notary": {"rootKeys":
 * ["<id>"]}}`; Notary counts for a project only when `sources` names it,
 * project-trust.ts); not `match` (the project is the scope) nor
 * `action` (always reject: a project cannot make the registry warn or allow).
 * Its `cveAllowlist` excuses findings only for the project's own rules (its
 * attestation conditions and its own `denySeverity`), never the registry's.
 *
 * Stored settings are read at every pull, so parsed policies are kept by
 * the digest of their JSON (a bounded map): a small policy parses in about
 * half a millisecond, one with a thousand allowlist entries in tens to a
 * hundred and more, which no pull should pay twice.
 */
import { createHash } from 'node:crypto';
import { parsePolicy, PolicyError, type PolicyEntry } from '../trust/index.js';
import { ServeError } from './errors.js';

const ALLOWED = ['keys', 'threshold', 'signedIdentity', 'identity', 'attestations', 'cveAllowlist', 'sources', 'notary'];
const MAX_PARSED = 256;
/** Deeper than a policy entry nests (attestations → entry → list is 3): a deeper value is refused before a parser recurses on it. */
const MAX_DEPTH = 16;
const parsed = new Map<string, PolicyEntry>();

/** The stored or written value as a policy entry for `project`; CONFIG_INVALID naming `path` otherwise. */
export function projectTrustPolicy(value: unknown, source: string, path: string, project?: string): PolicyEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, path, 'must be a mapping (keys, threshold, attestations, cveAllowlist…)');
  if (nestedDeeperThan(value, MAX_DEPTH)) throw invalid(source, path, `nested deeper than ${MAX_DEPTH} levels`);
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!ALLOWED.includes(key)) throw invalid(source, path, `${key.slice(0, 100)}: not allowed here (allowed: ${ALLOWED.join(', ')})`);
  if (Array.isArray(fields.keys) && fields.keys.some((k) => typeof k === 'string' && (k.includes('/') || /\.(pem|pub|key)$/i.test(k)))) {
    throw invalid(source, path, 'keys: name keys by id (from the registry\'s trust store) or root-certified, not by file');
  }
  const namesNotary = fields.sources === 'notary' || (Array.isArray(fields.sources) && fields.sources.includes('notary'));
  if (fields.notary !== undefined && !namesNotary) throw invalid(source, path, 'notary: needs "notary" in sources (a project counts Notary only when its sources name it)');
  const where = project ? `project ${project} policy` : 'project policy';
  const text = JSON.stringify({ version: 1, repositories: [{ match: '**', ...fields, action: 'reject' }] });
  const key = createHash('sha256').update(text).digest('hex');
  const known = parsed.get(key);
  if (known) return { ...known, where };
  let entry: PolicyEntry | undefined;
  try {
    // One line of JSON: the parser's ":line" says nothing here, and is dropped from its messages.
    entry = parsePolicy(text, where).entries[0];
  } catch (error) {
    if (error instanceof PolicyError) throw invalid(source, path, error.message.replace(/^[^:]*:\d+: /, ''));
    throw error;
  }
  if (!entry) throw invalid(source, path, 'is empty');
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(key, entry);
  return { ...entry, where };
}

/** Whether `value` has lists or mappings nested more than `limit` deep: a walk with its own stack, no recursion. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > limit) return true;
    for (const child of Object.values(item.value)) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}

function invalid(source: string, path: string, message: string): ServeError {
  return new ServeError('CONFIG_INVALID', `${source}: ${path}: ${message}`);
}
