/**
 * What the walker saw of one layer, kept so that a later walk can replay it
 * instead of reading the blob again (the per-layer analysis cache).
 *
 * Why a recording of entries, not of packages: a layer's packages cannot be
 * merged with its neighbours' correctly (a dpkg status rewritten by an upper
 * layer, whiteouts, files hidden by a non-directory above them, symlinked
 * directories that change what a path reaches). The merge is `merge.ts`'s
 * job; replaying what it was fed — every entry of the tar in order, with the
 * bytes of the files it read — makes the same merge produce the same view,
 * byte for byte, whatever the layers above and below.
 *
 * What a recording holds: every entry's metadata (normalised path, kind,
 * mode, ids, size, mtime, link target; whiteouts included), and for a
 * regular file either the full bytes the walker read, or the mark that the
 * selector's answer for it — its own path and the symlink aliases it was
 * reached by, which are recorded with the mark — looked inside and refused
 * it (`accept`: Go and Rust binary candidates, most of them never kept), or
 * nothing (it was never read). The same path and aliases give the same
 * answer (the cache is keyed by the selector), so the mark stands for the
 * bytes. When a replay needs bytes the recording does not have (the
 * file is reached through a symlink only another stack of layers has, or a
 * second pass wants it), it throws ReplayMiss and the walker reads that
 * layer for real (walk.ts).
 *
 * Bounded: a layer with more than MAX_RECORDED_ENTRIES entries or more than
 * MAX_RECORDED_BYTES of kept bytes is not recorded (it is read every time),
 * nor is one that would take the recordings of one walk over
 * MAX_RECORDED_WALK_ENTRIES together (RecordingBudget). A recording given up
 * lets go of what it held at once.
 */
import type { Digest, LayerCompression } from '../core/index.js';
import type { EntryContent, LayerStats } from './stream.js';
import type { LayerEntry } from './tar.js';

export const MAX_RECORDED_ENTRIES = 250_000;
export const MAX_RECORDED_BYTES = 128 * 1024 * 1024;
/** Entries all the recordings of one walk may hold together: recordings live until the walk ends, so many large layers must not each keep 250,000. */
export const MAX_RECORDED_WALK_ENTRIES = 500_000;

/** Shared by the recorders of one walk: the entries they hold together. */
export class RecordingBudget {
  held = 0;
  constructor(readonly max: number = MAX_RECORDED_WALK_ENTRIES) {}
}

/** One tar entry as recorded: its metadata, and for a regular file what is known of its bytes. */
export interface RecordedEntry {
  readonly entry: LayerEntry;
  /** The whole content (its length is `entry.size`). */
  content?: Buffer;
  /** The selector's answer for the file under these aliases (sorted; none: its own path only) read it and its `accept` refused it. */
  rejected?: readonly string[];
  /** The selector's answer for the file's own path (not its aliases) is no: a replay need not ask. */
  unselected?: boolean;
}

export interface LayerRecording {
  /** The blob the entries were read from (its compressed digest). */
  readonly blob: Digest;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly diffId: Digest;
  /** Tar entries met, as LayerStats counts them. */
  readonly tarEntries: number;
  readonly compression: LayerCompression;
  readonly entries: readonly RecordedEntry[];
}

/** Where recordings are kept between walks. Neither call may throw: a failing cache is a miss. */
export interface LayerRecordingCache {
  /** The recording of the blob `blob` whose tar hashes to `diffId`, or undefined. */
  get(blob: Digest, diffId: Digest): Promise<LayerRecording | undefined>;
  put(recording: LayerRecording): Promise<void>;
}

/** A replayed file's bytes were never recorded: the layer must be read. */
export class ReplayMiss extends Error {
  constructor(readonly position: number) {
    super(`layer at position ${position}: recording lacks bytes a replay needs`);
  }
}

/** A file's content during a replay: the recorded bytes, or a ReplayMiss when read without them. */
export class ReplayContent implements EntryContent {
  constructor(
    private readonly recorded: RecordedEntry,
    private readonly position: number,
  ) {}

  /** True when the selector's answer for the file under `aliases` is known to refuse these bytes. */
  rejectedUnder(aliases: readonly string[] | undefined): boolean {
    const marked = this.recorded.rejected;
    return marked !== undefined && sameAliases(marked, aliases);
  }

  /** True when the selector's answer for the file's own path is known to be no. */
  get unselected(): boolean {
    return this.recorded.unselected === true;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const bytes = this.recorded.content;
    if (bytes === undefined) throw new ReplayMiss(this.position);
    if (bytes.length > 0) yield bytes;
  }
}

/** A file's content during a real read: passes the chunks on and keeps them when the reader reads to the end. */
export class RecordingContent implements EntryContent {
  private started = false;

  constructor(
    private readonly inner: EntryContent,
    private readonly recorded: RecordedEntry,
    private readonly recorder: LayerRecorder,
  ) {}

  /** Called by the merger when the selector's answer for the file's own path is no. */
  markUnselected(): void {
    this.recorded.unselected = true;
  }

  /** Called by the merger when the selector's answer under `aliases` refused the bytes it read. */
  markRejected(aliases: readonly string[] | undefined): void {
    if (this.recorded.content !== undefined) this.recorder.release(this.recorded.content.length);
    delete this.recorded.content;
    this.recorded.rejected = [...(aliases ?? [])].sort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.started) throw new Error('entry content can be read once');
    this.started = true;
    const chunks: Buffer[] = [];
    let total = 0;
    let keep = this.recorded.content === undefined && !this.recorder.overflowed;
    for await (const chunk of this.inner) {
      if (keep) {
        total += chunk.length;
        if (total > this.recorded.entry.size) keep = false;
        else chunks.push(chunk);
      }
      yield chunk;
    }
    // Only a content read to its end, exactly as long as the header says, is kept.
    if (keep && total === this.recorded.entry.size && this.recorder.reserve(total)) {
      this.recorded.content = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
    }
  }
}

/** Builds a layer's recording during a real read; a second read of the same layer (the second pass) adds bytes to it. */
export class LayerRecorder {
  readonly entries: RecordedEntry[] = [];
  overflowed = false;
  private bytes = 0;
  private cursor = 0;
  private stats: LayerStats | undefined;

  /** `seed`: a recording of the same blob made before (its bytes are kept, new ones added). */
  constructor(
    readonly blob: Digest,
    seed?: LayerRecording,
    private readonly budget: RecordingBudget = new RecordingBudget(),
  ) {
    if (seed) {
      for (const r of seed.entries) {
        const copy: RecordedEntry = { entry: r.entry };
        if (r.content !== undefined) copy.content = r.content;
        if (r.rejected) copy.rejected = r.rejected;
        if (r.unselected) copy.unselected = true;
        this.entries.push(copy);
        this.bytes += r.content?.length ?? 0;
      }
      budget.held += this.entries.length;
    }
  }

  /** Starts a read of the layer: entries are then met again in tar order. */
  rewind(): void {
    this.cursor = 0;
  }

  /** The entry met now, recorded on the first read; the content to hand the visitor. */
  visit(entry: LayerEntry, content: EntryContent | undefined): EntryContent | undefined {
    let recorded = this.entries[this.cursor];
    this.cursor++;
    // A second read meets the same tar; anything else (it cannot be, the diffID is checked) records nothing.
    if (recorded !== undefined && recorded.entry.path !== entry.path) this.overflow();
    if (recorded === undefined) {
      if (this.entries.length >= MAX_RECORDED_ENTRIES || this.budget.held >= this.budget.max) this.overflow();
      recorded = { entry };
      if (!this.overflowed) {
        this.entries.push(recorded);
        this.budget.held++;
      }
    }
    if (this.overflowed || content === undefined) return content;
    return new RecordingContent(content, recorded, this);
  }

  finish(stats: LayerStats): void {
    this.stats ??= stats;
  }

  /** Gives up the recording and lets go of what it held: a layer over the bounds must not keep its first 250,000 entries for nothing. */
  private overflow(): void {
    if (!this.overflowed) this.budget.held -= this.entries.length;
    this.overflowed = true;
    this.entries.length = 0;
    this.bytes = 0;
  }

  reserve(bytes: number): boolean {
    if (this.overflowed) return false;
    if (this.bytes + bytes > MAX_RECORDED_BYTES) {
      this.overflow();
      return false;
    }
    this.bytes += bytes;
    return true;
  }

  release(bytes: number): void {
    if (!this.overflowed) this.bytes -= bytes;
  }

  /** The recording, or undefined when the layer was over the bounds or not read to its end. */
  recording(): LayerRecording | undefined {
    const stats = this.stats;
    if (this.overflowed || !stats) return undefined;
    return {
      blob: this.blob,
      compressedSize: stats.compressedSize,
      uncompressedSize: stats.uncompressedSize,
      diffId: stats.diffId,
      tarEntries: stats.entries,
      compression: stats.compression,
      entries: this.entries,
    };
  }
}

/** Marks a file's bytes as refused by the selector's answer under `aliases`, when they are being recorded. */
export function noteRejected(content: EntryContent | undefined, aliases: readonly string[] | undefined): void {
  if (content instanceof RecordingContent) content.markRejected(aliases);
}

/** True when a replayed file is known to be refused by the selector's answer under `aliases` (no bytes needed). */
export function knownRejected(content: EntryContent | undefined, aliases: readonly string[] | undefined): boolean {
  return content instanceof ReplayContent && content.rejectedUnder(aliases);
}

/** Notes that the selector's answer for a file's own path is no, when it is being recorded. */
export function noteUnselected(content: EntryContent | undefined): void {
  if (content instanceof RecordingContent) content.markUnselected();
}

/** True when a replayed file's own path is known to be unselected (the selector need not be asked). */
export function knownUnselected(content: EntryContent | undefined): boolean {
  return content instanceof ReplayContent && content.unselected;
}

function sameAliases(marked: readonly string[], aliases: readonly string[] | undefined): boolean {
  const now = aliases ?? [];
  if (marked.length !== now.length) return false;
  const sorted = now.length > 1 ? [...now].sort() : now;
  return sorted.every((a, i) => a === marked[i]);
}
