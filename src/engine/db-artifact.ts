/**
 * The advisory database as an OCI artifact, so an air-gapped site mirrors it
 * through any registry with the tools it already has:
 *
 *   manifest (application/vnd.oci.image.manifest.v1+json)
 *     artifactType  application/vnd.portcullis.advisory-db.v1
 *     config        application/vnd.oci.empty.v1+json  (`{}`)
 *     layers[0]     application/vnd.portcullis.advisory-db.v1.sqlite+gzip (or +zstd on pull)
 *     annotations   created time, feeds, last update, schema version, counts
 *
 * `pushDb` snapshots the live database with `VACUUM INTO` (a consistent copy
 * even while another process reads it), compresses it and writes it through
 * any ImageDestination. `pullDb` reads it through any ImageSource (every blob
 * verified against its digest while it streams), checks the uncompressed
 * digest and that SQLite opens it, then swaps it in with one rename: readers
 * see the old database or the new one, never a mix.
 *
 * Signed databases (`pushSignedDb`, `pullVerifiedDb`): the manifest digest is
 * signed with the sign use case, exactly as an image (cosign tag layout and
 * Sigstore bundle, docs/signing.md), and a pull first resolves the tag once,
 * verifies that digest under the trust policy (verifyImage), and only then
 * reads the artifact pinned to the verified digest. A manifest changed after
 * signing is another digest, which nobody signed; changed layer bytes fail the
 * blob digest while streaming; in both cases the file in place is untouched.
 *
 * An entry of `engine` of its own (docs/architecture.md): `db push` and
 * `db pull`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { PortcullisError, assertRegularOrMissing, pipeIntoFile, type Digest, type Descriptor } from '../core/index.js';
import type { SystemContext } from '../image/index.js';
import { ZstdDecompressor } from '../layers/index.js';
import { dbStatus, SqliteAdvisoryStore } from '../vuln/index.js';
import { openDestination, openSource } from './open.js';
import { formatImageRef } from '../core/index.js';
import { refusal, registryRef, signImage, TrustError, verifyImage, type SignLayout, type SignResult, type TrustContext, type VerifyOptions, type VerifyReport } from './trust/index.js';
import type { UnlockedKey } from '../trust/index.js';

export const DB_ARTIFACT_TYPE = 'application/vnd.portcullis.advisory-db.v1';
export const DB_LAYER_GZIP = 'application/vnd.portcullis.advisory-db.v1.sqlite+gzip';
export const DB_LAYER_ZSTD = 'application/vnd.portcullis.advisory-db.v1.sqlite+zstd';
export const OCI_EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY_BYTES = Buffer.from('{}');
const EMPTY_DIGEST: Digest = `sha256:${createHash('sha256').update(EMPTY_BYTES).digest('hex')}`;
/** Manifests above this are refused on pull. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Uncompressed databases above this are refused on pull (default 8 GiB). */
export const MAX_DB_BYTES = 8 * 1024 * 1024 * 1024;

export const ANNOTATION = {
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  sources: 'io.portcullis.db.sources',
  updated: 'io.portcullis.db.updated',
  schema: 'io.portcullis.db.schema-version',
  advisories: 'io.portcullis.db.advisories',
  sqliteDigest: 'io.portcullis.db.sqlite.digest',
  sqliteSize: 'io.portcullis.db.sqlite.size',
} as const;

export type DbArtifactErrorCode = 'DB_MISSING' | 'ARTIFACT_INVALID';
export class DbArtifactError extends PortcullisError<DbArtifactErrorCode> {}

export interface PushResult {
  readonly reference: string;
  readonly manifestDigest: Digest;
  readonly layer: Descriptor;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PullResult {
  readonly reference: string;
  readonly manifestDigest: Digest;
  readonly dbPath: string;
  readonly bytes: number;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface DbArtifactOptions {
  readonly onProgress?: (phase: 'snapshot' | 'compress' | 'upload' | 'download' | 'verify' | 'swap', bytes?: number) => void;
  readonly now?: Date;
}

class Counter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly limit = Infinity, private readonly onBytes?: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new DbArtifactError('ARTIFACT_INVALID', `the database in the artifact is larger than ${this.limit} bytes`));
      return;
    }
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

function tmpName(path: string, what: string): string {
  return `${path}.${what}-${process.pid}-${Date.now()}`;
}

/** Pushes the database at `dbPath` to `reference` (any transport: `docker://host/repo:tag`, `oci:dir:tag`, …). */
export async function pushDb(dbPath: string, reference: string, context: SystemContext, options: DbArtifactOptions = {}): Promise<PushResult> {
  const status = await dbStatus(dbPath);
  if (!status.exists) throw new DbArtifactError('DB_MISSING', `no advisory database at ${dbPath}: run "portcullis db update" or "portcullis db import PATH…" first`);
  const snapshot = tmpName(dbPath, 'snapshot');
  const gz = `${snapshot}.gz`;
  try {
    options.onProgress?.('snapshot');
    const store = new SqliteAdvisoryStore(dbPath, { readonly: true });
    try {
      store.db.prepare('VACUUM INTO ?').run(snapshot);
    } finally {
      await store.close();
    }
    options.onProgress?.('compress');
    const raw = new Counter();
    const packed = new Counter();
    await pipeline(createReadStream(snapshot), raw, createGzip({ level: 6 }), packed, createWriteStream(gz));
    const created = (options.now ?? new Date()).toISOString();
    const annotations: Record<string, string> = {
      [ANNOTATION.created]: created,
      [ANNOTATION.sources]: status.sources.map((s) => s.feed).join(','),
      [ANNOTATION.schema]: String(status.schemaVersion ?? ''),
      [ANNOTATION.advisories]: String(status.advisories),
      ...(status.lastUpdate ? { [ANNOTATION.updated]: status.lastUpdate } : {}),
    };
    const layer: Descriptor = {
      mediaType: DB_LAYER_GZIP,
      digest: packed.digest(),
      size: packed.bytes,
      annotations: {
        [ANNOTATION.title]: 'advisories.sqlite.gz',
        [ANNOTATION.sqliteDigest]: raw.digest(),
        [ANNOTATION.sqliteSize]: String(raw.bytes),
      },
    };
    const config: Descriptor & { data: string } = { mediaType: OCI_EMPTY_CONFIG, digest: EMPTY_DIGEST, size: EMPTY_BYTES.length, data: EMPTY_BYTES.toString('base64') };
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: DB_ARTIFACT_TYPE,
      config,
      layers: [layer],
      annotations,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const dest = await openDestination(reference, context);
    try {
      options.onProgress?.('upload');
      if (!(await dest.hasBlob(config))) await dest.putBlob(config, Readable.from([EMPTY_BYTES]));
      if (!(await dest.hasBlob(layer))) await dest.putBlob(layer, createReadStream(gz));
      await dest.putManifest({ bytes, mediaType: OCI_MANIFEST, digest: manifestDigest });
      await dest.commit();
    } finally {
      await dest.close();
    }
    return { reference, manifestDigest, layer, annotations };
  } finally {
    await rm(snapshot, { force: true });
    await rm(gz, { force: true });
  }
}

interface ArtifactManifest {
  artifactType?: string;
  mediaType?: string;
  config?: { mediaType?: string };
  layers?: Descriptor[];
  annotations?: Record<string, string>;
}

/** Pulls the database artifact at `reference` and swaps it in at `dbPath` atomically. */
export async function pullDb(reference: string, dbPath: string, context: SystemContext, options: DbArtifactOptions = {}): Promise<PullResult> {
  // The swap renames over dbPath: never over a device, FIFO or directory (`--db /dev/null`).
  await assertRegularOrMissing(dbPath, `the database ${dbPath}`);
  const source = await openSource(reference, context);
  await mkdir(dirname(dbPath), { recursive: true });
  const tmp = tmpName(dbPath, 'pull');
  try {
    const blob = await source.getManifest();
    if (blob.bytes.length > MAX_MANIFEST_BYTES) throw new DbArtifactError('ARTIFACT_INVALID', `${reference}: manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
    let manifest: ArtifactManifest;
    try {
      manifest = JSON.parse(blob.bytes.toString('utf8')) as ArtifactManifest;
    } catch (error) {
      throw new DbArtifactError('ARTIFACT_INVALID', `${reference}: the manifest is not JSON`, { cause: error });
    }
    const type = manifest.artifactType ?? manifest.config?.mediaType;
    if (type !== DB_ARTIFACT_TYPE) {
      throw new DbArtifactError('ARTIFACT_INVALID', `${reference} is not a portcullis advisory database (artifactType ${JSON.stringify(type ?? null)}, expected ${DB_ARTIFACT_TYPE})`);
    }
    const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
    const layer = layers.find((l) => l && (l.mediaType === DB_LAYER_GZIP || l.mediaType === DB_LAYER_ZSTD));
    if (!layer || layers.length !== 1) throw new DbArtifactError('ARTIFACT_INVALID', `${reference}: expected exactly one ${DB_LAYER_GZIP} (or +zstd) layer`);
    options.onProgress?.('download');
    const stream = await source.getBlob(layer);
    const raw = new Counter(MAX_DB_BYTES, (n) => options.onProgress?.('download', n));
    const inflate = layer.mediaType === DB_LAYER_ZSTD ? new ZstdDecompressor() : createGunzip();
    await pipeIntoFile(stream, [inflate, raw, new PassThrough()], tmp, { flags: 'w', mode: 0o644 });
    options.onProgress?.('verify');
    const expected = layer.annotations?.[ANNOTATION.sqliteDigest];
    const got = raw.digest();
    if (expected && expected !== got) throw new DbArtifactError('ARTIFACT_INVALID', `${reference}: the database digest is ${got}, the artifact says ${expected}`);
    const check = new SqliteAdvisoryStore(tmp, { readonly: true });
    try {
      const result = check.db.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw new DbArtifactError('ARTIFACT_INVALID', `${reference}: the database fails SQLite's quick_check: ${String(result)}`);
      await check.status();
    } finally {
      await check.close();
    }
    options.onProgress?.('swap');
    await swapIn(tmp, dbPath);
    return { reference, manifestDigest: blob.digest, dbPath, bytes: raw.bytes, annotations: manifest.annotations ?? {} };
  } finally {
    await source.close();
    await rm(tmp, { force: true });
    await rm(`${tmp}-wal`, { force: true });
    await rm(`${tmp}-shm`, { force: true });
  }
}

/** Replaces the database with `tmp` in one rename, after folding the old WAL so no stale log outlives it. */
async function swapIn(tmp: string, dbPath: string): Promise<void> {
  const exists = await stat(dbPath).then(
    () => true,
    () => false,
  );
  if (exists) {
    try {
      const old = new SqliteAdvisoryStore(dbPath);
      try {
        old.db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        await old.close();
      }
    } catch {
      // an unreadable old database is simply replaced
    }
  }
  await rename(tmp, dbPath);
  await rm(`${dbPath}-wal`, { force: true });
  await rm(`${dbPath}-shm`, { force: true });
}

export interface SignedPushResult extends PushResult {
  readonly signature: SignResult;
}

export interface DbSignOptions extends DbArtifactOptions {
  readonly key: UnlockedKey;
  readonly layout?: SignLayout;
  readonly trust?: Omit<TrustContext, 'context'>;
}

/**
 * Pushes the database, then signs the pushed manifest digest with `key` in the
 * image layouts (the sign use case). The reference must be a registry: that is
 * where signatures live; this is checked before anything is uploaded.
 */
export async function pushSignedDb(dbPath: string, reference: string, context: SystemContext, options: DbSignOptions): Promise<SignedPushResult> {
  const ref = registryRef(reference);
  const pushed = await pushDb(dbPath, reference, context, options);
  const pinned = `docker://${formatImageRef({ registry: ref.registry, repository: ref.repository, digest: pushed.manifestDigest })}`;
  const signature = await signImage(pinned, { ...options.trust, context, key: options.key, ...(options.layout ? { layout: options.layout } : {}) });
  return { ...pushed, signature };
}

export interface VerifiedPullResult extends PullResult {
  /** The verification that allowed the pull (absent with `skipVerify`). */
  readonly verification?: VerifyReport;
  /** Policy warnings (`action: warn`). */
  readonly warnings: readonly string[];
  /** The verified digest was `current`: nothing was downloaded or swapped. */
  readonly unchanged?: boolean;
}

export interface DbVerifyOptions extends DbArtifactOptions {
  /** The trust store, `--key` files, policy and its keys (as `verify` takes them). */
  readonly trust: Omit<VerifyOptions, 'context' | 'resolved'>;
  /** Pull without verifying anything (the caller warns loudly). */
  readonly skipVerify?: boolean;
  /** The digest already in place: when the verified digest is this one, nothing is downloaded (`unchanged`). */
  readonly current?: Digest;
}

/**
 * Verifies the artifact at `reference` under the trust policy, then pulls it
 * pinned to the verified digest and swaps it in. Unsigned, untrusted or a
 * policy not met: TrustError('TRUST_REFUSED') before a byte of the database
 * is read, and the file in place stays as it was.
 */
export async function pullVerifiedDb(reference: string, dbPath: string, context: SystemContext, options: DbVerifyOptions): Promise<VerifiedPullResult> {
  if (options.skipVerify) return { ...(await pullDb(reference, dbPath, context, options)), warnings: [] };
  await assertRegularOrMissing(dbPath, `the database ${dbPath}`);
  if (/^(oci|oci-archive|docker-archive|dir):/.test(reference)) {
    throw new TrustError('TRUST_REFUSED', `cannot verify ${reference}: signatures live in a registry (pull the signed artifact from docker://HOST/REPO:TAG, or pass --insecure-skip-verify to use it unverified)`);
  }
  const ref = registryRef(reference);
  const report = await verifyImage(reference, { ...options.trust, context, contentTrust: options.trust.contentTrust ?? true });
  if (report.policy.decision === 'reject') throw refusal(report);
  const warnings = report.policy.decision === 'warn' ? [`policy ${report.policy.entry} (action warn): ${report.policy.unmet}: ${report.policy.reason}`] : [];
  if (options.current === report.digest) return { reference, manifestDigest: report.digest, dbPath, bytes: 0, annotations: {}, verification: report, warnings, unchanged: true };
  const pinned = `docker://${formatImageRef({ registry: ref.registry, repository: ref.repository, digest: report.digest })}`;
  const pulled = await pullDb(pinned, dbPath, context, options);
  return { ...pulled, reference, verification: report, warnings };
}
