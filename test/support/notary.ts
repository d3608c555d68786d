/**
 * The real Notary v1 peers for tests (../shared/peers/notary.sh): Debian's
 * notary-server 0.7.0 on TLS 127.0.0.1:4443 and the notary CLI. `demo`
 * publishes a target with the real CLI and saves the metadata byte-exact;
 * `notaryCli` drives the CLI against any server (ours included). Metadata is
 * produced at run time, never committed.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PEERS } from './paths.js';
import { parseKeyValues, runCommand } from './peers.js';

const run = promisify(execFile);

export const NOTARY_PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'root-pass-123',
  NOTARY_TARGETS_PASSPHRASE: 'targets-pass-123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-pass-123',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-pass-123',
} as const;

export interface NotaryPeer {
  url: string;
  ca: string;
  trustDir: string;
}

/** Starts (or reuses) the shared notary-server; never stopped by tests (it is shared, and stopping wipes it). */
export async function startNotaryPeer(): Promise<NotaryPeer> {
  const { stdout } = await run('bash', [join(PEERS, 'notary.sh'), 'start'], { maxBuffer: 1 << 20, timeout: 300_000 });
  const kv = parseKeyValues(stdout);
  return { url: kv.NOTARY_URL ?? '', ca: kv.NOTARY_CA ?? '', trustDir: kv.NOTARY_TRUST_DIR ?? '' };
}

export interface DemoTarget {
  name: string;
  sha256: string;
  size: number;
}

export interface DemoOutput {
  gun: string;
  dir: string;
  target: DemoTarget;
  files: { root: Buffer; targets: Buffer; releases: Buffer; snapshot: Buffer; timestamp: Buffer; timestampKey: Buffer };
}

/** A GUN no other test uses, so files can run in parallel against the one server. */
export function uniqueGun(prefix: string): string {
  return `127.0.0.1:5001/${prefix}/${randomBytes(5).toString('hex')}`;
}

export function randomTarget(name = 'latest'): DemoTarget {
  const content = randomBytes(64 + Math.floor(Math.random() * 512));
  return { name, sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
}

/** `notary.sh demo`: init + delegation targets/releases + addhash (targets and releases) + publish, then the raw metadata. */
export async function notaryDemo(gun: string, target: DemoTarget, dir?: string): Promise<DemoOutput> {
  const out = dir ?? (await mkdtemp(join(tmpdir(), 'notary-demo-')));
  const env = { ...process.env, ...NOTARY_PASSPHRASES, GUN: gun, TARGET: target.name, TARGET_SHA256: target.sha256, TARGET_SIZE: String(target.size) };
  await run('bash', [join(PEERS, 'notary.sh'), 'demo', out], { env, maxBuffer: 1 << 20, timeout: 120_000 });
  const read = (name: string) => readFile(join(out, name));
  return {
    gun,
    dir: out,
    target,
    files: {
      root: await read('root.json'),
      targets: await read('targets.json'),
      releases: await read('targets/releases.json'),
      snapshot: await read('snapshot.json'),
      timestamp: await read('timestamp.json'),
      timestampKey: await read('timestamp.key'),
    },
  };
}

export interface CliTarget {
  server: string;
  trustDir: string;
  ca: string;
}

/** Runs the real notary CLI against `target.server` with the test passphrases. */
export async function notaryCli(
  target: CliTarget,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand('notary', ['-s', target.server, '-d', target.trustDir, '--tlscacert', target.ca, ...args], {
    env: { ...process.env, ...NOTARY_PASSPHRASES, ...options.env },
    timeoutMs: 120_000,
    // Answers the CLI's confirmation prompts (`key rotate … root` asks "Are you sure?").
    input: options.input ?? 'yes\n',
  });
}

/** Parses `notary list` output: NAME DIGEST SIZE (BYTES) ROLE rows. */
export function parseNotaryList(stdout: string): Array<{ name: string; digest: string; size: number; role: string }> {
  const rows: Array<{ name: string; digest: string; size: number; role: string }> = [];
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 4 || !/^[0-9a-f]{64}$/.test(cols[1] ?? '')) continue;
    rows.push({ name: cols[0] as string, digest: cols[1] as string, size: Number(cols[2]), role: cols[3] as string });
  }
  return rows;
}

/** A CA and a server certificate for 127.0.0.1 made as notary.sh makes its own (../shared/peers/_lib.sh gen_tls). */
export async function makeTls(dir: string): Promise<{ ca: string; cert: Buffer; key: Buffer }> {
  await run('bash', ['-c', '. "$1/_lib.sh"; gen_tls "$2"', 'gen_tls', PEERS, dir], { timeout: 60_000 });
  return { ca: join(dir, 'ca.crt'), cert: await readFile(join(dir, 'server.crt')), key: await readFile(join(dir, 'server.key')) };
}

