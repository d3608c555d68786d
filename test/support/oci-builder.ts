/**
 * Builds OCI image layouts for tests, including deliberately broken ones:
 * layers from tar entries (gzip, zstd via the real zstd CLI, or none), raw
 * manifest/index bytes, truncated or tampered blobs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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
