/**
 * A GUN's stored metadata gathered the way a Notary client fetches it, for
 * the registry to verify its own trust data (content-trust.ts) with the same
 * pure verification a client runs (trust/tuf `verifyRepository`): the
 * current timestamp, then each file by the checksum its parent records
 * (snapshot by the timestamp's, root, targets and delegations by the
 * snapshot's), never simply the newest row, so what is verified is the
 * chain as signed. The first root the registry accepted is the trust
 * anchor (what a client trusts on first use); every root since is given as
 * the rotation chain. Bounded: at most MAX_ROLES delegations and root
 * versions.
 */
import { parseSnapshotMetadata, parseTimestampMetadata, type FileMeta, type RepositoryFiles } from '../../trust/tuf/index.js';
import type { StoredFile, TufMetadataStore } from './store.js';

export const MAX_ROLES = 1000;

async function byMeta(store: TufMetadataStore, gun: string, role: string, meta: FileMeta | undefined, parent: string): Promise<Buffer> {
  const sha256 = meta?.hashes.sha256?.toString('hex');
  const sha512 = meta?.hashes.sha512?.toString('hex');
  if (!sha256 && !sha512) throw new Error(`${parent} records no checksum for ${role}`);
  const file = await store.byChecksum(gun, role, (sha256 ?? sha512) as string);
  if (!file) throw new Error(`${role} as ${parent} records it is not stored`);
  return file.data;
}

/** The files for `verifyRepository` with `trustedRoot` (version 1); undefined when the GUN has no metadata. Throws when the stored chain is incomplete. */
export async function readRepositoryFiles(
  store: TufMetadataStore,
  gun: string,
  timestamp: () => Promise<StoredFile | undefined>,
): Promise<(RepositoryFiles & { readonly trustedRoot: Uint8Array }) | undefined> {
  const ts = await timestamp();
  if (!ts) return undefined;
  const snapshot = await byMeta(store, gun, 'snapshot', parseTimestampMetadata(ts.data).signed.meta.get('snapshot'), 'timestamp');
  const snapshotMeta = parseSnapshotMetadata(snapshot).signed.meta;
  const root = await byMeta(store, gun, 'root', snapshotMeta.get('root'), 'snapshot');
  const targets = await byMeta(store, gun, 'targets', snapshotMeta.get('targets'), 'snapshot');
  const delegations = new Map<string, Uint8Array>();
  for (const [role, meta] of snapshotMeta) {
    if (!role.startsWith('targets/')) continue;
    if (delegations.size >= MAX_ROLES) throw new Error(`more than ${MAX_ROLES} delegations`);
    delegations.set(role, await byMeta(store, gun, role, meta, 'snapshot'));
  }
  const first = await store.byVersion(gun, 'root', 1);
  if (!first) throw new Error('the first root (version 1) is not stored');
  const newest = (await store.latest(gun, 'root'))?.version ?? 1;
  if (newest > MAX_ROLES) throw new Error(`more than ${MAX_ROLES} root versions`);
  const rootChain = new Map<number, Uint8Array>();
  for (let v = 2; v < newest; v++) {
    const file = await store.byVersion(gun, 'root', v);
    if (file) rootChain.set(v, file.data);
  }
  return { root, timestamp: ts.data, snapshot, targets, delegations, rootChain, trustedRoot: first.data };
}
