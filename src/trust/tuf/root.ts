/**
 * Root trust as the Notary client establishes it (notary
 * `trustpinning/certs.go` `ValidateRoot`, in its default TOFU mode):
 *
 * - the root role's keys must be certificates (`ecdsa-x509`/`rsa-x509`) whose
 *   leaf is not a CA, whose Common Name is the GUN (or a `prefix*` wildcard
 *   matching it) and which are valid at `now`; the root must be signed by a
 *   threshold of those;
 * - a newer root is accepted only when it is also signed by a threshold of the
 *   previously trusted root's root keys (certificate expiry not checked for
 *   those), one version at a time: N.root.json for every version between the
 *   trusted one and the newest (notary `client/tufclient.go` `updateRootVersions`).
 */
import { checkExpiry, checkVersion, verifyThreshold } from './checks.js';
import { TufError } from './errors.js';
import type { TufKey } from './keys.js';
import { parseRootMetadata, type Metadata, type Root } from './metadata.js';

function cnMatches(commonName: string, gun: string): boolean {
  if (commonName.endsWith('*')) return gun.startsWith(commonName.replace(/\*+$/, ''));
  return commonName === gun;
}

/** The root role's keys that are valid leaf certificates for `gun` (at `now`, unless `now` is undefined). */
function rootCertKeys(root: Root, gun: string, now: Date | undefined): Map<string, TufKey> {
  const valid = new Map<string, TufKey>();
  for (const id of root.roles.get('root')?.keyids ?? []) {
    const key = root.keys.get(id);
    const cert = key?.certificate;
    if (!key || !cert || cert.isCA || !cnMatches(cert.commonName, gun)) continue;
    if (now && (cert.notBefore.getTime() > now.getTime() || cert.notAfter.getTime() < now.getTime())) continue;
    valid.set(id, key);
  }
  return valid;
}

/** A root that stands on its own: valid root certificates for the GUN, signed by a threshold of them. */
export function verifyRootSelf(root: Metadata<Root>, gun: string, now: Date): void {
  const certs = rootCertKeys(root.signed, gun, now);
  if (certs.size === 0) throw new TufError('ROOT_INVALID', `root.json v${root.signed.version}: no valid root certificate for ${gun}`);
  const role = root.signed.roles.get('root');
  if (!role) throw new TufError('ROOT_INVALID', 'root.json has no root role');
  try {
    verifyThreshold(root, { keyids: [...certs.keys()], threshold: role.threshold }, certs, `root.json v${root.signed.version}`);
  } catch (error) {
    throw new TufError('ROOT_INVALID', (error as Error).message, { cause: error });
  }
}

/** `next` must be signed by a threshold of `trusted`'s root certificates. */
export function verifyRootRotation(trusted: Metadata<Root>, next: Metadata<Root>, gun: string): void {
  const certs = rootCertKeys(trusted.signed, gun, undefined);
  const threshold = trusted.signed.roles.get('root')?.threshold ?? 1;
  try {
    verifyThreshold(next, { keyids: [...certs.keys()], threshold }, certs, `root.json v${next.signed.version} (by v${trusted.signed.version})`);
  } catch (error) {
    throw new TufError('ROOT_ROTATION_INVALID', (error as Error).message, { cause: error });
  }
}

export interface RootInputs {
  /** The newest root.json as served. */
  readonly root: Uint8Array;
  /** `<n>.root.json` for the versions between the trusted root and the newest, by version. */
  readonly rootChain?: ReadonlyMap<number, Uint8Array>;
}

/**
 * The root to trust now: TOFU on the served root when nothing is trusted yet,
 * else the served root reached from `trustedRoot` through the version chain.
 */
export function resolveRoot(inputs: RootInputs, options: { gun: string; now: Date; trustedRoot?: Uint8Array }): Metadata<Root> {
  const served = parseRootMetadata(inputs.root);
  if (!options.trustedRoot) {
    verifyRootSelf(served, options.gun, options.now);
    checkExpiry(served, options.now);
    return served;
  }
  let trusted = parseRootMetadata(options.trustedRoot);
  checkVersion(served, trusted.signed.version);
  if (served.signed.version === trusted.signed.version) {
    if (!served.bytes.equals(trusted.bytes)) {
      // Same version, different content: only acceptable when the trusted root signs it too.
      verifyRootRotation(trusted, served, options.gun);
    }
    verifyRootSelf(served, options.gun, options.now);
    checkExpiry(served, options.now);
    return served;
  }
  for (let v = trusted.signed.version + 1; v < served.signed.version; v++) {
    const bytes = inputs.rootChain?.get(v);
    if (!bytes) throw new TufError('ROOT_ROTATION_INVALID', `root rotation from v${trusted.signed.version} to v${served.signed.version} needs ${v}.root.json`);
    const next = parseRootMetadata(bytes);
    if (next.signed.version !== v) throw new TufError('ROOT_ROTATION_INVALID', `${v}.root.json says version ${next.signed.version}`);
    verifyRootRotation(trusted, next, options.gun);
    verifyRootSelf(next, options.gun, options.now);
    trusted = next;
  }
  verifyRootRotation(trusted, served, options.gun);
  verifyRootSelf(served, options.gun, options.now);
  checkExpiry(served, options.now);
  return served;
}
