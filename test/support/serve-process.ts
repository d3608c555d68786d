/**
 * `portcullis serve` as a user starts it, in its own process, for tests and
 * benches that measure the server itself (peak RSS from /proc, availability
 * while it works): started on a free loopback port (HTTPS with
 * `--tls-cert`/`--tls-key`), pushed to over plain HTTP, polled until the
 * pull policy has an answer.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CLI, REPO_ROOT } from './paths.js';
import { jsonLineSink } from './registry-log.js';

export interface ServeProcess {
  readonly process: ChildProcess;
  readonly url: string;
  /** The JSON log lines written to stdout so far. */
  readonly lines: Array<Record<string, unknown>>;
  /** What it wrote to stderr so far (the start-up summary, stop messages). */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface ServeProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** `--log-level` (default warn). */
  readonly logLevel?: string;
}

/** Starts `portcullis serve --addr 127.0.0.1:0 ARGS…`; resolves once it listens. */
export async function startServeProcess(args: readonly string[], options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--addr', '127.0.0.1:0', '--log-level', options.logLevel ?? 'warn', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sink = jsonLineSink();
  child.stdout!.pipe(sink.stream);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    process: child,
    url,
    lines: sink.lines,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The process's peak resident set (VmHWM) in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Monolithic pushes of a one-layer image's blobs, then its manifest as `NAME:v1`; returns the manifest digest. */
export async function pushOneLayerImage(base: string, name: string, layer: { blob: Buffer; diffId: string; mediaType: string }): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
  for (const blob of [config, layer.blob]) {
    const r = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob });
    assert.equal(r.status, 201, await r.text());
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: layer.mediaType, digest: sha256(layer.blob), size: layer.blob.length }],
    }),
  );
  const r = await fetch(`${base}/v2/${name}/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, await r.text());
  return sha256(manifest);
}

/** Polls `NAME:v1` until the policy's answer no longer says "waiting" or "being scanned" (at most `polls` × 200 ms). */
export async function policyAnswer(base: string, name: string, polls = 600): Promise<{ status: number; message: string }> {
  for (let i = 0; i < polls; i++) {
    const r = await fetch(`${base}/v2/${name}/manifests/v1`);
    const text = await r.text();
    const message = r.status === 200 ? '' : ((JSON.parse(text) as { errors: Array<{ message: string }> }).errors[0]?.message ?? '');
    if (!/waiting to be scanned|being scanned/.test(message)) return { status: r.status, message };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} was still not scanned after ${polls} polls`);
}
