/**
 * What a publisher signs, as the notary client (and so `docker trust sign`)
 * writes it: the first root.json of a GUN and its targets.json, then each
 * later targets.json with one tag added or moved.
 *
 * - root v1 (notary `tuf.Repo.InitRoot` + `SignRoot`): every role with
 *   threshold 1 — root = the root certificate key, targets = the
 *   publisher's repository key, snapshot and timestamp = the keys the server
 *   handed out (`GET …/snapshot.key`, `…/timestamp.key`: the server signs
 *   both) — `consistent_snapshot: false`, expiring in ten notary years;
 * - targets (`InitTargets` + `SignTargets`): empty delegations, the version
 *   bumped by one at every signing, expiring three notary years from now;
 * - a target is `{"hashes":{"sha256":base64},"length":N}` over the image
 *   manifest's bytes — docker's tag → manifest digest and size.
 *
 * The signed object of an existing targets.json is kept as decoded (its
 * delegations and every field we do not know stay as they are); only
 * `targets`, `version` and `expires` change. Pure: no I/O.
 */
import { goTime, signMetadata, type SignedJson } from './build.js';
import type { JsonValue } from './canonical.js';
import { NOTARY_YEAR_MS } from './certificate.js';
import { TufError } from './errors.js';
import { publicKeyJson, type TufKey } from './keys.js';
import type { SigningKey } from './signatures.js';

/** notary's `NotaryRootExpiry` and `NotaryTargetsExpiry`. */
const ROOT_YEARS = 10;
const TARGETS_YEARS = 3;

export interface InitialRootKeys {
  /** The root certificate key with its private half (rootCertificateKey). */
  readonly root: SigningKey;
  readonly targets: TufKey;
  readonly snapshot: TufKey;
  readonly timestamp: TufKey;
}

function yearsFrom(now: Date, years: number): string {
  return goTime(new Date(Math.floor(now.getTime() / 1000) * 1000 + years * NOTARY_YEAR_MS));
}

/** The first root.json of a GUN, signed by the root certificate key. */
export function buildInitialRoot(keys: InitialRootKeys, now: Date): Buffer {
  const all: SignedJson = {};
  for (const key of [keys.root.public, keys.targets, keys.snapshot, keys.timestamp]) all[key.id] = publicKeyJson(key);
  const role = (key: TufKey): SignedJson => ({ keyids: [key.id], threshold: 1 });
  const signed: SignedJson = {
    _type: 'Root',
    consistent_snapshot: false,
    expires: yearsFrom(now, ROOT_YEARS),
    keys: all,
    roles: { root: role(keys.root.public), snapshot: role(keys.snapshot), targets: role(keys.targets), timestamp: role(keys.timestamp) },
    version: 1,
  };
  return signMetadata(signed, [keys.root]);
}

/** The signed object of a targets role nobody has signed yet (version 0: the first signing makes it 1). */
export function emptyTargets(): SignedJson {
  return { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: goTime(new Date(0)), targets: {}, version: 0 };
}

/** A target entry as docker writes it: only sha256 (base64) and the length. */
export function targetFileMeta(sha256Hex: string, length: number): SignedJson {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new TufError('METADATA_INVALID', 'a target digest must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(length) || length < 0) throw new TufError('METADATA_INVALID', 'a target length must be a non-negative integer');
  return { hashes: { sha256: Buffer.from(sha256Hex, 'hex').toString('base64') }, length };
}

/**
 * `current` (the decoded `signed` of the targets.json in force, or
 * emptyTargets()) with `name` set to `meta`, the version bumped, a fresh
 * expiry, signed by `key`.
 */
export function setTarget(current: { readonly [key: string]: JsonValue }, name: string, meta: SignedJson, key: SigningKey, now: Date): Buffer {
  const version = current.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw new TufError('METADATA_INVALID', 'targets version is not an integer');
  const targets = current.targets;
  if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) throw new TufError('METADATA_INVALID', 'targets.targets is not an object');
  if (name.length === 0) throw new TufError('METADATA_INVALID', 'a target needs a name');
  const signed: SignedJson = { ...current, targets: { ...targets, [name]: meta }, version: version + 1, expires: yearsFrom(now, TARGETS_YEARS) };
  return signMetadata(signed, [key]);
}
