/**
 * A stream pipeline into a new file that leaves no file behind when it fails.
 *
 * Why not `pipeline(source, …, createWriteStream(path))` and a removal in the
 * catch: the pipeline rejects as soon as a stage fails, and when that is
 * early (a digest mismatch on the first chunk, a source that errors at once)
 * the write stream may not have opened its file yet. Its open still completes
 * afterwards and creates the file, so a removal made right after the
 * rejection can run first and the file stays: OCI layouts kept `.tmp-*`
 * files after a refused blob (oci-layout.peer, under load). Here the removal
 * waits until the write stream has closed its descriptor.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface FileSinkOptions {
  /** `wx` (the default: a new file, never one already there), `w` or `a`. */
  readonly flags?: 'wx' | 'w' | 'a';
  readonly mode?: number;
}

function closed(out: WriteStream): Promise<void> {
  if (out.closed) return Promise.resolve();
  return new Promise((resolve) => out.once('close', () => resolve()));
}

/**
 * Streams `source` through `stages` into `path`. On failure the file this
 * call opened is removed once its descriptor is closed (with `a`, the whole
 * file: use it only for files that are this call's alone), and the
 * pipeline's error is thrown.
 */
export async function pipeIntoFile(source: Readable | AsyncIterable<Uint8Array>, stages: readonly Transform[], path: string, options: FileSinkOptions = {}): Promise<void> {
  const out = createWriteStream(path, { flags: options.flags ?? 'wx', ...(options.mode !== undefined ? { mode: options.mode } : {}) });
  // Only a file this stream opened is removed: with `wx`, one already there (EEXIST) is someone else's.
  let opened = false;
  out.once('open', () => {
    opened = true;
  });
  try {
    await pipeline([source, ...stages, out] as unknown as Parameters<typeof pipeline>[0] & readonly NodeJS.ReadWriteStream[]);
  } catch (error) {
    out.destroy();
    await closed(out); // 'open' comes before 'close', also for an open that completes after the failure
    if (opened) await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}
