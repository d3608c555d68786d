/**
 * Our trust policy as containers/image's (`/etc/containers/policy.json`,
 * containers-policy.json(5), and `registries.d/*.yaml`,
 * containers-registries.d(5)), so that CRI-O, podman and skopeo nodes
 * enforce the same keys at the same scopes. Pure: the caller resolves key ids
 * and key files to PEM public keys and writes the files.
 *
 * The two languages differ, and the translation says where:
 *
 * - Scopes. Ours are globs tried in file order, first match wins; theirs are
 *   `host[:port][/namespace…]` prefixes, most specific wins. `host/ns/**` is
 *   exactly the scope `host/ns`; a glob without wildcards is the scope of that
 *   repository (which in containers also covers names below it); `host/ns/*`
 *   becomes `host/ns` (one level in ours, every level below in theirs); `**`
 *   is the docker transport's default `""`; a `*.example.com` host stays as
 *   it is. Any other wildcard has no scope: the entry is left out (its images
 *   fall to a wider scope or the default) and a warning says so. An entry
 *   that an earlier entry of ours shadows (its scope lies under the earlier
 *   one's, which ours would have applied first) is left out too.
 * - Keys. `sigstoreSigned` takes one key (keyPath or keyData), and all the
 *   requirements of a scope must hold: `threshold` N of N keys is one
 *   requirement per key; 1 (or k) of N > 1 cannot be said, and is exported as
 *   every key required (stricter), with a warning. `root-certified` (our
 *   trust store's certifications) has no equivalent: an entry that names no
 *   other key is exported as `reject` (fail closed), with a warning.
 * - signedIdentity. cosign-style signatures name only a repository, and the
 *   man page allows only `matchRepository` and `exactRepository` to accept
 *   them. `matchRepository` is theirs; `exact` is `exactRepository`; an exact
 *   identity with a tag or digest can match no such signature (here either),
 *   so its scope is exported as `reject`; `any` has no equivalent and is
 *   exported as `matchRepository` (what `portcullis sign` writes), with a warning.
 * - What containers cannot check at all (attestations, the CVE allowlist,
 *   `action: warn`, which is exported as accept) is listed in the warnings,
 *   and so is every rule of an entry this file does not know (Notary trust
 *   data and sources, as other parts of the policy add them): containers
 *   reads no Notary trust data, and a rule not translated must not pass
 *   unsaid.
 */
import type { KeySpec, Policy, PolicyEntry, SignedIdentityRule } from './policy.js';

/** A key as the export writes it: its id (file name) and PEM (SubjectPublicKeyInfo). */
export interface ExportKey {
  readonly id: string;
  readonly pem: string;
}

export interface ContainersPolicyOptions {
  /** Resolves one of the entry's keys (id or file spec) to a PEM key; undefined for root-certified or an unknown id. */
  readonly keyFor: (spec: KeySpec) => ExportKey | undefined;
  /** Where the key files will be on the nodes (absolute); without it, keys are inlined as keyData. */
  readonly keyDir?: string;
  /** The global default (default `reject`). */
  readonly defaultRequirement?: 'reject' | 'insecureAcceptAnything';
}

export type Requirement = Readonly<Record<string, unknown>>;

export interface ContainersPolicyExport {
  /** The policy.json document. */
  readonly policy: { readonly default: readonly Requirement[]; readonly transports: { readonly docker: Readonly<Record<string, readonly Requirement[]>> } };
  /**
   * registries.d content: one section per registry host a signed scope names;
   * `default-docker` when the docker default or a `*.domain` scope needs
   * signatures (registries.d has no wildcard hosts).
   */
  readonly registriesD: {
    readonly 'default-docker'?: { readonly 'use-sigstore-attachments': true };
    readonly docker: Readonly<Record<string, { readonly 'use-sigstore-attachments': true }>>;
  };
  /** The keys to write next to policy.json (`<keyDir>/<id>.pub`). */
  readonly keys: readonly ExportKey[];
  /** What could not be said, one line each. */
  readonly warnings: readonly string[];
}

const LITERAL_SEGMENT = /^[^*]+$/;

/** The containers scope of a glob, and whether it is exact; undefined when it has none. */
export function scopeOfGlob(glob: string): { scope: string; exact: boolean } | undefined {
  if (glob === '**') return { scope: '', exact: true };
  const segments = glob.split('/');
  const host = segments[0]!;
  // `*.example.com` is the one wildcard containers knows, and only as a whole host.
  // `*.example.com/**` is what the policy parser makes of a `*.example.com` glob (scope.ts).
  const wildHost = /^\*\.[^*]+$/.test(host) && (segments.length === 1 || (segments.length === 2 && segments[1] === '**'));
  if (wildHost) return { scope: host, exact: true };
  if (!LITERAL_SEGMENT.test(host)) return undefined;
  const last = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1);
  if (segments.length > 1 && !middle.every((s) => LITERAL_SEGMENT.test(s))) return undefined;
  if (segments.length === 1) return { scope: host, exact: true };
  if (last === '**') return { scope: segments.slice(0, -1).join('/'), exact: true };
  if (last === '*') return { scope: segments.slice(0, -1).join('/'), exact: false };
  if (!LITERAL_SEGMENT.test(last)) return undefined;
  return { scope: glob, exact: true };
}

/** Whether `inner` lies under `outer` as containers scopes nest (`""` holds every scope). */
function under(inner: string, outer: string): boolean {
  return outer === '' || inner === outer || inner.startsWith(`${outer}/`);
}

/** The signedIdentity requirement; undefined when none can accept a cosign-style signature (the scope is then rejected). */
function identityRequirement(entry: PolicyEntry, warn: (m: string) => void): Requirement | undefined {
  const rule: SignedIdentityRule = entry.signedIdentity;
  if (rule === 'matchRepository') return { type: 'matchRepository' };
  if (rule === 'exact') {
    const identity = entry.identity!;
    const lastSegment = identity.slice(identity.lastIndexOf('/') + 1);
    if (identity.includes('@') || lastSegment.includes(':')) {
      warn(`${entry.where}: identity ${identity} names a tag or digest, which no cosign-style signature carries (they name a repository): the scope is exported as reject`);
      return undefined;
    }
    return { type: 'exactRepository', dockerRepository: identity };
  }
  warn(`${entry.where}: signedIdentity any has no containers-policy equivalent: exported as matchRepository (the signature must name the image's repository)`);
  return { type: 'matchRepository' };
}

/** The entry fields this translation knows; every other one is a rule it cannot say. */
const TRANSLATED = new Set(['match', 'keys', 'threshold', 'signedIdentity', 'identity', 'attestations', 'action', 'cveAllowlist', 'where']);

function requirementsOf(entry: PolicyEntry, options: ContainersPolicyOptions, keys: Map<string, ExportKey>, warn: (m: string) => void): Requirement[] {
  for (const field of Object.keys(entry)) {
    if (!TRANSLATED.has(field)) warn(`${entry.where}: ${field} cannot be expressed in containers-policy.json (it reads no Notary trust data and knows only sigstore keys): not enforced by the nodes`);
  }
  if (entry.action === 'allow') return [{ type: 'insecureAcceptAnything' }];
  if (entry.action === 'warn') {
    warn(`${entry.where}: action warn cannot be expressed (containers accepts or rejects): exported as insecureAcceptAnything`);
    return [{ type: 'insecureAcceptAnything' }];
  }
  if (entry.attestations.length > 0) warn(`${entry.where}: required attestations (${entry.attestations.map((a) => a.type).join(', ')}) cannot be checked by containers-policy.json: enforce them with portcullis serve --require-signature or portcullis verify`);
  if ((entry.cveAllowlist ?? []).length > 0) warn(`${entry.where}: the CVE allowlist has no meaning in containers-policy.json (it checks no findings)`);
  if (entry.threshold === 0) return [{ type: 'insecureAcceptAnything' }];
  const resolved: ExportKey[] = [];
  for (const spec of entry.keys) {
    if (spec.kind === 'root-certified') {
      warn(`${entry.where}: root-certified keys (the trust store's certifications) cannot be exported: name the keys by id or file to export them`);
      continue;
    }
    const key = options.keyFor(spec);
    if (!key) {
      warn(`${entry.where}: key ${spec.kind === 'id' ? spec.id : spec.path} is not in the trust store: left out`);
      continue;
    }
    if (!resolved.some((k) => k.id === key.id)) resolved.push(key);
  }
  if (resolved.length === 0) {
    warn(`${entry.where}: no exportable key: the scope is exported as reject (fail closed)`);
    return [{ type: 'reject' }];
  }
  if (resolved.length < entry.threshold) {
    warn(`${entry.where}: threshold ${entry.threshold} needs more keys than the ${resolved.length} that can be exported: the scope is exported as reject (fail closed)`);
    return [{ type: 'reject' }];
  }
  if (entry.threshold !== resolved.length) {
    warn(`${entry.where}: threshold ${entry.threshold} of ${resolved.length} keys cannot be expressed (sigstoreSigned takes one key; every requirement of a scope must hold): exported as a signature by each of the ${resolved.length} keys (stricter)`);
  }
  const signedIdentity = identityRequirement(entry, warn);
  if (!signedIdentity) return [{ type: 'reject' }];
  return resolved.map((key) => {
    keys.set(key.id, key);
    const where = options.keyDir ? { keyPath: `${options.keyDir.replace(/\/+$/, '')}/${key.id}.pub` } : { keyData: Buffer.from(key.pem, 'utf8').toString('base64') };
    return { type: 'sigstoreSigned', ...where, signedIdentity };
  });
}

export function toContainersPolicy(policy: Policy | undefined, options: ContainersPolicyOptions): ContainersPolicyExport {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  const docker: Record<string, readonly Requirement[]> = {};
  const keys = new Map<string, ExportKey>();
  const taken: { scope: string; where: string }[] = [];
  for (const entry of policy?.entries ?? []) {
    for (const glob of entry.match) {
      const mapped = scopeOfGlob(glob);
      if (!mapped) {
        warn(`${entry.where}: the glob ${glob} has no containers-policy scope (wildcards only as a whole last segment, or *.domain as the host): left out; its images fall to a wider scope or the default`);
        continue;
      }
      const shadow = taken.find((t) => under(mapped.scope, t.scope));
      if (shadow) {
        warn(`${entry.where}: ${glob} lies under ${shadow.where}, which applies first in our policy: left out`);
        continue;
      }
      if (!mapped.exact) warn(`${entry.where}: ${glob} matches one level below ${mapped.scope}; the containers scope ${mapped.scope} covers every level below it`);
      docker[mapped.scope] = requirementsOf(entry, options, keys, warn);
      taken.push({ scope: mapped.scope, where: entry.where });
    }
  }
  const defaultRequirement = options.defaultRequirement ?? 'reject';
  if (!policy || policy.entries.length === 0 || !('' in docker)) {
    warn(`images no entry matches: portcullis requires a signature by a root-certified key under content trust; containers-policy.json says ${defaultRequirement} for them (the default)`);
  }
  const hosts: Record<string, { 'use-sigstore-attachments': true }> = {};
  let everyHost = false;
  for (const [scope, reqs] of Object.entries(docker)) {
    if (!reqs.some((r) => r.type === 'sigstoreSigned')) continue;
    const host = scope.split('/')[0]!;
    if (host === '' || host.startsWith('*')) everyHost = true;
    else hosts[host] = { 'use-sigstore-attachments': true };
  }
  return {
    policy: { default: [{ type: defaultRequirement }], transports: { docker } },
    registriesD: { ...(everyHost ? { 'default-docker': { 'use-sigstore-attachments': true } as const } : {}), docker: hosts },
    keys: [...keys.values()],
    warnings,
  };
}
