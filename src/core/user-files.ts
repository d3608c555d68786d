/**
 * Files the user names (`-o report.json`, `--sbom x.json`, `--authfile`,
 * `oci-archive:FILE`, an OCI layout's `index.json`…), read and written so
 * that a name which is not what we expect can neither hang the process nor
 * damage the machine:
 *
 * - Reading: the file is opened with O_NONBLOCK and checked with fstat on
 *   the opened descriptor, so a FIFO, a terminal or a socket is refused at
 *   once ("… is not a regular file") instead of blocking forever in open()
 *   or read(). Checking the descriptor (not the name) leaves no window
 *   between the check and the read. The null device is the one exception:
 *   it reads as an empty file.
 * - Writing: only a regular file, or a name that does not exist yet, is
 *   written atomically (temporary file beside it, fsync, rename); renaming
 *   over anything else would replace it — as root, `-o /dev/null` used to
 *   turn /dev/null into a regular file. Character devices and FIFOs (and the
 *   `/dev/stdout`, `/dev/fd/N` aliases of a descriptor) are opened for
 *   writing and written directly, as a shell redirection would; a directory,
 *   a block device or a socket is refused.
 *
 * Written by hand: no npm package checks the descriptor it reads from, and
 * write-file-atomic (the usual choice) renames over whatever the name is.
 */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, promises as fs, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CoreError, PortcullisError } from './errors.js';

export type UserFileErrorCode =
  /** A file the user named is a directory, FIFO, device or socket where a regular file is needed. */
  | 'FILE_NOT_REGULAR'
  /** Writing a file the user named failed (missing directory, permissions, disk full). */
  | 'FILE_WRITE_FAILED'
  /** The output exists and the command does not overwrite (`key backup -o`). */
  | 'FILE_EXISTS';

export class UserFileError extends PortcullisError<UserFileErrorCode> {}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** What a non-regular file is, for messages. */
export function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(what: string, stats: Stats): UserFileError {
  return new UserFileError('FILE_NOT_REGULAR', `${what} is not a regular file (it is ${describeKind(stats)})`);
}

// ---------------------------------------------------------------- reading

/**
 * Opens `path` for reading, refusing anything but a regular file without
 * blocking on it. fs errors (ENOENT, EACCES…) are thrown as they are, so
 * callers keep their own "missing file" handling.
 */
export async function openRegularFile(path: string, what: string = path): Promise<{ handle: fs.FileHandle; stats: Stats }> {
  const handle = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = await handle.stat();
    if (!stats.isFile() && !(await isNullDevice(stats))) throw notRegular(what, stats);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The null device reads as an empty file (`--ignorefile /dev/null`,
 * `--authfile /dev/null` are common ways to say "none"); it never blocks.
 */
async function isNullDevice(stats: Stats): Promise<boolean> {
  if (!stats.isCharacterDevice()) return false;
  const nul = await fs.stat('/dev/null').catch(() => undefined);
  return nul !== undefined && nul.isCharacterDevice() && nul.rdev === stats.rdev;
}

/**
 * Reads a whole regular file. With `maxBytes`, a larger file is TOO_LARGE
 * before any byte is read, and a file that grows while read stops at the cap.
 */
export async function readRegularFile(path: string, options: { what?: string; maxBytes?: number } = {}): Promise<Buffer> {
  const what = options.what ?? path;
  const { handle, stats } = await openRegularFile(path, what);
  try {
    const max = options.maxBytes;
    if (max === undefined) return await handle.readFile();
    if (stats.size > max) throw new CoreError('TOO_LARGE', `${what} is ${stats.size} bytes, over the ${max}-byte limit`);
    // Sized by fstat, grown if the file grows while read, never past max + 1 bytes.
    let buffer = Buffer.alloc(Math.min(stats.size, max) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > max) throw new CoreError('TOO_LARGE', `${what} grew past the ${max}-byte limit while being read`);
        const bigger = Buffer.alloc(Math.min(buffer.length * 2, max + 1));
        buffer.copy(bigger);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------- writing

/**
 * For files that must be regular because more than bytes are kept in them
 * (a database swapped in by rename): refuses a name that exists and is not a
 * regular file, so the rename never replaces a device, FIFO or directory.
 */
export async function assertRegularOrMissing(path: string, what: string = path): Promise<void> {
  const stats = await fs.stat(path).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw writeError(error, what);
  });
  if (stats && !stats.isFile()) throw notRegular(what, stats);
}

export interface WriteUserFileOptions {
  /** Names the file in messages (default: the path). */
  what?: string;
  /** Mode of a newly created file (default 0644; an existing device keeps its own). */
  mode?: number;
  /** Refuse an existing regular file (FILE_EXISTS) instead of replacing it. */
  exclusive?: boolean;
}

/** How a named output is written. */
export interface OutputPlan {
  /**
   * `atomic`: a regular file or a new name — temp file beside `path`, then
   * rename (or link, for exclusive). `direct`: a character device, a FIFO or
   * a descriptor alias — opened and written in place.
   */
  readonly kind: 'atomic' | 'direct';
  readonly path: string;
  /** The permission bits of the regular file being replaced (kept on the new one). */
  readonly mode?: number;
}

/** `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: a descriptor of this process, whatever it points to. */
function isDescriptorAlias(path: string): boolean {
  return /^\/dev\/(?:stdout|stderr|fd\/\d+)$/.test(path) || /^\/proc\/(?:self|\d+)\/fd\/\d+$/.test(path);
}

/**
 * Decides how `path` is written, or refuses it: a directory, block device or
 * socket is FILE_NOT_REGULAR; an existing regular file with `exclusive` is
 * FILE_EXISTS. A symbolic link to a regular file is followed (the file is
 * replaced, the link kept).
 */
export async function planOutput(path: string, options: WriteUserFileOptions = {}): Promise<OutputPlan> {
  const what = options.what ?? path;
  if (isDescriptorAlias(path)) return { kind: 'direct', path };
  let stats: Stats;
  try {
    stats = await fs.stat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return { kind: 'atomic', path };
    throw writeError(error, what);
  }
  if (stats.isCharacterDevice() || stats.isFIFO()) return { kind: 'direct', path };
  if (stats.isDirectory()) throw new UserFileError('FILE_NOT_REGULAR', `cannot write ${what}: it is a directory`);
  if (!stats.isFile()) throw new UserFileError('FILE_NOT_REGULAR', `cannot write ${what}: it is ${describeKind(stats)}, not a regular file, character device or FIFO`);
  if (options.exclusive) throw new UserFileError('FILE_EXISTS', `${what} already exists; remove it first or choose another name`);
  const real = await fs.realpath(path).catch((error: unknown) => {
    throw writeError(error, what);
  });
  return { kind: 'atomic', path: real, mode: stats.mode & 0o7777 };
}

/**
 * Writes `data` to the file the user named: atomically for a regular file or
 * a new name, in place for a character device or FIFO (see the module header).
 */
export async function writeUserFile(path: string, data: string | Uint8Array, options: WriteUserFileOptions = {}): Promise<void> {
  const what = options.what ?? path;
  const plan = await planOutput(path, options);
  if (plan.kind === 'direct') {
    const handle = await openDirect(plan.path, what);
    try {
      await handle.writeFile(data);
    } catch (error) {
      throw writeError(error, what);
    } finally {
      await handle.close();
    }
    return;
  }
  const tmp = tempPathBeside(plan.path);
  try {
    const mode = options.mode ?? plan.mode ?? 0o644;
    const handle = await fs.open(tmp, 'wx', mode);
    try {
      // open() applies the umask; an explicit mode (0600 for secrets) or the replaced file's is set exactly.
      if (options.mode !== undefined || plan.mode !== undefined) await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await place(tmp, plan.path, options.exclusive === true, what);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(error, what);
  }
}

/**
 * An output built in a temporary file first (archives are written with
 * positioned writes and cut back on failure, which a FIFO cannot do), then
 * put in place: renamed over a regular file, or streamed into a character
 * device or FIFO and the temporary file removed.
 */
export class StagedOutput {
  private done = false;

  private constructor(
    /** Where to build the content: beside the target when it will be renamed, in the temp directory otherwise. */
    readonly tempPath: string,
    readonly plan: OutputPlan,
    private readonly what: string,
    private readonly exclusive: boolean,
    private readonly mode: number | undefined,
  ) {}

  static async prepare(path: string, options: WriteUserFileOptions = {}): Promise<StagedOutput> {
    const plan = await planOutput(path, options);
    const temp = plan.kind === 'atomic' ? tempPathBeside(plan.path) : join(tmpdir(), `.portcullis-${basename(path)}.tmp-${randomSuffix()}`);
    return new StagedOutput(temp, plan, options.what ?? path, options.exclusive === true, options.mode);
  }

  /** Puts the finished temporary file in place. */
  async commit(): Promise<void> {
    if (this.done) throw new UserFileError('FILE_WRITE_FAILED', `${this.what}: output already committed or discarded`);
    this.done = true;
    try {
      if (this.plan.kind === 'atomic') {
        await syncFile(this.tempPath, this.mode ?? this.plan.mode);
        await place(this.tempPath, this.plan.path, this.exclusive, this.what);
        return;
      }
      const handle = await openDirect(this.plan.path, this.what);
      // The write stream owns the handle: it closes it when done or destroyed.
      await pipeline(createReadStream(this.tempPath), handle.createWriteStream());
    } catch (error) {
      throw writeError(error, this.what);
    } finally {
      // After a rename there is nothing left to remove; after a failure or a direct copy, the temp file goes.
      await fs.rm(this.tempPath, { force: true }).catch(() => undefined);
    }
  }

  /** Drops the temporary file (no-op after commit). */
  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await fs.rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

/** Opens a character device, FIFO or descriptor alias for writing, without creating anything; checks the descriptor. */
async function openDirect(path: string, what: string): Promise<fs.FileHandle> {
  let handle: fs.FileHandle;
  try {
    // No O_CREAT: if the device vanished since planOutput, nothing is created in its place.
    handle = await fs.open(path, constants.O_WRONLY | constants.O_TRUNC | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw writeError(error, what);
  }
  const stats = await handle.stat();
  if (stats.isDirectory() || stats.isBlockDevice() || stats.isSocket()) {
    await handle.close();
    throw new UserFileError('FILE_NOT_REGULAR', `cannot write ${what}: it is ${describeKind(stats)}`);
  }
  return handle;
}

/** rename (replace) or, for exclusive outputs, link (fails when the name exists) — both atomic. */
async function place(tmp: string, path: string, exclusive: boolean, what: string): Promise<void> {
  if (!exclusive) {
    await fs.rename(tmp, path);
    return;
  }
  try {
    await fs.link(tmp, path);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw new UserFileError('FILE_EXISTS', `${what} already exists; remove it first or choose another name`);
    throw error;
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

async function syncFile(path: string, mode: number | undefined): Promise<void> {
  const handle = await fs.open(path, 'r+');
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function randomSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** A temporary name beside `path` (same directory, so the rename is atomic). */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomSuffix()}`);
}

/** fs failure while writing → one line naming the file; portcullis errors pass through. */
function writeError(error: unknown, what: string): Error {
  if (error instanceof PortcullisError) return error;
  const code = errnoCode(error);
  const reason =
    code === 'ENOENT' ? 'its directory does not exist'
    : code === 'ENOTDIR' ? 'a component of the path is not a directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code === 'EROFS' ? 'read-only file system'
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'EPIPE' ? 'the reader went away'
    : error instanceof Error ? error.message : String(error);
  return new UserFileError('FILE_WRITE_FAILED', `cannot write ${what}: ${reason}`, { cause: error });
}
