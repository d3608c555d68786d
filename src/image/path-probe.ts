/**
 * What is at a path a user typed without a transport prefix (`scan
 * ./image.tar`, `sbom ./examples/hello`), so that each transport can say
 * whether it is its kind of image (Transport.claimsPath) and the registry of
 * transports stays the one place that knows the formats.
 *
 * Looking is cheap and bounded: a directory is asked about named entries
 * only (one stat each, never listed); a file is read as a plain tar by its
 * 512-byte headers (TarIndex, capped at its entry limit), never by content;
 * a FIFO, device or socket is never opened; a compressed file is recognised
 * by its first bytes so the message can say "decompress it first".
 */
import { promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import { PortcullisError } from '../core/errors.js';
import { sniffCompression } from './transports/local/compression.js';
import { openRegular } from './transports/local/files.js';
import { TarIndex } from './transports/local/tar-index.js';

export interface PathProbe {
  /** The path as the user typed it (after `~` expansion). */
  readonly path: string;
  readonly kind: 'directory' | 'tar' | 'other';
  /** For `other`: what the file is instead, for messages ("not a tar archive", "gzip-compressed", "a FIFO"). */
  readonly description: string;
  /** For `other`, when there is one thing to do about it ("decompress it first: gunzip -k FILE"). */
  readonly advice?: string;
  /** True when the directory or tar has a top-level regular file of this name. */
  has(name: string): Promise<boolean>;
}

/** Looks at an existing path (its `stat` already taken). Errors other than "not a tar" propagate. */
export async function probePath(path: string, stats: Stats): Promise<PathProbe> {
  if (stats.isDirectory()) {
    return {
      path,
      kind: 'directory',
      description: 'a directory',
      has: async (name) => (await fs.stat(join(path, name)).catch(() => undefined))?.isFile() === true,
    };
  }
  if (!stats.isFile()) return other(path, `not a regular file (${specialKind(stats)})`);
  const head = await readHead(path, 512);
  const compression = sniffCompression(head);
  if (compression !== 'none') {
    const tool = compression === 'gzip' ? 'gunzip' : 'unzstd';
    return { ...other(path, `${compression}-compressed`), advice: `image archives are read as plain tars; decompress it first (${tool} -k ${path})` };
  }
  let index: TarIndex;
  try {
    index = await TarIndex.open(path, path);
  } catch (error) {
    if (error instanceof PortcullisError && error.code === 'ARCHIVE_INVALID' && !looksLikeTar(head)) return other(path, 'not a tar archive');
    throw error;
  }
  return { path, kind: 'tar', description: 'a tar archive', has: async (name) => index.find(name) !== undefined };
}

function other(path: string, description: string): PathProbe {
  return { path, kind: 'other', description, has: async () => false };
}

async function readHead(path: string, count: number): Promise<Buffer> {
  const { handle } = await openRegular(path, path);
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A ustar header carries `ustar` at offset 257; older tars have only a checksum, which TarIndex checks. */
function looksLikeTar(head: Buffer): boolean {
  return head.length >= 263 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}
