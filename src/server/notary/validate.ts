/**
 * Validating a publish the way notary-server does (notary
 * `server/handlers/validation.go` `validateUpdate`), with trust/tuf doing the
 * checks:
 *
 * - root: required when the GUN is new; a new root is version current or
 *   current+1, signed by a threshold of the current root's root certificates
 *   and by its own (certificates for the GUN, unexpired), not expired;
 * - targets and delegations, parents first: signed by the keys the root (or
 *   the parent role, from this update or the store) gives them, not expired;
 * - snapshot: either the publisher's (snapshot keys, not expired, hashes of
 *   root and every targets role involved matching), or generated here when
 *   the server holds a snapshot key the root lists, carrying unchanged roles
 *   over from the previous snapshot;
 * - timestamp: always generated here with the server's timestamp key.
 *
 * Versions must grow; the store's insert enforces that atomically.
 */
import {
  buildSnapshot,
  buildTimestamp,
  checkExpiry,
  checkFileMeta,
  fileMetaOf,
  isDelegationName,
  parentRole,
  parseRootMetadata,
  parseSnapshotMetadata,
  parseTargetsMetadata,
  verifyRootRotation,
  verifyRootSelf,
  verifyThreshold,
  type FileMeta,
  type Metadata,
  type Root,
  type Targets,
} from '../../trust/tuf/index.js';
import { invalidUpdate, NotaryServerError } from './errors.js';
import type { ServerKeys } from './keys.js';
import type { UploadedFile } from './multipart.js';
import type { FileUpdate, TufMetadataStore } from './store.js';

const DAY = 86400_000;
export const SNAPSHOT_EXPIRY_MS = 3 * 365 * DAY;
export const TIMESTAMP_EXPIRY_MS = 14 * DAY;

export interface ValidationContext {
  readonly gun: string;
  readonly store: TufMetadataStore;
  readonly keys: ServerKeys;
  readonly now: Date;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function guard<T>(kind: Parameters<typeof invalidUpdate>[0], run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof NotaryServerError) throw error;
    throw invalidUpdate(kind, message(error));
  }
}

/** Notary's RoleList order: fewer path segments first, then by name. */
function byDepth(a: string, b: string): number {
  return a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0);
}

export async function validateUpdate(files: readonly UploadedFile[], ctx: ValidationContext): Promise<FileUpdate[]> {
  const { gun, store, now } = ctx;
  const uploaded = new Map<string, Buffer>();
  for (const f of files) {
    if (!['root', 'targets', 'snapshot', 'timestamp'].includes(f.role) && !isDelegationName(f.role)) throw new NotaryServerError('INVALID_ROLE', f.role);
    if (uploaded.has(f.role)) throw invalidUpdate('ErrValidation', `${f.role} sent twice`);
    uploaded.set(f.role, f.data);
  }
  const updates: FileUpdate[] = [];
  const current = await store.latest(gun, 'root');

  // Root.
  let root: Metadata<Root>;
  let rootBytes: Buffer;
  const newRoot = uploaded.get('root');
  if (newRoot) {
    root = guard('ErrBadRoot', () => parseRootMetadata(newRoot));
    const currentVersion = current?.version ?? 0;
    if (root.signed.version !== currentVersion && root.signed.version !== currentVersion + 1) {
      throw invalidUpdate('ErrBadRoot', `Root modifications must increment the version. Current ${currentVersion}, new ${root.signed.version}`);
    }
    const trusted = current ? parseRootMetadata(current.data) : undefined;
    const candidate = root;
    guard('ErrBadRoot', () => {
      if (trusted) verifyRootRotation(trusted, candidate, gun);
      verifyRootSelf(candidate, gun, now);
      checkExpiry(candidate, now);
    });
    rootBytes = newRoot;
    updates.push({ role: 'root', version: root.signed.version, data: newRoot });
  } else if (current) {
    root = parseRootMetadata(current.data);
    rootBytes = current.data;
  } else {
    throw invalidUpdate('ErrValidation', 'no pre-existing root and no root provided in update.');
  }
  const rootRole = (name: 'targets' | 'snapshot' | 'timestamp') => root.signed.roles.get(name) ?? { keyids: [], threshold: 1 };

  // Targets and delegations, parents first.
  const loaded = new Map<string, Metadata<Targets>>();
  const checksummed = new Map<string, Buffer>([['root', rootBytes]]);
  const load = async (role: string): Promise<Metadata<Targets> | undefined> => {
    const have = loaded.get(role);
    if (have) return have;
    const stored = await store.latest(gun, role);
    if (!stored) return undefined;
    const md = parseTargetsMetadata(stored.data, role);
    loaded.set(role, md);
    checksummed.set(role, stored.data);
    return md;
  };
  for (const role of [...uploaded.keys()].filter((r) => r === 'targets' || isDelegationName(r)).sort(byDepth)) {
    const bytes = uploaded.get(role) as Buffer;
    const parent = role === 'targets' ? undefined : await load(parentRole(role));
    const md = guard('ErrBadTargets', () => {
      const parsed = parseTargetsMetadata(bytes, role);
      if (role === 'targets') {
        verifyThreshold(parsed, rootRole('targets'), root.signed.keys, role);
      } else {
        const delegation = parent?.signed.delegations.find((d) => d.name === role);
        if (!parent || !delegation) throw new Error(`${role} is not delegated by ${parentRole(role)}`);
        verifyThreshold(parsed, delegation, parent.signed.delegationKeys, role);
      }
      checkExpiry(parsed, now);
      return parsed;
    });
    loaded.set(role, md);
    checksummed.set(role, bytes);
    updates.push({ role, version: md.signed.version, data: bytes });
  }

  // Snapshot: the publisher's, or ours.
  let snapshotBytes: Buffer;
  const clientSnapshot = uploaded.get('snapshot');
  const previousSnapshot = await store.latest(gun, 'snapshot');
  if (clientSnapshot) {
    const md = guard('ErrBadSnapshot', () => parseSnapshotMetadata(clientSnapshot));
    guard('ErrBadSnapshot', () => {
      verifyThreshold(md, rootRole('snapshot'), root.signed.keys, 'snapshot');
      checkExpiry(md, now);
      for (const [role, bytes] of checksummed) {
        const meta = md.signed.meta.get(role);
        if (!meta) throw new Error(`snapshot has no checksum for ${role}`);
        checkFileMeta(bytes, meta, role);
      }
    });
    snapshotBytes = clientSnapshot;
    updates.push({ role: 'snapshot', version: md.signed.version, data: clientSnapshot });
  } else {
    const signer = await ctx.keys.signerFor(gun, 'snapshot', rootRole('snapshot').keyids);
    if (!signer) {
      throw invalidUpdate('ErrBadHierarchy', 'no snapshot was included in update and server does not hold current snapshot key for repository');
    }
    const meta = new Map<string, Uint8Array | FileMeta>();
    const previous = previousSnapshot ? parseSnapshotMetadata(previousSnapshot.data) : undefined;
    for (const [role, fileMeta] of previous?.signed.meta ?? []) meta.set(role, fileMeta);
    for (const [role, bytes] of checksummed) meta.set(role, fileMetaOf(bytes));
    if (!meta.has('targets')) throw invalidUpdate('ErrBadHierarchy', 'no targets metadata to snapshot');
    snapshotBytes = buildSnapshot({ files: meta, version: (previousSnapshot?.version ?? 0) + 1, expires: new Date(now.getTime() + SNAPSHOT_EXPIRY_MS), key: signer });
    updates.push({ role: 'snapshot', version: (previousSnapshot?.version ?? 0) + 1, data: snapshotBytes });
  }

  // Timestamp: always ours.
  updates.push(await signTimestamp(ctx, root, snapshotBytes));
  return updates;
}

/** A new timestamp over `snapshot`, by the held timestamp key the root lists. */
export async function signTimestamp(ctx: ValidationContext, root: Metadata<Root>, snapshot: Buffer): Promise<FileUpdate> {
  const signer = await ctx.keys.signerFor(ctx.gun, 'timestamp', root.signed.roles.get('timestamp')?.keyids ?? []);
  if (!signer) throw invalidUpdate('ErrBadRoot', 'no timestamp keys exist on the server');
  const previous = await ctx.store.latest(ctx.gun, 'timestamp');
  const version = (previous?.version ?? 0) + 1;
  return { role: 'timestamp', version, data: buildTimestamp({ snapshot, version, expires: new Date(ctx.now.getTime() + TIMESTAMP_EXPIRY_MS), key: signer }) };
}
