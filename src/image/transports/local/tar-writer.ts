/**
 * Writes a plain tar file with positioned writes, so an entry whose size (or
 * name) is only known once its content has streamed through can get its
 * header afterwards: a placeholder header is written first, the content
 * follows, then the header is rewritten in place. A failed entry is undone by
 * truncating the file back to where the entry started. One writer per file;
 * callers serialise their calls (see Mutex).
 */
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { ImageError } from '../../errors.js';
import { fsError } from './files.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

export interface EntryOptions {
  mode?: number;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

export class TarFileWriter {
  private position = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  /** Creates `path` exclusively (it must not exist). */
  static async create(path: string): Promise<TarFileWriter> {
    try {
      return new TarFileWriter(path, await fs.open(path, 'wx', 0o644));
    } catch (error) {
      throw fsError(error, path);
    }
  }

  get size(): number {
    return this.position;
  }

  async addBytes(name: string, data: Uint8Array, mode = 0o644): Promise<void> {
    const start = this.position;
    try {
      await this.writeHeaders(name, data.length, { mode });
      await this.write(data);
      await this.pad();
    } catch (error) {
      await this.rollback(start);
      throw error;
    }
  }

  async addDirectory(name: string): Promise<void> {
    await this.writeHeaders(name.endsWith('/') ? name : `${name}/`, 0, { type: 'directory', mode: 0o755 });
  }

  async addSymlink(name: string, target: string): Promise<void> {
    await this.writeHeaders(name, 0, { type: 'symlink', linkname: target, mode: 0o777 });
  }

  /**
   * Streams `content` in as one entry. `finalName`, when given, is called after
   * the content has been written and its result replaces `name` in the header
   * (both must fit a plain ustar header). On any error the entry is removed
   * and the error rethrown.
   */
  async addStream(name: string, content: Readable | AsyncIterable<Uint8Array>, finalName?: () => string): Promise<{ size: number }> {
    const start = this.position;
    try {
      await this.writeHeaders(name, 0, {});
      const headerAt = this.position - BLOCK;
      let size = 0;
      for await (const chunk of content) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buf.length;
        await this.write(buf);
      }
      await this.pad();
      const header = encodeHeader(finalName ? finalName() : encodeHeader(name, 0, {}) ? name : shortName(name), size, {});
      if (!header) throw new Error(`tar entry name too long for a plain header: ${name}`);
      await this.handle.write(header, 0, BLOCK, headerAt);
      return { size };
    } catch (error) {
      await this.rollback(start);
      throw error;
    }
  }

  /** Cuts the file back to `position` (undoes the entries written since). */
  async rollback(position: number): Promise<void> {
    if (this.closed) return;
    await this.handle.truncate(position);
    this.position = position;
  }

  /** Writes the end-of-archive marker and closes the file. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private async writeHeaders(name: string, size: number, options: EntryOptions): Promise<void> {
    const plain = encodeHeader(name, size, options);
    if (plain) {
      await this.write(plain);
      return;
    }
    // The name does not fit ustar: a PAX extended header carries it.
    const record = paxRecord('path', name);
    const pax = encodeHeader('PaxHeader', record.length, { type: 'file' }, 'x');
    if (!pax) throw new Error('unreachable: PAX header');
    await this.write(pax);
    await this.write(record);
    await this.pad();
    const short = encodeHeader(shortName(name), size, options);
    if (!short) throw new Error('unreachable: short name');
    await this.write(short);
  }

  private async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new ImageError('IO_ERROR', `${this.path}: write after close`);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }

  private async pad(): Promise<void> {
    const rest = this.position % BLOCK;
    if (rest !== 0) await this.write(Buffer.alloc(BLOCK - rest));
  }
}

/** The name put in the ustar header that follows a PAX header carrying the full name. */
function shortName(name: string): string {
  return name.slice(-99).replace(/^\/+/, '');
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`, 'utf8');
}

/** A ustar header, or undefined when the name cannot be expressed in one. */
function encodeHeader(name: string, size: number, options: EntryOptions, typeflag?: string): Buffer | undefined {
  const header = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length <= 100) {
    nameBytes.copy(header, 0);
  } else {
    // split at a slash into prefix (≤155) and name (≤100)
    let split = -1;
    for (let i = nameBytes.length - 1; i > 0; i--) {
      if (nameBytes[i] === 0x2f && nameBytes.length - i - 1 <= 100 && i <= 155) {
        split = i;
        break;
      }
    }
    if (split < 0) return undefined;
    nameBytes.subarray(split + 1).copy(header, 0);
    nameBytes.subarray(0, split).copy(header, 345);
  }
  const type = options.type ?? 'file';
  writeOctal(header, 100, 8, options.mode ?? 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  if (size > MAX_OCTAL_SIZE) {
    header[124] = 0x80;
    let rest = size;
    for (let i = 135; i > 124; i--) {
      header[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  } else {
    writeOctal(header, 124, 12, size);
  }
  writeOctal(header, 136, 12, 0);
  header.write(typeflag ?? (type === 'directory' ? '5' : type === 'symlink' ? '2' : '0'), 156, 'latin1');
  if (options.linkname !== undefined) {
    const link = Buffer.from(options.linkname, 'utf8');
    if (link.length > 100) return undefined;
    link.copy(header, 157);
  }
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'latin1');
}

/** Serialises async work: one archive writer, one entry at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
