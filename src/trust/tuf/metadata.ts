/**
 * Strict readers for Notary's role metadata: the envelope
 * `{"signed": {...}, "signatures": [{"keyid","method","sig"}]}` and the four
 * role types (`_type` Root / Targets / Snapshot / Timestamp; delegations are
 * Targets). Structure rules follow notary `tuf/data/{root,targets,snapshot,
 * timestamp,types,roles}.go`: version ≥ 1, thresholds ≥ 1, every listed key
 * ID present and equal to the ID computed from its key, hashes base64 of the
 * right size, delegation names `targets/…` children of the role that lists
 * them. Unknown fields are ignored (Go does the same), the signed object is
 * kept as decoded so signatures are checked over its canonical JSON.
 */
import { canonicalBytes, parseJson, type JsonValue } from './canonical.js';
import { TufError } from './errors.js';
import { decodeBase64, parseKey, type TufKey } from './keys.js';
import type { Signature } from './signatures.js';

export type BaseRoleName = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const BASE_ROLES: readonly BaseRoleName[] = ['root', 'targets', 'snapshot', 'timestamp'];
export const TUF_TYPES: Record<BaseRoleName, string> = { root: 'Root', targets: 'Targets', snapshot: 'Snapshot', timestamp: 'Timestamp' };

type JsonObject = { [key: string]: JsonValue };

export interface FileMeta {
  readonly length: number;
  readonly hashes: { readonly sha256?: Buffer; readonly sha512?: Buffer };
  readonly custom?: JsonValue;
}

export interface RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

export interface DelegatedRole extends RoleKeys {
  readonly name: string;
  readonly paths: readonly string[];
}

interface Common {
  readonly version: number;
  readonly expires: Date;
}

export interface Root extends Common {
  readonly keys: ReadonlyMap<string, TufKey>;
  readonly roles: ReadonlyMap<BaseRoleName, RoleKeys>;
  readonly consistentSnapshot: boolean;
}

export interface Targets extends Common {
  readonly targets: ReadonlyMap<string, FileMeta>;
  readonly delegationKeys: ReadonlyMap<string, TufKey>;
  readonly delegations: readonly DelegatedRole[];
}

export interface Snapshot extends Common {
  readonly meta: ReadonlyMap<string, FileMeta>;
}

export type Timestamp = Snapshot;

/** One metadata file: its exact bytes, the decoded `signed` object, its signatures and the typed view. */
export interface Metadata<T> {
  readonly role: string;
  readonly bytes: Buffer;
  readonly signedJson: JsonObject;
  readonly signatures: readonly Signature[];
  readonly signed: T;
}

function fail(what: string, message: string): never {
  throw new TufError('METADATA_INVALID', `${what}: ${message}`);
}

function asObject(value: JsonValue | undefined, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(what, 'not an object');
  return value;
}

function asInteger(value: JsonValue | undefined, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(what, `must be an integer ≥ ${min}`);
  return value;
}

function asStringArray(value: JsonValue | undefined, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) fail(what, 'must be an array of strings');
  return value;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Go's time.Time JSON form (RFC 3339, up to nanoseconds); sub-millisecond digits are dropped. */
export function parseTime(text: JsonValue | undefined, what: string): Date {
  const m = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (!m) fail(what, 'not an RFC 3339 time');
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (sign) t -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  if (!Number.isFinite(t)) fail(what, 'not a valid time');
  return new Date(t);
}

export function parseFileMeta(value: JsonValue | undefined, what: string): FileMeta {
  const obj = asObject(value, what);
  const length = asInteger(obj.length, `${what} length`, 0);
  const hashesJson = asObject(obj.hashes, `${what} hashes`);
  const hashes: { sha256?: Buffer; sha512?: Buffer } = {};
  for (const [alg, size] of [['sha256', 32], ['sha512', 64]] as const) {
    const text = hashesJson[alg];
    if (text === undefined) continue;
    if (typeof text !== 'string') fail(what, `${alg} is not a string`);
    const digest = decodeBase64(text, `${what} ${alg}`);
    if (digest.length !== size) fail(what, `${alg} must be ${size} bytes`);
    hashes[alg] = digest;
  }
  if (!hashes.sha256 && !hashes.sha512) fail(what, 'at least one of sha256, sha512 is needed');
  return obj.custom === undefined || obj.custom === null ? { length, hashes } : { length, hashes, custom: obj.custom };
}

function parseKeys(value: JsonValue | undefined, what: string): Map<string, TufKey> {
  const keys = new Map<string, TufKey>();
  for (const [id, keyJson] of Object.entries(asObject(value, what))) {
    const key = parseKey(keyJson, `${what} ${id}`);
    if (key.id !== id) throw new TufError('KEY_INVALID', `${what}: key listed as ${id} has ID ${key.id}`);
    keys.set(id, key);
  }
  return keys;
}

function parseRoleKeys(value: JsonValue | undefined, what: string, keys: ReadonlyMap<string, TufKey>): RoleKeys {
  const obj = asObject(value, what);
  const threshold = asInteger(obj.threshold, `${what} threshold`, 1);
  const keyids = asStringArray(obj.keyids, `${what} keyids`);
  for (const id of keyids) if (!keys.has(id)) fail(what, `key ID ${id} has no corresponding key`);
  return { keyids, threshold };
}

/** Notary's `data.IsDelegation`: `targets/…`, `[-a-z0-9_/]`, under 256 bytes, already path-clean. */
export function isDelegationName(name: string): boolean {
  if (!name.startsWith('targets/') || name.length >= 256 || !/^[-a-z0-9_/]+$/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function parentRole(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '.' : name.slice(0, slash);
}

function parseCommon(signed: JsonObject, role: BaseRoleName, what: string): Common {
  if (signed._type !== TUF_TYPES[role]) {
    throw new TufError('ROLE_MISMATCH', `${what}: _type is ${JSON.stringify(signed._type)}, expected ${TUF_TYPES[role]}`);
  }
  return { version: asInteger(signed.version, `${what} version`, 1), expires: parseTime(signed.expires, `${what} expires`) };
}

function parseRoot(signed: JsonObject, what: string): Root {
  const common = parseCommon(signed, 'root', what);
  const keys = parseKeys(signed.keys, `${what} keys`);
  const rolesJson = asObject(signed.roles, `${what} roles`);
  const roles = new Map<BaseRoleName, RoleKeys>();
  for (const role of BASE_ROLES) {
    if (rolesJson[role] === undefined || rolesJson[role] === null) fail(what, `missing ${role} role specification`);
    roles.set(role, parseRoleKeys(rolesJson[role], `${what} role ${role}`, keys));
  }
  const consistent = signed.consistent_snapshot ?? false;
  if (typeof consistent !== 'boolean') fail(what, 'consistent_snapshot is not a boolean');
  return { ...common, keys, roles, consistentSnapshot: consistent };
}

function parseTargets(signed: JsonObject, role: string, what: string): Targets {
  const common = parseCommon(signed, 'targets', what);
  const targets = new Map<string, FileMeta>();
  for (const [name, meta] of Object.entries(asObject(signed.targets, `${what} targets`))) {
    targets.set(name, parseFileMeta(meta, `${what} target ${JSON.stringify(name)}`));
  }
  let delegationKeys = new Map<string, TufKey>();
  const delegations: DelegatedRole[] = [];
  if (signed.delegations !== undefined && signed.delegations !== null) {
    const d = asObject(signed.delegations, `${what} delegations`);
    delegationKeys = d.keys === undefined || d.keys === null ? new Map() : parseKeys(d.keys, `${what} delegation keys`);
    const rolesJson = d.roles === undefined || d.roles === null ? [] : d.roles;
    if (!Array.isArray(rolesJson)) fail(what, 'delegations.roles is not an array');
    const seen = new Set<string>();
    for (const entry of rolesJson) {
      const obj = asObject(entry, `${what} delegation`);
      const name = obj.name;
      if (typeof name !== 'string' || !isDelegationName(name) || parentRole(name) !== role) {
        throw new TufError('DELEGATION_INVALID', `${what}: delegation role ${JSON.stringify(name)} invalid for ${role}`);
      }
      if (seen.has(name)) throw new TufError('DELEGATION_INVALID', `${what}: delegation ${name} listed twice`);
      seen.add(name);
      let roleKeys: RoleKeys;
      try {
        roleKeys = parseRoleKeys(obj, `${what} delegation ${name}`, delegationKeys);
      } catch (error) {
        throw new TufError('DELEGATION_INVALID', (error as Error).message, { cause: error });
      }
      const paths = obj.paths === undefined || obj.paths === null ? [] : asStringArray(obj.paths, `${what} ${name} paths`);
      delegations.push({ ...roleKeys, name, paths });
    }
  }
  return { ...common, targets, delegationKeys, delegations };
}

function parseMetaMap(signed: JsonObject, what: string, required: readonly string[]): Map<string, FileMeta> {
  const meta = new Map<string, FileMeta>();
  for (const [name, value] of Object.entries(asObject(signed.meta, `${what} meta`))) meta.set(name, parseFileMeta(value, `${what} meta ${name}`));
  for (const name of required) if (!meta.get(name)?.hashes.sha256) fail(what, `missing ${name} sha256 checksum information`);
  return meta;
}

function parseEnvelope(bytes: Uint8Array, what: string): { signedJson: JsonObject; signatures: Signature[] } {
  const top = asObject(parseJson(bytes, what), what);
  const signedJson = asObject(top.signed, `${what} signed`);
  if (!Array.isArray(top.signatures)) fail(what, 'signatures is not an array');
  const signatures = top.signatures.map((entry, i): Signature => {
    const s = asObject(entry, `${what} signature ${i}`);
    if (typeof s.keyid !== 'string' || typeof s.method !== 'string' || typeof s.sig !== 'string') fail(what, `signature ${i} is malformed`);
    return { keyid: s.keyid, method: s.method.toLowerCase(), sig: s.sig };
  });
  return { signedJson, signatures };
}

function load<T>(bytes: Uint8Array, role: string, parse: (signed: JsonObject, what: string) => T): Metadata<T> {
  const what = `${role}.json`;
  const { signedJson, signatures } = parseEnvelope(bytes, what);
  return { role, bytes: Buffer.from(bytes), signedJson, signatures, signed: parse(signedJson, what) };
}

export function parseRootMetadata(bytes: Uint8Array): Metadata<Root> {
  return load(bytes, 'root', parseRoot);
}

/** Top-level targets (`role` = `targets`) or a delegation (`targets/…`). */
export function parseTargetsMetadata(bytes: Uint8Array, role = 'targets'): Metadata<Targets> {
  if (role !== 'targets' && !isDelegationName(role)) throw new TufError('DELEGATION_INVALID', `${role} is not a targets role`);
  return load(bytes, role, (signed, what) => parseTargets(signed, role, what));
}

export function parseSnapshotMetadata(bytes: Uint8Array): Metadata<Snapshot> {
  return load(bytes, 'snapshot', (signed, what) => ({ ...parseCommon(signed, 'snapshot', what), meta: parseMetaMap(signed, what, ['root', 'targets']) }));
}

export function parseTimestampMetadata(bytes: Uint8Array): Metadata<Timestamp> {
  return load(bytes, 'timestamp', (signed, what) => ({ ...parseCommon(signed, 'timestamp', what), meta: parseMetaMap(signed, what, ['snapshot']) }));
}

/** The bytes the signatures of a metadata file cover. */
export function signedBytes(metadata: Pick<Metadata<unknown>, 'signedJson'>): Buffer {
  return canonicalBytes(metadata.signedJson);
}
