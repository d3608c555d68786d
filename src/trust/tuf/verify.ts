/**
 * Client-side verification of one GUN's Notary metadata, all bytes already
 * fetched (trust/ does no I/O; engine/notary fetches). The order is TUF's
 * and Notary's (`client/tufclient.go`, `tuf/builder.go`):
 *
 *   root (TOFU or rotation chain) → timestamp (root's timestamp keys)
 *   → snapshot (length + hashes from timestamp; snapshot keys)
 *   → root and targets bytes against snapshot → targets (targets keys)
 *   → delegations, depth first, each against snapshot and its parent's keys,
 *     their targets restricted to the paths the parents allow.
 *
 * Every file must meet its threshold, not be expired at `now`, and not go
 * below a version seen before. Stricter than the Notary client, which skips a
 * delegation that is expired, under threshold or signs outside its paths:
 * here each is an error, so a caller never sees a half-verified tree.
 *
 * Targets are resolved as Docker Content Trust does (`docker pull` asks
 * notary for `targets/releases` first, then `targets`), each walk pre-order
 * depth first as notary's `WalkTargets`; the first role naming a target wins.
 */
import { checkExpiry, checkFileMeta, checkVersion, verifyThreshold } from './checks.js';
import { TufError } from './errors.js';
import {
  parseSnapshotMetadata,
  parseTargetsMetadata,
  parseTimestampMetadata,
  type FileMeta,
  type Metadata,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from './metadata.js';
import { resolveRoot } from './root.js';

export interface RepositoryFiles {
  readonly root: Uint8Array;
  readonly timestamp: Uint8Array;
  readonly snapshot: Uint8Array;
  readonly targets: Uint8Array;
  /** Delegated targets roles by name (`targets/releases` → bytes). */
  readonly delegations?: ReadonlyMap<string, Uint8Array>;
  /** `<n>.root.json` for versions between `trustedRoot` and `root`, by version. */
  readonly rootChain?: ReadonlyMap<number, Uint8Array>;
}

export interface VerifyOptions {
  /** The GUN the root certificates must name. */
  readonly gun: string;
  readonly now: Date;
  /** The root trusted before (TOFU when absent). */
  readonly trustedRoot?: Uint8Array;
  /** Versions seen before, by role (`root`, `timestamp`, `snapshot`, `targets`, `targets/…`). */
  readonly previousVersions?: ReadonlyMap<string, number>;
}

export interface SignedTarget {
  readonly name: string;
  readonly length: number;
  /** Lowercase hex, when the role recorded it. */
  readonly sha256?: string;
  readonly sha512?: string;
  /** The role whose signature vouches for the target. */
  readonly role: string;
}

export interface VerifiedRepository {
  /** Target name → the target as Docker Content Trust resolves it. */
  readonly targets: ReadonlyMap<string, SignedTarget>;
  /** Every role's own targets. */
  readonly byRole: ReadonlyMap<string, ReadonlyMap<string, SignedTarget>>;
  /** Role → version of what was verified (store these as the next `previousVersions`). */
  readonly versions: ReadonlyMap<string, number>;
  readonly root: Metadata<Root>;
  readonly timestamp: Metadata<Timestamp>;
  readonly snapshot: Metadata<Snapshot>;
  readonly topTargets: Metadata<Targets>;
  readonly delegations: ReadonlyMap<string, Metadata<Targets>>;
}

/** The role that Docker's `docker trust signer add` delegates to. */
export const RELEASES_ROLE = 'targets/releases';

function meta(snapshot: Metadata<Snapshot> | Metadata<Timestamp>, name: string): FileMeta | undefined {
  return snapshot.signed.meta.get(name);
}

function toSignedTarget(name: string, fileMeta: FileMeta, role: string): SignedTarget {
  const target: { -readonly [K in keyof SignedTarget]: SignedTarget[K] } = { name, length: fileMeta.length, role };
  if (fileMeta.hashes.sha256) target.sha256 = fileMeta.hashes.sha256.toString('hex');
  if (fileMeta.hashes.sha512) target.sha512 = fileMeta.hashes.sha512.toString('hex');
  return target;
}

/** Notary's `RestrictDelegationPathPrefixes`: a child path is kept only under one of the parent's. */
export function restrictPaths(parent: readonly string[], child: readonly string[]): string[] {
  return child.filter((p) => parent.some((prefix) => p.startsWith(prefix)));
}

export function verifyRepository(files: RepositoryFiles, options: VerifyOptions): VerifiedRepository {
  const { now } = options;
  const previous = options.previousVersions ?? new Map<string, number>();
  const versions = new Map<string, number>();

  const root = resolveRoot(files, options);
  checkVersion(root, previous.get('root'));
  versions.set('root', root.signed.version);
  const rootRole = (name: 'timestamp' | 'snapshot' | 'targets') => {
    const role = root.signed.roles.get(name);
    if (!role) throw new TufError('ROOT_INVALID', `root has no ${name} role`);
    return role;
  };

  /** A top-level role signed by the keys root names, no older than seen before, not expired. */
  const accept = <T extends Metadata<Timestamp> | Metadata<Snapshot> | Metadata<Targets>>(md: T, role: 'timestamp' | 'snapshot' | 'targets'): T => {
    verifyThreshold(md, rootRole(role), root.signed.keys, `${role}.json`);
    checkVersion(md, previous.get(role));
    checkExpiry(md, now);
    versions.set(role, md.signed.version);
    return md;
  };

  const timestamp = accept(parseTimestampMetadata(files.timestamp), 'timestamp');

  checkFileMeta(files.snapshot, meta(timestamp, 'snapshot') as FileMeta, 'snapshot.json');
  const snapshot = accept(parseSnapshotMetadata(files.snapshot), 'snapshot');

  checkFileMeta(files.root, meta(snapshot, 'root') as FileMeta, 'root.json');
  checkFileMeta(files.targets, meta(snapshot, 'targets') as FileMeta, 'targets.json');
  const topTargets = accept(parseTargetsMetadata(files.targets, 'targets'), 'targets');

  const byRole = new Map<string, Map<string, SignedTarget>>();
  const delegations = new Map<string, Metadata<Targets>>();
  const paths = new Map<string, readonly string[]>([['targets', ['']]]);
  const addTargets = (md: Metadata<Targets>) => {
    const own = new Map<string, SignedTarget>();
    const allowed = paths.get(md.role) ?? [];
    for (const [name, fileMeta] of md.signed.targets) {
      if (!allowed.some((prefix) => name.startsWith(prefix))) {
        throw new TufError('DELEGATION_PATH_FORBIDDEN', `${md.role} signs ${JSON.stringify(name)} outside its paths ${JSON.stringify(allowed)}`);
      }
      own.set(name, toSignedTarget(name, fileMeta, md.role));
    }
    byRole.set(md.role, own);
  };
  addTargets(topTargets);

  const visit = (parent: Metadata<Targets>) => {
    for (const child of parent.signed.delegations) {
      const childMeta = meta(snapshot, child.name);
      if (!childMeta) continue; // listed but never published: nothing to trust (notary skips it too)
      const bytes = files.delegations?.get(child.name);
      if (!bytes) throw new TufError('METADATA_MISSING', `${child.name}.json is in snapshot but was not supplied`);
      checkFileMeta(bytes, childMeta, `${child.name}.json`);
      const md = parseTargetsMetadata(bytes, child.name);
      verifyThreshold(md, child, parent.signed.delegationKeys, `${child.name}.json`);
      checkVersion(md, previous.get(child.name));
      checkExpiry(md, now);
      versions.set(child.name, md.signed.version);
      paths.set(child.name, restrictPaths(paths.get(parent.role) ?? [], child.paths));
      delegations.set(child.name, md);
      addTargets(md);
      visit(md);
    }
  };
  visit(topTargets);

  return {
    targets: resolveTargets(byRole, topTargets, delegations),
    byRole,
    versions,
    root,
    timestamp,
    snapshot,
    topTargets,
    delegations,
  };
}

function resolveTargets(
  byRole: ReadonlyMap<string, ReadonlyMap<string, SignedTarget>>,
  top: Metadata<Targets>,
  delegations: ReadonlyMap<string, Metadata<Targets>>,
): Map<string, SignedTarget> {
  const resolved = new Map<string, SignedTarget>();
  const walk = (role: string) => {
    for (const [name, target] of byRole.get(role) ?? []) if (!resolved.has(name)) resolved.set(name, target);
    const md = role === 'targets' ? top : delegations.get(role);
    for (const child of md?.signed.delegations ?? []) if (byRole.has(child.name)) walk(child.name);
  };
  if (byRole.has(RELEASES_ROLE)) walk(RELEASES_ROLE);
  walk('targets');
  return resolved;
}
