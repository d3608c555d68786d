/**
 * Builds OCI image layouts for tests, including deliberately broken ones:
 * layers from tar entries (gzip, zstd via the real zstd CLI, or none), raw
 * manifest/index bytes, truncated or tampered blobs; and huge layers
 * (`writeStreamedLayer`: hundreds of thousands of entries from a generator,
 * streamed to the blob file without holding the tar in memory).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

type HeaderArgument = Partial<Header> & Pick<Header, 'name'>;

export interface TarEntry {
  name: string;
  body?: string | Buffer;
  type?: Header['type'];
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const header: HeaderArgument = {
      name: e.name,
      mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
      mtime: new Date('2026-01-01T00:00:00Z'),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      type: e.type ?? 'file',
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    p.entry(header, e.body ?? '');
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export type Compression = 'gzip' | 'zstd' | 'none';

export function compress(data: Buffer, how: Compression): Buffer {
  if (how === 'gzip') return gzipSync(data);
  if (how === 'zstd') return execFileSync('zstd', ['-q', '-c', '-'], { input: data });
  return data;
}

export const LAYER_MEDIA_TYPE: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export interface LayerSpec {
  entries?: readonly TarEntry[];
  /** A blob already in the layout (from `writeStreamedLayer`). */
  written?: StreamedLayer;
  /** Raw stored bytes instead of entries (e.g. a truncated gzip). */
  raw?: Buffer;
  compression?: Compression;
  mediaType?: string;
  /** Override the diff_id recorded in the config. */
  diffId?: string;
}

export interface BuiltLayout {
  dir: string;
  /** `oci:DIR:REF` */
  name: string;
  manifestDigest: string;
  manifest: Record<string, unknown>;
  /** Path of a blob file by digest. */
  blobPath(digest: string): string;
}

export interface LayoutSpec {
  layers: readonly LayerSpec[];
  ref?: string;
  config?: Record<string, unknown>;
  /** Replace the manifest bytes entirely. */
  rawManifest?: Buffer;
  manifestMediaType?: string;
  dir?: string;
}

export async function writeBlob(dir: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const hex = sha256(buf);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', hex), buf);
  return { digest: `sha256:${hex}`, size: buf.length };
}

export async function buildLayout(spec: LayoutSpec): Promise<BuiltLayout> {
  const dir = spec.dir ?? (await mkdtemp(join(tmpdir(), 'portcullis-layout-')));
  const ref = spec.ref ?? 'latest';
  const layers: Array<{ mediaType: string; digest: string; size: number }> = [];
  const diffIds: string[] = [];
  for (const layer of spec.layers) {
    if (layer.written) {
      const w = layer.written;
      layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
      diffIds.push(layer.diffId ?? w.diffId);
      continue;
    }
    const how = layer.compression ?? 'gzip';
    const tar = layer.entries ? await tarOf(layer.entries) : Buffer.alloc(0);
    const stored = layer.raw ?? compress(tar, how);
    const blob = await writeBlob(dir, stored);
    layers.push({ mediaType: layer.mediaType ?? LAYER_MEDIA_TYPE[how], ...blob });
    diffIds.push(layer.diffId ?? `sha256:${sha256(tar)}`);
  }
  const config = spec.config ?? {
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map((_l, i) => ({ created_by: `layer ${i}` })),
  };
  const configBlob = await writeBlob(dir, JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: spec.manifestMediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers,
  };
  const manifestBytes = spec.rawManifest ?? Buffer.from(JSON.stringify(manifest));
  const manifestBlob = await writeBlob(dir, manifestBytes);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: spec.manifestMediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        ...manifestBlob,
        annotations: { 'org.opencontainers.image.ref.name': ref },
      },
    ],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return {
    dir,
    name: `oci:${dir}:${ref}`,
    manifestDigest: manifestBlob.digest,
    manifest,
    blobPath: (digest: string) => join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')),
  };
}

export interface StreamedLayer {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly mediaType: string;
}

/** Counts and hashes what passes through. */
class Digester extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

/** A ustar header (names up to 100 bytes; enough for generated layers), checksum filled in. */
function ustarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.from(e.name);
  if (name.length > 100) throw new Error(`writeStreamedLayer: name longer than 100 bytes: ${e.name}`);
  const octal = (value: number, at: number, width: number): void => {
    h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'ascii');
  };
  name.copy(h, 0);
  octal(e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), 100, 8);
  octal(e.uid ?? 0, 108, 8);
  octal(e.gid ?? 0, 116, 8);
  octal(size, 124, 12);
  octal(Date.parse('2026-01-01T00:00:00Z') / 1000, 136, 12);
  h.write(' '.repeat(8), 148, 8, 'ascii');
  h.write(e.type === 'directory' ? '5' : e.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (e.linkname !== undefined) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** The tar stream of `entries`, a batch of entries per chunk; ends with the two zero blocks. */
function* tarChunks(entries: Iterable<TarEntry>): Generator<Buffer> {
  let batch: Buffer[] = [];
  let bytes = 0;
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body);
    batch.push(ustarHeader(e, body.length), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) batch.push(Buffer.alloc(pad));
    bytes += 512 + body.length + pad;
    if (bytes >= 1 << 20) {
      yield Buffer.concat(batch);
      batch = [];
      bytes = 0;
    }
  }
  batch.push(Buffer.alloc(1024));
  yield Buffer.concat(batch);
}

/**
 * Writes a layer blob into `dir` (an OCI layout being built) from entries
 * yielded one at a time: tar (ustar headers written here: tar-stream's
 * per-entry callbacks made 130,000 entries take 12 s) → gzip level 1 → file,
 * hashing both sides, so a layer of 130,000 files costs a second or two and
 * no memory. Pass the result to `buildLayout` as `{ written }`.
 */
export async function writeStreamedLayer(dir: string, entries: Iterable<TarEntry>, compression: 'gzip' | 'none' = 'gzip'): Promise<StreamedLayer> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const tmp = join(dir, 'blobs', 'sha256', `streaming-${process.pid}-${Date.now()}`);
  const uncompressed = new Digester();
  const stored = new Digester();
  const source = Readable.from(tarChunks(entries));
  if (compression === 'gzip') await pipeline(source, uncompressed, createGzip({ level: 1 }), stored, createWriteStream(tmp));
  else await pipeline(source, uncompressed, stored, createWriteStream(tmp));
  const hex = stored.hash.digest('hex');
  await rename(tmp, join(dir, 'blobs', 'sha256', hex));
  return { digest: `sha256:${hex}`, size: stored.size, diffId: `sha256:${uncompressed.hash.digest('hex')}`, mediaType: LAYER_MEDIA_TYPE[compression] };
}
