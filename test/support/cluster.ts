/**
 * Several `portcullis serve` processes that are one registry, for the
 * cluster tests (test/cluster/): each process is the real command
 * (serve-process.ts) on its own loopback port, and all of them share one
 * PostgreSQL metadata database (a throwaway cluster, postgres.ts), one S3
 * bucket (Swift's S3 API, s3.ts), one advisory database file and one test
 * gate folder (PORTCULLIS_TEST_GATE, src/server/test-gate.ts). Every test
 * file that calls `startCluster` gets its own PostgreSQL, Swift, database and
 * bucket, so files can run in parallel; `stop` kills what is still running
 * and deletes all of it.
 *
 * Why one advisory file and not one per process: the registry's processes
 * must agree on what is vulnerable, so they read the same database, and an
 * operator's `portcullis db import` into it is seen by all of them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPaths } from '../../src/vuln/db.js';
import { writeAdvisories, type OsvAdvisory } from './osv.js';
import { CLI, REPO_ROOT } from './paths.js';
import { runCommand } from './peers.js';
import { startPostgres, type PostgresPeer } from './postgres.js';
import { startS3, type S3Peer } from './s3.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';
import { peerTierOnly } from './tier-guard.js';

export type ClusterRole = 'all' | 'api' | 'worker';

export interface ClusterOptions {
  /** Advisories imported into the shared advisory file before the first process starts (default none: an empty file, which scans treat as no database and wait). */
  readonly advisories?: readonly OsvAdvisory[];
  /** Arguments every process gets after the shared ones (e.g. `--deny-severity CRITICAL`). */
  readonly args?: readonly string[];
  /** Where the one advisory database lives: a shared SQLite file (default) or the PostgreSQL advisory store in the cluster's database. */
  readonly advisoryStore?: 'file' | 'postgres';
}

export interface StartOptions {
  readonly role?: ClusterRole;
  /** Arguments for this process only, after the cluster's. */
  readonly args?: readonly string[];
  /** `PORTCULLIS_TEST_GATE_ON` for this process (e.g. `scan`): it stops there until `release()`. */
  readonly gateOn?: string;
}

export interface Cluster {
  readonly postgres: PostgresPeer;
  readonly s3: S3Peer;
  /** The PostgreSQL database every process keeps its metadata in. */
  readonly metadataUrl: string;
  /** The advisory database file every process reads (`--db`). */
  readonly advisoryDb: string;
  /** The test gate folder: a held process writes `<what>.<pid>` here. */
  readonly gate: string;
  /** A scratch folder for the test, deleted by `stop`. */
  readonly work: string;
  /** Every process started so far, in order. */
  readonly processes: readonly ServeProcess[];
  /** Starts one more process of the registry; resolves once it listens. */
  start(options?: StartOptions): Promise<ServeProcess>;
  /** Lets every process held at the gate go on (writes `release`). */
  release(): Promise<void>;
  /** SIGKILL, and waits until it is gone. */
  kill(process: ServeProcess): Promise<void>;
  /** Stops every process, then drops the database and bucket and stops the peers. */
  stop(): Promise<void>;
}

/** Starts PostgreSQL and Swift, makes a database, a bucket and an advisory file; starts no process yet. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  peerTierOnly('a cluster of serve processes (PostgreSQL and Swift S3)');
  const [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  const work = await mkdtemp(join(tmpdir(), 'portcullis-cluster-'));
  const gate = join(work, 'gate');
  await mkdir(gate);
  const metadataUrl = await postgres.createDatabase();
  const advisoryDb = options.advisoryStore === 'postgres' ? metadataUrl : join(work, 'advisories.sqlite');
  await importPaths(advisoryDb, [writeAdvisories(join(work, 'osv-initial'), options.advisories ?? [])]);
  const processes: ServeProcess[] = [];
  let count = 0;

  const start = async (startOptions: StartOptions = {}): Promise<ServeProcess> => {
    const n = count++;
    const root = join(work, `node-${n}`);
    const args = [
      '--root', root,
      '--storage', `s3://${s3.bucket}`,
      '--s3-endpoint', s3.connection.endpoint,
      '--s3-region', s3.connection.region ?? 'us-east-1',
      '--metadata', metadataUrl,
      '--db', advisoryDb,
      '--role', startOptions.role ?? 'all',
      '--no-notary',
      ...(options.args ?? []),
      ...(startOptions.args ?? []),
    ];
    const env: NodeJS.ProcessEnv = {
      AWS_ACCESS_KEY_ID: String(s3.connection.accessKeyId ?? ''),
      AWS_SECRET_ACCESS_KEY: String(s3.connection.secretAccessKey ?? ''),
      PORTCULLIS_TEST_GATE: gate,
      PORTCULLIS_TEST_GATE_ON: startOptions.gateOn ?? '',
    };
    const p = await startServeProcess(args, { env, logLevel: 'info' });
    processes.push(p);
    return p;
  };

  const kill = async (p: ServeProcess): Promise<void> => {
    if (p.process.exitCode !== null || p.process.signalCode !== null) return;
    const gone = new Promise((resolve) => p.process.once('exit', resolve));
    p.process.kill('SIGKILL');
    await gone;
  };

  return {
    postgres,
    s3,
    metadataUrl,
    advisoryDb,
    gate,
    work,
    processes,
    start,
    release: () => writeFile(join(gate, 'release'), ''),
    kill,
    stop: async () => {
      try {
        await Promise.all(processes.map(async (p) => {
          const timer = setTimeout(() => void kill(p), 20_000);
          await p.stop();
          clearTimeout(timer);
        }));
      } finally {
        await Promise.allSettled([s3.stop(), postgres.stop()]);
        // Retried: a peer that has just exited may still be closing files under `work` (ENOTEMPTY).
        await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      }
    },
  };
}

/** Runs the built CLI (`portcullis ARGS…`) to its end; rejects with its stderr when it fails. */
export async function portcullis(args: readonly string[]): Promise<string> {
  const result = await runCommand(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`portcullis ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Waits (bounded) until `check` holds; the bound only turns a hang into a failure. */
export async function until(what: string, check: () => boolean | Promise<boolean>, polls = 600): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The manifest an OCI layout's index names, and the layout's blob folder. */
export async function layoutManifest(ociRef: string): Promise<{ dir: string; bytes: Buffer }> {
  const dir = ociRef.replace(/^oci:/, '').replace(/:[^:/]+$/, '');
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const digest = index.manifests[0]?.digest ?? '';
  return { dir, bytes: await readFile(join(dir, 'blobs', 'sha256', digest.replace('sha256:', ''))) };
}
