/**
 * The pull gate fails closed. `portcullis serve --deny-severity CRITICAL`
 * (configured from its flags, as the command does) gets one CRITICAL image
 * (npm minimist 1.2.5, GHSA-xvch-5gv4-984h) pushed in every disguise an
 * attacker tried, over real HTTP, and real skopeo tries to pull each one:
 *
 * - plain (the control: refused for its finding; a clean image is served);
 * - an `artifactType` and an artifact config media type declared;
 * - its layer given an unknown media type;
 * - a layer that makes the scan fail (an entry escaping the root);
 * - 130,000 package.json files (once a stack overflow that turned into "0 packages");
 * - pulled while its scan has not finished (the layer read held back);
 * - pushed to a registry that has no advisory database yet.
 *
 * Each is refused with 403 DENIED and a reason that names what was missing;
 * a real accessory (a cosign signature manifest) stays readable. The JSON log
 * lines of the pushes, scans and refusals are read back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import type { Digest } from '../../src/core/digest.js';
import { ManifestClassifier } from '../../src/server/artifact.js';
import { createLog } from '../../src/server/log.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { createPullPolicy } from '../../src/server/policy.js';
import { ScanService } from '../../src/server/scan/service.js';
import type { BlobStore } from '../../src/server/storage/blob-store.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';
import { importPaths } from '../../src/vuln/db.js';
import { compress, sha256, tarOf, writeStreamedLayer, type TarEntry } from '../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { runCommand } from '../support/peers.js';
import { jsonLineSink } from '../support/registry-log.js';
import { startPortcullisRegistry } from '../support/registry-server.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

const MINIMIST: TarEntry[] = [
  { name: 'app/', type: 'directory' },
  { name: 'app/package.json', body: JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { minimist: '1.2.5' } }) },
  { name: 'app/node_modules/minimist/package.json', body: JSON.stringify({ name: 'minimist', version: '1.2.5' }) },
];
const CLEAN: TarEntry[] = [{ name: 'app/package.json', body: JSON.stringify({ name: 'app', version: '1.0.0' }) }];

interface Blob {
  readonly bytes: Buffer;
  readonly digest: Digest;
}
const blobOf = (bytes: Buffer): Blob => ({ bytes, digest: `sha256:${sha256(bytes)}` });

interface ImageParts {
  readonly layers: ReadonlyArray<{ readonly blob: Blob; readonly mediaType: string }>;
  readonly config: Blob;
  readonly configMediaType?: string;
  readonly extra?: Record<string, unknown>;
}

/** An image from gzip layers, its config listing their diff_ids. */
async function image(layerTars: readonly Buffer[], options: { mediaType?: string; extra?: Record<string, unknown>; configMediaType?: string } = {}): Promise<ImageParts> {
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layerTars.map((t) => `sha256:${sha256(t)}`) } })),
  );
  return {
    layers: layerTars.map((tar) => ({ blob: blobOf(compress(tar, 'gzip')), mediaType: options.mediaType ?? GZIP_LAYER })),
    config,
    ...(options.configMediaType ? { configMediaType: options.configMediaType } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
  };
}

function manifestOf(parts: ImageParts): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: parts.configMediaType ?? OCI_CONFIG, digest: parts.config.digest, size: parts.config.bytes.length },
      layers: parts.layers.map((l) => ({ mediaType: l.mediaType, digest: l.blob.digest, size: l.blob.bytes.length })),
      ...parts.extra,
    }),
  );
}

/** Pushes blobs (monolithic POST) and the manifest over plain HTTP, as a hand-rolled client would. */
async function push(base: string, name: string, tag: string, parts: ImageParts): Promise<Digest> {
  for (const blob of [parts.config, ...parts.layers.map((l) => l.blob)]) {
    const r = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: blob.bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201, await r.text());
  }
  const manifest = manifestOf(parts);
  const r = await fetch(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': OCI_MANIFEST } });
  assert.equal(r.status, 201, await r.text());
  return `sha256:${sha256(manifest)}`;
}

/** What real skopeo gets when it pulls: its exit code and stderr. */
async function skopeoPull(host: string, ref: string, work: string): Promise<{ code: number; stderr: string }> {
  const out = await mkdtemp(join(work, 'pull-'));
  const r = await runCommand('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/${ref}`, `oci:${out}:x`]);
  return { code: r.code, stderr: r.stderr };
}

/** The 403 body the registry answers for a manifest GET. */
async function denial(base: string, name: string, reference: string): Promise<{ status: number; code?: string; message?: string }> {
  const r = await fetch(`${base}/v2/${name}/manifests/${reference}`, { headers: { accept: OCI_MANIFEST } });
  const text = await r.text();
  if (r.status === 200) return { status: 200 };
  const body = JSON.parse(text) as { errors: Array<{ code: string; message: string }> };
  return { status: r.status, code: body.errors[0]?.code, message: body.errors[0]?.message };
}

/** A gzip layer with `count` installed npm packages (plus minimist), streamed by the shared layer writer. */
async function manyPackagesLayer(count: number, dir: string): Promise<{ gz: Buffer; diffId: string }> {
  function* entries(): Generator<TarEntry> {
    yield* MINIMIST;
    for (let i = 0; i < count; i++) yield { name: `app/node_modules/pkg${i}/package.json`, body: `{"name":"pkg${i}","version":"1.0.${i % 100}"}` };
  }
  const layer = await writeStreamedLayer(dir, entries());
  return { gz: await readFile(join(dir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length))), diffId: layer.diffId };
}

type LogLine = Record<string, unknown>;

describe('the pull gate under --deny-severity CRITICAL fails closed', () => {
  let work: string;
  let registry: RunningRegistry;
  let base: string;
  let host: string;
  let logLines: LogLine[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-gates-'));
    const dbPath = join(work, 'advisories.sqlite');
    await importPaths(dbPath, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
    const sink = jsonLineSink();
    logLines = sink.lines;
    const config = await buildConfig({ addr: '127.0.0.1:0', root: join(work, 'data'), db: dbPath, rescanInterval: '0', denySeverity: 'critical' }, { stdout: sink.stream, stderr: new PassThrough(), env: process.env });
    registry = await startRegistry(config);
    base = registry.url;
    host = new URL(base).host;
  });

  after(async () => {
    await registry?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('control: the plain CRITICAL image is refused for its finding, a clean image is served', async () => {
    await push(base, 'gate/plain', 'v1', await image([await tarOf(MINIMIST)]));
    await push(base, 'gate/clean', 'v1', await image([await tarOf(CLEAN)]));
    await registry.scanner!.idle();
    const refused = await skopeoPull(host, 'gate/plain:v1', work);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /1 CRITICAL vulnerability\b/);
    const served = await skopeoPull(host, 'gate/clean:v1', work);
    assert.equal(served.code, 0, served.stderr);
  });

  test('an artifactType and an artifact config media type do not make an image an artifact', async () => {
    const parts = await image([await tarOf(MINIMIST)], { configMediaType: 'application/vnd.example.sbom.config+json', extra: { artifactType: 'application/vnd.example.sbom' } });
    const digest = await push(base, 'gate/artifact-type', 'v1', parts);
    await registry.scanner!.idle();
    const scan = await registry.services.metadata.getScan(digest);
    assert.equal(scan?.state, 'done', 'scanned as the image it is');
    assert.deepEqual(scan?.counts, { CRITICAL: 1 });
    const refused = await skopeoPull(host, 'gate/artifact-type:v1', work);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /1 CRITICAL vulnerability\b/);
  });

  test('a filesystem layer with an unknown media type is still a layer', async () => {
    const digest = await push(base, 'gate/unknown-type', 'v1', await image([await tarOf(MINIMIST)], { mediaType: 'application/vnd.example.data' }));
    await registry.scanner!.idle();
    assert.notEqual((await registry.services.metadata.getScan(digest))?.state, 'skipped');
    const d = await denial(base, 'gate/unknown-type', 'v1');
    assert.equal(d.status, 403);
    assert.equal(d.code, 'DENIED');
    assert.match(d.message ?? '', /1 CRITICAL|could not be scanned/);
    const refused = await skopeoPull(host, 'gate/unknown-type:v1', work);
    assert.notEqual(refused.code, 0);
  });

  test('a scan that fails is not a pass', async () => {
    const hostile = await tarOf([...MINIMIST, { name: '../escape.txt', body: 'x' }]);
    const digest = await push(base, 'gate/scan-fails', 'v1', await image([hostile]));
    await registry.scanner!.idle();
    assert.equal((await registry.services.metadata.getScan(digest))?.state, 'failed');
    const d = await denial(base, 'gate/scan-fails', 'v1');
    assert.equal(d.status, 403);
    assert.match(d.message ?? '', /could not be scanned \(.*\.\.\/escape\.txt/);
    const refused = await skopeoPull(host, 'gate/scan-fails:v1', work);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /could not be scanned/);
  });

  test('130,000 package.json files: the CRITICAL package is found, or the scan is incomplete; never "0 packages, served"', async () => {
    const { gz, diffId } = await manyPackagesLayer(130_000, await mkdtemp(join(work, 'many-')));
    const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } })));
    const digest = await push(base, 'gate/many', 'v1', { layers: [{ blob: blobOf(gz), mediaType: GZIP_LAYER }], config });
    await registry.scanner!.idle();
    const scan = await registry.services.metadata.getScan(digest);
    assert.ok(scan?.state === 'done' || scan?.state === 'failed', scan?.state);
    const d = await denial(base, 'gate/many', 'v1');
    assert.equal(d.status, 403);
    assert.match(d.message ?? '', /1 CRITICAL|partly scanned|could not be scanned/);
  });

  test('an accessory stays readable: a cosign signature manifest (JSON layer) is served and never scanned as an image', async () => {
    const payload = blobOf(Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': 'sha256:00' } } })));
    const config = blobOf(Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [payload.digest] }, config: {} })));
    const digest = await push(base, 'gate/plain', 'sha256-00.sig', { layers: [{ blob: payload, mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }], config });
    await registry.scanner!.idle();
    assert.equal((await registry.services.metadata.getScan(digest))?.state, 'skipped');
    assert.equal((await denial(base, 'gate/plain', 'sha256-00.sig')).status, 200);
  });

  test('a Helm chart (a tarball under a chart config no runtime accepts) is an accessory: served, not scanned', async () => {
    const chart = await tarOf([{ name: 'chart/Chart.yaml', body: 'apiVersion: v2\nname: chart\nversion: 1.0.0\n' }]);
    const config = blobOf(Buffer.from(JSON.stringify({ name: 'chart', version: '1.0.0', apiVersion: 'v2' })));
    const digest = await push(base, 'gate/chart', '1.0.0', {
      layers: [{ blob: blobOf(compress(chart, 'gzip')), mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }],
      config,
      configMediaType: 'application/vnd.cncf.helm.config.v1+json',
    });
    await registry.scanner!.idle();
    assert.equal((await registry.services.metadata.getScan(digest))?.state, 'skipped');
    assert.equal((await denial(base, 'gate/chart', '1.0.0')).status, 200);
  });

  test('the log has a line for each push, scan and refusal', () => {
    const pushes = logLines.filter((l) => l.event === 'push' && l.repository === 'gate/plain');
    assert.ok(pushes.length >= 1, JSON.stringify(logLines.slice(0, 5)));
    assert.match(String(pushes[0]?.digest), /^sha256:[0-9a-f]{64}$/);
    const scans = logLines.filter((l) => l.event === 'scan' && l.repository === 'gate/plain');
    assert.ok(scans.some((l) => l.state === 'done' && (l.counts as Record<string, number>).CRITICAL === 1), JSON.stringify(scans));
    const failed = logLines.find((l) => l.event === 'scan' && l.repository === 'gate/scan-fails');
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.level, 'warn');
    const denied = logLines.filter((l) => l.event === 'pull.denied');
    assert.ok(denied.some((l) => l.repository === 'gate/plain' && /CRITICAL/.test(String(l.reason))), JSON.stringify(denied));
    const requests = logLines.filter((l) => l.event === 'request' && l.route === 'manifest' && l.status === 403);
    assert.ok(requests.length >= 1);
    for (const r of requests) {
      assert.equal(typeof r.durationMs, 'number');
      assert.equal(typeof r.reqId, 'string');
      assert.equal(r.method, 'GET');
    }
  });
});

/** Holds back reads of one blob until released: a scan that is still running, at the storage boundary. */
function holdingReads(inner: BlobStore, held: Digest): { store: BlobStore; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store = Object.create(inner) as BlobStore;
  store.read = async (digest, range) => {
    if (digest === held) await gate;
    return inner.read(digest, range);
  };
  return { store, release };
}

test('an image whose scan has not finished is refused; once the scan is done the finding decides', async () => {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-gates-pending-'));
  const dbPath = join(work, 'advisories.sqlite');
  await importPaths(dbPath, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  const parts = await image([await tarOf(MINIMIST)]);
  const inner = new FilesystemBlobStore(join(work, 'blobs'));
  const { store, release } = holdingReads(inner, parts.layers[0]!.blob.digest);
  const metadata = new SqliteMetadataStore(join(work, 'registry.sqlite'));
  const classifier = new ManifestClassifier(store);
  // The scanner reads through the held store; the registry API and policy through the plain one.
  const scanner = new ScanService({ blobs: store, metadata, classifier: new ManifestClassifier(inner), dbPath, rescanIntervalMs: 0 });
  await scanner.start();
  const registry = await startPortcullisRegistry({ blobs: inner, metadata, events: scanner, pullPolicy: createPullPolicy({ classifier, metadata, denySeverity: 'CRITICAL' })! });
  try {
    await push(registry.url, 'gate/pending', 'v1', parts);
    const pending = await denial(registry.url, 'gate/pending', 'v1');
    assert.equal(pending.status, 403);
    assert.match(pending.message ?? '', /(waiting to be|being) scanned/);
    const refused = await skopeoPull(registry.host, 'gate/pending:v1', work);
    assert.notEqual(refused.code, 0);
    release();
    await scanner.idle();
    const after = await denial(registry.url, 'gate/pending', 'v1');
    assert.match(after.message ?? '', /1 CRITICAL/);
  } finally {
    release();
    await scanner.close();
    await registry.close();
    await rm(work, { recursive: true, force: true });
  }
});

test('without an advisory database every image waits, refused, with the reason; --allow-unscanned is the explicit way out', async () => {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-gates-nodb-'));
  const logs = new PassThrough();
  try {
    for (const allowUnscanned of [false, true]) {
      const config = await buildConfig(
        { addr: '127.0.0.1:0', root: join(work, `data-${allowUnscanned}`), db: join(work, 'missing.sqlite'), rescanInterval: '0', denySeverity: 'CRITICAL', ...(allowUnscanned ? { allowUnscanned } : {}) },
        { stdout: logs, stderr: new PassThrough(), env: process.env },
      );
      const registry = await startRegistry({ ...config, log: createLog({ level: 'silent' }) });
      try {
        await push(registry.url, 'gate/nodb', 'v1', await image([await tarOf(MINIMIST)]));
        await registry.scanner!.idle();
        const d = await denial(registry.url, 'gate/nodb', 'v1');
        if (allowUnscanned) {
          assert.equal(d.status, 200, 'explicitly allowed while no result exists');
        } else {
          assert.equal(d.status, 403);
          assert.match(d.message ?? '', /waiting to be scanned \(no advisory database yet/);
        }
      } finally {
        await registry.close();
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('the flags: --deny-unscanned is accepted (the default now), contradictions and --no-scan with a deny rule are usage errors', async () => {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env };
  const config = await buildConfig({ denySeverity: 'HIGH', denyUnscanned: true }, io);
  assert.equal(config.allowUnscanned, false);
  await assert.rejects(buildConfig({ denySeverity: 'HIGH', denyUnscanned: true, allowUnscanned: true }, io), /contradict/);
  await assert.rejects(buildConfig({ allowUnscanned: true }, io), /--allow-unscanned needs --deny-severity/);
  await assert.rejects(buildConfig({ denySeverity: 'HIGH', scan: false }, io), /--no-scan scans nothing/);
});
