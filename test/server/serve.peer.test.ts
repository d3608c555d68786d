/**
 * `portcullis serve` end to end, configured from its flags (buildConfig) and
 * started as the command starts it: real skopeo pushes the real tiny image
 * (1 CRITICAL, 2 HIGH npm advisories) and the real Debian image (no npm
 * packages: clean against this database); the registry scans both; with
 * --require-signature and --deny-severity CRITICAL it refuses the unsigned
 * ones with Docker's message, serves Debian once `portcullis sign` signed it,
 * and still refuses the signed tiny image for its CRITICAL finding. The UI
 * and /metrics show the same facts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { importPaths } from '../../src/vuln/db.js';
import { cli, trustHome } from '../cli/trust/helpers.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { peerImages, runCommand, type PeerImages } from '../support/peers.js';
import { startServeProcess } from '../support/serve-process.js';
import { skopeoCopy, skopeoInspect } from '../support/skopeo.js';

let work: string;
let env: NodeJS.ProcessEnv;
let images: PeerImages;
let registry: RunningRegistry;
let host: string;
const log: string[] = [];

before(async () => {
  images = await peerImages();
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-e2e-'));
  env = await trustHome();
  const gen = await cli(['key', 'generate'], env);
  assert.equal(gen.code, 0, gen.stderr);
  const dbPath = join(work, 'advisories.sqlite');
  await importPaths(dbPath, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  const config = await buildConfig(
    { addr: '127.0.0.1:0', root: join(work, 'data'), db: dbPath, rescanInterval: '0', denySeverity: 'critical', requireSignature: true },
    { stdout: new PassThrough(), stderr, env },
  );
  registry = await startRegistry(config);
  host = new URL(registry.url).host;
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

const TLS = '--tls-verify=false';

async function pull(ref: string): Promise<{ code: number; stderr: string }> {
  const r = await runCommand('skopeo', ['inspect', TLS, `docker://${ref}`]);
  return { code: r.code, stderr: r.stderr };
}

test('unsigned images are refused, signed clean ones served, signed vulnerable ones refused; the UI and metrics agree', async () => {
  await skopeoCopy(images.tinyOci, `docker://${host}/demo/tiny:1`, ['--dest-tls-verify=false']);
  await skopeoCopy(images.debianOci, `docker://${host}/demo/debian:12`, ['--dest-tls-verify=false']);
  await registry.scanner!.idle();

  const unsigned = await pull(`${host}/demo/debian:12`);
  assert.notEqual(unsigned.code, 0);
  assert.match(unsigned.stderr, new RegExp(`remote trust data does not exist for ${host.replace('.', '\\.')}/demo/debian`));

  for (const ref of [`${host}/demo/debian:12`, `${host}/demo/tiny:1`]) {
    const signed = await cli(['sign', ref, TLS], env);
    assert.equal(signed.code, 0, signed.stderr);
  }
  const debian = await pull(`${host}/demo/debian:12`);
  assert.equal(debian.code, 0, debian.stderr);
  const served = await skopeoInspect(`docker://${host}/demo/debian:12`).catch(() => undefined);
  const original = await skopeoInspect(images.debianOci);
  if (served) assert.equal(served.Digest, original.Digest);
  const out = join(work, 'debian-out');
  await skopeoCopy(`docker://${host}/demo/debian:12`, `oci:${out}:12`, ['--src-tls-verify=false']);
  assert.equal((await skopeoInspect(`oci:${out}:12`)).Digest, original.Digest);

  const tiny = await pull(`${host}/demo/tiny:1`);
  assert.notEqual(tiny.code, 0);
  assert.match(tiny.stderr, /1 CRITICAL, 2 HIGH vulnerabilities|1 CRITICAL vulnerability\b/);
  const denied = await fetch(`${registry.url}/v2/demo/tiny/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(denied.status, 403);
  const body = (await denied.json()) as { errors: Array<{ code: string; message: string }> };
  assert.equal(body.errors[0]?.code, 'DENIED');
  assert.match(body.errors[0]?.message ?? '', /1 CRITICAL vulnerability \(policy: deny CRITICAL and above\)/);

  // The UI orders the vulnerable image first and names its findings; /metrics counted both scans.
  const page = await (await fetch(`${registry.url}/ui/r/demo/tiny`)).text();
  assert.match(page, /CRITICAL/);
  const metrics = await (await fetch(`${registry.url}/metrics`)).text();
  assert.match(metrics, /^portcullis_scans_total\{outcome="done"\} 2$/m);
  assert.match(metrics, /^portcullis_repositories 2$/m);
});

test('the serve command runs as a process: listens, answers /v2/, stops cleanly on SIGTERM', async () => {
  const served = await startServeProcess(['--root', join(work, 'proc'), '--no-scan'], { env: { ...env, PATH: process.env.PATH ?? '' } });
  const res = await fetch(`${served.url}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal(await served.stop(), 0);
  assert.match(served.stderr(), /stopping/);
});
