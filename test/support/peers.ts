/**
 * Real peers for tests, started through ../shared/peers scripts: Debian's
 * docker-registry (plain, basic auth, TLS) and real images built with
 * debootstrap/umoci/skopeo. Each test file takes its own free port so files
 * can run in parallel.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PEERS } from './paths.js';
import { peerTierOnly } from './tier-guard.js';

const run = promisify(execFile);

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RegistryPeer {
  url: string;
  host: string;
  data: string;
  port: number;
  /** The docker-registry process (benches read its CPU time from /proc). */
  pid?: number;
  ca?: string;
  user?: string;
  password?: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  auth?: boolean;
  tls?: boolean;
  port?: number;
  /** Store blobs with distribution's own S3 driver on this S3 API (registry.sh `REGISTRY_S3=1`) instead of the filesystem. */
  s3?: { endpoint: string; accessKey: string; secretKey: string; region: string; bucket?: string };
}

/** Starts Debian's docker-registry on a free loopback port. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryPeer> {
  peerTierOnly("Debian's docker-registry");
  const port = options.port ?? (await freePort());
  const env = {
    ...process.env,
    PORT: String(port),
    REGISTRY_AUTH: options.auth ? '1' : '0',
    REGISTRY_TLS: options.tls ? '1' : '0',
    ...(options.s3
      ? {
          REGISTRY_S3: '1',
          S3_ENDPOINT: options.s3.endpoint,
          S3_ACCESS_KEY: options.s3.accessKey,
          S3_SECRET_KEY: options.s3.secretKey,
          S3_REGION: options.s3.region,
          ...(options.s3.bucket ? { REGISTRY_S3_BUCKET: options.s3.bucket } : {}),
        }
      : {}),
  };
  const { stdout } = await run('bash', [join(PEERS, 'registry.sh'), 'start'], { env, maxBuffer: 1 << 20 });
  const kv = parseKeyValues(stdout);
  const peer: RegistryPeer = {
    url: kv.REGISTRY_URL ?? '',
    host: kv.REGISTRY_HOST ?? '',
    data: kv.REGISTRY_DATA ?? '',
    port,
    stop: async () => {
      await run('bash', [join(PEERS, 'registry.sh'), 'stop'], { env });
    },
  };
  if (kv.REGISTRY_PID) peer.pid = Number(kv.REGISTRY_PID);
  if (kv.REGISTRY_CA) peer.ca = kv.REGISTRY_CA;
  if (kv.REGISTRY_USER) peer.user = kv.REGISTRY_USER;
  if (kv.REGISTRY_PASSWORD) peer.password = kv.REGISTRY_PASSWORD;
  return peer;
}

export interface PeerImages {
  /** `oci:DIR:latest` */
  tinyOci: string;
  tinyDockerArchive: string;
  tinyOciArchive: string;
  /** `oci:DIR:bookworm` */
  debianOci: string;
  debianDockerArchive: string;
  debianOciArchive: string;
}

/** Builds (or reuses the cache of) the tiny and Debian images from ../shared/peers/image.sh. */
export async function peerImages(which: 'all' | 'tiny' = 'all'): Promise<PeerImages> {
  peerTierOnly('the peer images (../shared/peers/image.sh)');
  const { stdout } = await run('bash', [join(PEERS, 'image.sh'), which], { maxBuffer: 1 << 20, timeout: 600_000 });
  const kv = parseKeyValues(stdout);
  return {
    tinyOci: kv.TINY_OCI ?? '',
    tinyDockerArchive: kv.TINY_DOCKER_ARCHIVE ?? '',
    tinyOciArchive: kv.TINY_OCI_ARCHIVE ?? '',
    debianOci: kv.DEBIAN_OCI ?? '',
    debianDockerArchive: kv.DEBIAN_DOCKER_ARCHIVE ?? '',
    debianOciArchive: kv.DEBIAN_OCI_ARCHIVE ?? '',
  };
}

/** Runs a command and returns stdout, stderr and the exit code without throwing. */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const input = options.input;
    const child = spawn(file, [...args], { env: options.env ?? process.env, cwd: options.cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: 127, stdout: '', stderr: String(error) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (input !== undefined && child.stdin) {
      // A child that exits without reading its input closes the pipe: that is its answer, not an error here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}
