/**
 * Builds complete Notary-shaped repositories with our own keys, for attacks
 * the real CLI will not produce (threshold 2 with one signature, delegations
 * outside their paths, root rotation chains). Root keys are real x509
 * certificates made with openssl, CN = GUN, as `notary init` makes them.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSnapshot,
  buildTimestamp,
  generateSigningKey,
  makeKey,
  publicKeyJson,
  signMetadata,
  type SignedJson,
  type SigningKey,
  type TufKey,
} from '../../../src/trust/tuf/index.js';

export function certKey(commonName: string, days = 3650): SigningKey {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-cert-'));
  try {
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'k.pem')]);
    // A leaf (CA:FALSE) as `notary init` makes; `/` in the CN is escaped for -subj.
    writeFileSync(join(dir, 'req.cnf'), '[req]\ndistinguished_name=dn\n[dn]\n[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
    execFileSync(
      'openssl',
      ['req', '-new', '-x509', '-config', join(dir, 'req.cnf'), '-extensions', 'leaf', '-key', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', String(days), '-subj', `/CN=${commonName.replaceAll('/', '\\/')}`],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'c.pem'));
    return { public: makeKey('ecdsa-x509', cert), privateKey: createPrivateKey(readFileSync(join(dir, 'k.pem'))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FUTURE = new Date(Date.now() + 365 * 86400_000);

function keysJson(keys: readonly TufKey[]): SignedJson {
  return Object.fromEntries(keys.map((k) => [k.id, publicKeyJson(k)]));
}

export interface Delegation {
  name: string;
  keys: SigningKey[];
  threshold?: number;
  paths: string[];
  /** Keys that actually sign (default: all of `keys`). */
  signers?: SigningKey[];
  targets: Record<string, { sha256: string; length: number }>;
}

export interface RepoSpec {
  gun: string;
  rootKeys?: SigningKey[];
  rootSigners?: SigningKey[];
  rootVersion?: number;
  targetsKeys?: SigningKey[];
  targetsThreshold?: number;
  targetsSigners?: SigningKey[];
  targets?: Record<string, { sha256: string; length: number }>;
  delegations?: Delegation[];
  versions?: { timestamp?: number; snapshot?: number; targets?: number };
  expires?: Date;
}

export interface Repo {
  root: Buffer;
  targets: Buffer;
  snapshot: Buffer;
  timestamp: Buffer;
  delegations: Map<string, Buffer>;
  keys: { root: SigningKey[]; targets: SigningKey[]; snapshot: SigningKey; timestamp: SigningKey };
}

function targetsJson(entries: Record<string, { sha256: string; length: number }>): SignedJson {
  return Object.fromEntries(
    Object.entries(entries).map(([name, t]) => [name, { hashes: { sha256: Buffer.from(t.sha256, 'hex').toString('base64') }, length: t.length }]),
  );
}

export function buildRepo(spec: RepoSpec, reuse?: Repo['keys']): Repo {
  const rootKeys = spec.rootKeys ?? reuse?.root ?? [certKey(spec.gun)];
  const targetsKeys = spec.targetsKeys ?? reuse?.targets ?? [generateSigningKey('ecdsa')];
  const snapshotKey = reuse?.snapshot ?? generateSigningKey('ecdsa');
  const timestampKey = reuse?.timestamp ?? generateSigningKey('ed25519');
  const expires = (spec.expires ?? FUTURE).toISOString();
  const root = signMetadata(
    {
      _type: 'Root',
      consistent_snapshot: false,
      expires,
      keys: keysJson([...rootKeys, ...targetsKeys, snapshotKey, timestampKey].map((k) => k.public)),
      roles: {
        root: { keyids: rootKeys.map((k) => k.public.id), threshold: 1 },
        snapshot: { keyids: [snapshotKey.public.id], threshold: 1 },
        targets: { keyids: targetsKeys.map((k) => k.public.id), threshold: spec.targetsThreshold ?? 1 },
        timestamp: { keyids: [timestampKey.public.id], threshold: 1 },
      },
      version: spec.rootVersion ?? 1,
    },
    spec.rootSigners ?? rootKeys,
  );
  const delegations = new Map<string, Buffer>();
  const byParent = (parent: string) => (spec.delegations ?? []).filter((d) => d.name.slice(0, d.name.lastIndexOf('/')) === parent);
  const delegationsJson = (parent: string): SignedJson => {
    const children = byParent(parent);
    return {
      keys: keysJson(children.flatMap((d) => d.keys.map((k) => k.public))),
      roles: children.map((d) => ({ keyids: d.keys.map((k) => k.public.id), name: d.name, paths: d.paths, threshold: d.threshold ?? 1 })),
    };
  };
  for (const d of spec.delegations ?? []) {
    delegations.set(
      d.name,
      signMetadata({ _type: 'Targets', delegations: delegationsJson(d.name), expires, targets: targetsJson(d.targets), version: 1 }, d.signers ?? d.keys),
    );
  }
  const targets = signMetadata(
    { _type: 'Targets', delegations: delegationsJson('targets'), expires, targets: targetsJson(spec.targets ?? {}), version: spec.versions?.targets ?? 1 },
    spec.targetsSigners ?? targetsKeys,
  );
  const snapshot = buildSnapshot({
    files: new Map<string, Uint8Array>([['root', root], ['targets', targets], ...delegations]),
    version: spec.versions?.snapshot ?? 1,
    expires: spec.expires ?? FUTURE,
    key: snapshotKey,
  });
  const timestamp = buildTimestamp({ snapshot, version: spec.versions?.timestamp ?? 1, expires: spec.expires ?? FUTURE, key: timestampKey });
  return { root, targets, snapshot, timestamp, delegations, keys: { root: rootKeys, targets: targetsKeys, snapshot: snapshotKey, timestamp: timestampKey } };
}
