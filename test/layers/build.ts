/**
 * Builds small layers for the tests: tar with tar-stream's pack, gzip with
 * node:zlib, zstd with the real `zstd` CLI.
 */
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { sha256Digest } from '../../src/core/digest.js';
import { MediaType } from '../../src/core/media-types.js';
import type { LayerInput } from '../../src/layers/stream.js';

export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export const file = (name: string, content: string | Buffer = name): TestEntry => ({ name, content });
export const dir = (name: string): TestEntry => ({ name, type: 'directory' });
export const symlink = (name: string, linkname: string): TestEntry => ({ name, type: 'symlink', linkname });
export const hardlink = (name: string, linkname: string): TestEntry => ({ name, type: 'link', linkname });
export const whiteout = (path: string): TestEntry => {
  const slash = path.lastIndexOf('/');
  return file(`${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, '');
};
export const opaque = (dirPath: string): TestEntry => file(`${dirPath}/.wh..wh..opq`, '');

export async function tarOf(entries: readonly TestEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (type === 'file') p.entry(header, typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0)), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const gzip = (tar: Buffer): Buffer => gzipSync(tar);
export const zstd = (tar: Buffer): Buffer => execFileSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });

export function layerOf(blob: Buffer, index = 0, mediaType: string = MediaType.OciLayerGzip, diffId?: `${string}:${string}`): LayerInput {
  return {
    origin: { index, digest: sha256Digest(blob), ...(diffId ? { diffId } : {}) },
    mediaType,
    open: async () => {
      const s = new PassThrough();
      // Several chunks, to exercise the stream boundaries.
      const step = Math.max(1, Math.ceil(blob.length / 3));
      for (let i = 0; i < blob.length; i += step) s.write(blob.subarray(i, i + step));
      s.end();
      return s;
    },
  };
}

/** gzip layers from entry lists, indexed bottom to top. */
export async function layersOf(...layers: readonly TestEntry[][]): Promise<LayerInput[]> {
  const out: LayerInput[] = [];
  for (const [i, entries] of layers.entries()) out.push(layerOf(gzip(await tarOf(entries)), i));
  return out;
}
