/**
 * walkLayers: the merged, whiteout-applied view of the files a selector
 * wants, built by streaming the layers, never buffering a layer and never
 * writing to disk.
 *
 * Why two passes, and why the second is usually empty. A layer's bytes can
 * only be read once, in tar order, bottom layer first. A wanted path can need
 * bytes that stream past before the walker knows it needs them:
 *   - a wanted symlink (`etc/os-release -> ../usr/lib/os-release`) whose
 *     target came earlier in the tar, or in a lower layer, or whose link is
 *     changed by a later layer;
 *   - a wanted hard link whose target was not selected;
 *   - a wanted path that exists only through a symlinked directory
 *     (`var/lib/rpm -> ../../usr/lib/sysimage/rpm`) created after the files.
 * The first pass (merge.ts) keeps every symlink and hard link (metadata only),
 * asks the selector about each file under its symlink aliases known so far
 * (so the common case — link before target in tar order — is caught while
 * the bytes stream by), and remembers every other path as a hash per layer
 * together with the layer's whiteouts (path-index.ts). After it, the final
 * link table is known, so the walker computes exactly which targets are
 * missing and, from the hashes and whiteouts alone, which single layer last
 * wrote each of them. The second pass reads only those layers (plus layers
 * holding files under a late symlinked directory, when the selector's
 * `mayWantBelow` says it may want something there) and keeps only the
 * missing paths. Memory
 * stays bounded by what is kept: selected bytes (capped per file), link
 * metadata, and ~8 bytes per path per layer.
 */
import type { FileSelector, LayerOrigin } from '../core/index.js';
import { LayerError } from './errors.js';
import { tryResolveInRoot } from './links.js';
import { copyBytes, Merger, nodeOf, type HardlinkNeed, type LayerRecord } from './merge.js';
import { checkLayerCount, EntryBudget, type WalkLimits } from './limits.js';
import { prefixesOf } from './path-index.js';
import { blobReader, recordingReader, replayReader, type EntryReader } from './readers.js';
import { LayerRecorder, RecordingBudget, ReplayMiss, type LayerRecording, type LayerRecordingCache } from './recording.js';
import { describeLayer, type EntryContent, type LayerInput, type LayerStats } from './stream.js';
import type { LayerEntry } from './tar.js';
import { MergedView, mergeWant, satisfies, type Node, type Want } from './view.js';

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface WalkOptions extends WalkLimits {
  /** Per-file content cap (default 16 MiB); a FileWant's maxBytes overrides it per file. */
  maxFileBytes?: number;
  /** Over the cap: keep metadata with `truncated: true` and a warning ('skip', default), or fail with LAYER_FILE_TOO_LARGE. */
  onOversize?: 'skip' | 'error';
  signal?: AbortSignal;
  /** Called after each layer of the first pass. */
  onLayer?(origin: LayerOrigin, stats: LayerStats): void;
  /** Compare each layer's computed diffID with origin.diffId when set (default true): LAYER_DIFFID_MISMATCH. */
  verifyDiffIds?: boolean;
  /**
   * Recordings of layers seen before (recording.ts): a layer with one is
   * replayed instead of read; a layer read is recorded and offered back.
   * Only for one selector (and these options): the caller keys the cache.
   */
  cache?: LayerRecordingCache;
  /** Called when a layer's blob is opened to be read (not for replays): tests count reads. */
  onRead?(origin: LayerOrigin): void;
}

/** The FileView walkLayers returns, with what the walk measured. */
export class LayerView extends MergedView {
  constructor(
    merger: Merger,
    /** Per layer, in order: sizes and diffIDs from the first pass. */
    readonly layerStats: readonly LayerStats[],
    /** Positions of the layers read a second time (empty in the common case). */
    readonly secondPass: readonly number[],
  ) {
    super(merger.state, merger.warnings, merger.history);
  }
}

export async function walkLayers(layers: readonly LayerInput[], selector: FileSelector, options: WalkOptions = {}): Promise<LayerView> {
  checkLayerCount(layers.length, options);
  // One budget for the whole walk: restarts, second passes and replays count too.
  const budget = new EntryBudget(options);
  const cache = options.cache;
  if (!cache) return walkOnce(layers, selector, options, (p) => budget.limit(counted(layers[p] as LayerInput, options, blobReader)));
  // A blob listed many times is looked up, recorded and kept once (keyed by what is read: the blob's digest).
  const lookups = new Map<string, Promise<LayerRecording | undefined>>();
  const cachedOf = (l: LayerInput): Promise<LayerRecording | undefined> => {
    if (l.origin.diffId === undefined) return Promise.resolve(undefined);
    const key = `${l.origin.digest} ${l.origin.diffId}`;
    let found = lookups.get(key);
    if (!found) lookups.set(key, (found = cache.get(l.origin.digest, l.origin.diffId)));
    return found;
  };
  const cached = await Promise.all(layers.map(cachedOf));
  lookups.clear();
  // Layers read in this walk, recorded once per blob: reused as replays at its other positions and if the walk must start again.
  const recorders = new Map<string, LayerRecorder>();
  const held = new RecordingBudget();
  const forced = new Set<number>();
  const readerOf = (p: number): EntryReader => {
    const layer = layers[p] as LayerInput;
    const blob = layer.origin.digest;
    const known = recorders.get(blob)?.recording() ?? (recorders.has(blob) ? undefined : cached[p]);
    if (known && !forced.has(p)) return budget.limit(replayReader(layer, known, p));
    let recorder = recorders.get(blob);
    if (!recorder) recorders.set(blob, (recorder = new LayerRecorder(blob, cached[p], held)));
    return budget.limit(counted(layer, options, (l) => recordingReader(l, recorder)));
  };
  // Each start again reads one more layer for real, so this ends after at most layers.length + 1 walks.
  for (;;) {
    const readers = new Map<number, EntryReader>();
    try {
      const view = await walkOnce(layers, selector, options, (p) => {
        let reader = readers.get(p);
        if (!reader) readers.set(p, (reader = readerOf(p)));
        return reader;
      });
      // Keyed by what was read (blob and computed diffID), never by what the config claims.
      for (const recorder of recorders.values()) {
        const recording = recorder.recording();
        if (recording) await cache.put(recording);
      }
      return view;
    } catch (error) {
      if (!(error instanceof ReplayMiss) || forced.has(error.position)) throw error;
      forced.add(error.position);
    }
  }
}

/** A reader that tells `onRead` when it opens the blob. */
function counted(layer: LayerInput, options: WalkOptions, make: (layer: LayerInput) => EntryReader): EntryReader {
  const onRead = options.onRead;
  if (!onRead) return make(layer);
  return make({
    origin: layer.origin,
    mediaType: layer.mediaType,
    open: () => {
      onRead(layer.origin);
      return layer.open();
    },
  });
}

async function walkOnce(layers: readonly LayerInput[], selector: FileSelector, options: WalkOptions, readerOf: (position: number) => EntryReader): Promise<LayerView> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const merger = new Merger(selector, {
    maxFileBytes,
    onOversize: options.onOversize ?? 'skip',
    verifyDiffIds: options.verifyDiffIds ?? true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const warn = (message: string): void => {
    merger.warnings.push(message);
  };
  const stats: LayerStats[] = [];
  for (const [position, layer] of layers.entries()) {
    const s = await merger.mergeLayer(layer, position, warn, readerOf(position));
    stats.push(s);
    options.onLayer?.(layer.origin, s);
  }
  const plan = new SecondPass(merger, layers, readerOf);
  plan.compute();
  const positions = await plan.run(options.signal);
  return new LayerView(merger, stats, positions);
}

type Deliver = (fetched: Node) => void;

interface Fetch {
  want: Want;
  deliver: Deliver[];
}

/** Works out, after the first pass, what is missing and where it is; then reads only those layers. */
class SecondPass {
  private readonly fetches = new Map<number, Map<string, Fetch>>();
  private readonly recheck = new Set<number>();
  private readonly positions = new Map<LayerOrigin, number>();
  private readonly records: readonly LayerRecord[];
  private readonly top: number;

  constructor(
    private readonly merger: Merger,
    private readonly layers: readonly LayerInput[],
    private readonly readerOf: (position: number) => EntryReader,
  ) {
    this.records = merger.records;
    this.top = this.records.length - 1;
    this.records.forEach((r, i) => this.positions.set(r.origin, i));
  }

  compute(): void {
    const { state, selector } = this.merger;
    const links = [...state.nodes.values()].filter((n) => n.kind === 'symlink' || n.kind === 'hardlink');
    // Aliases of links under the final link table (links are all kept, so no reading is needed for this).
    for (const node of links) {
      for (const alias of this.merger.aliases.aliasesOf(node.path)) {
        if (node.aliases?.includes(alias)) continue;
        const w = this.merger.toWant(selector.wants(alias, { kind: node.kind, mode: node.mode, size: node.size }));
        if (!w) continue;
        (node.aliases ??= []).push(alias);
        node.want = mergeWant(node.want, w);
      }
    }
    for (const node of links) {
      if (!node.want) continue;
      if (node.kind === 'symlink') {
        // Metadata-only wants ("is there a /bin/sh?") are answered by the link itself;
        // fetching its target would re-read a whole layer for nothing.
        if (!node.want.content) continue;
        const target = tryResolveInRoot(node.path, state.symlinkTarget, { maybeSymlink: state.maybeSymlink });
        if (target === undefined) {
          this.merger.warnings.push(`${node.path} (${describeLayer(node.layer)}): symlink loop or more than 40 links deep`);
          continue;
        }
        this.needAt(target, node.want);
      } else if (!satisfies(node, node.want)) {
        this.needHardlink({ node, target: node.linkTarget as string, asOf: this.position(node.layer) }, node.want);
      }
    }
    // Symlinked directories that some layers' files streamed past before the link existed.
    for (const [link, epoch] of this.merger.epochs) {
      if (!this.records.some((r) => r.index.hasDir(epoch.target))) continue;
      if (selector.mayWantBelow?.(link) !== true) continue;
      const last = Math.min(epoch.since, this.top);
      for (let p = 0; p <= last; p++) {
        if (p === epoch.since && !epoch.late) break;
        if ((this.records[p] as LayerRecord).index.hasDir(epoch.target)) this.recheck.add(p);
      }
    }
  }

  async run(signal: AbortSignal | undefined): Promise<number[]> {
    const positions = [...new Set([...this.fetches.keys(), ...this.recheck])].sort((a, b) => a - b);
    for (const p of positions) {
      const layer = this.layers[p] as LayerInput;
      const fetches = this.fetches.get(p);
      const recheck = this.recheck.has(p);
      const found = new Set<string>();
      const visit = async (entry: LayerEntry, content?: EntryContent): Promise<void> => {
        if (entry.whiteout || entry.kind !== 'file') return;
        const fetch = fetches?.get(entry.path);
        if (fetch) {
          found.add(entry.path);
          const node = nodeOf(entry, layer.origin, false, fetch.want);
          await this.merger.fill(node, fetch.want, content, describeLayer(layer.origin));
          for (const deliver of fetch.deliver) deliver(node);
          return;
        }
        if (recheck) await this.recheckAliases(entry, content, p, layer.origin);
      };
      await this.readerOf(p)(visit, { ...(signal ? { signal } : {}) });
      for (const path of fetches?.keys() ?? []) {
        if (!found.has(path)) this.merger.warnings.push(`${path}: expected in ${describeLayer(layer.origin)} but not found there`);
      }
    }
    return positions;
  }

  /** In a re-read layer: a file that is final and reached by a wanted alias is kept. */
  private async recheckAliases(entry: LayerEntry, content: EntryContent | undefined, p: number, origin: LayerOrigin): Promise<void> {
    const { state, selector } = this.merger;
    const existing = state.get(entry.path);
    if (existing && existing.layer !== origin) return;
    if (!existing && this.writerOf(entry.path, this.top) !== p) return;
    let want: Want | undefined;
    const hits: string[] = [];
    for (const alias of this.merger.aliases.aliasesOf(entry.path)) {
      if (existing?.aliases?.includes(alias)) continue;
      const w = this.merger.toWant(selector.wants(alias, { kind: entry.kind, mode: entry.mode, size: entry.size }));
      if (!w) continue;
      want = mergeWant(want, w);
      hits.push(alias);
    }
    if (!want) return;
    if (existing) {
      for (const hit of hits) (existing.aliases ??= []).push(hit);
      return;
    }
    const node = nodeOf(entry, origin, false, want, hits);
    await this.merger.fill(node, want, content, describeLayer(origin));
    state.set(node);
  }

  /** Make sure the final tree's `path` (a physical path) is kept with `want`. */
  private needAt(path: string, want: Want): void {
    const { state } = this.merger;
    const node = state.get(path);
    if (node) {
      if (satisfies(node, want)) return;
      node.want = mergeWant(node.want, want);
      if (node.kind === 'file') {
        this.schedule(this.position(node.layer), path, want, (fetched) => copyBytes(node, fetched));
      } else if (node.kind === 'hardlink') {
        this.needHardlink({ node, target: node.linkTarget as string, asOf: this.position(node.layer) }, want);
      }
      return;
    }
    const writer = this.writerOf(path, this.top);
    if (writer === undefined) return; // dangling, a directory, or deleted
    this.schedule(writer, path, want, (fetched) => {
      if (!state.has(path)) state.set(fetched);
    });
  }

  /** A hard link's bytes are its target's as of the link's layer. */
  private needHardlink(need: HardlinkNeed, want: Want): void {
    const { state } = this.merger;
    let target = need.target;
    let asOf = need.asOf;
    for (let hops = 0; hops < 40; hops++) {
      const kept = state.get(target);
      if (kept && this.position(kept.layer) <= asOf) {
        if (kept.kind === 'file' && satisfies(kept, want)) {
          copyBytes(need.node, kept);
          return;
        }
        if (kept.kind === 'hardlink') {
          if (satisfies(kept, want) && kept.content !== undefined) {
            copyBytes(need.node, kept);
            return;
          }
          target = kept.linkTarget as string;
          asOf = this.position(kept.layer);
          continue;
        }
      }
      const writer = this.writerOf(target, asOf);
      if (writer === undefined) {
        this.merger.warnings.push(`${need.node.path}: hard link target ${target} not found`);
        return;
      }
      this.schedule(writer, target, want, (fetched) => copyBytes(need.node, fetched));
      return;
    }
  }

  private schedule(position: number, path: string, want: Want, deliver: Deliver): void {
    let byPath = this.fetches.get(position);
    if (!byPath) this.fetches.set(position, (byPath = new Map()));
    const fetch = byPath.get(path);
    if (fetch) {
      fetch.want = mergeWant(fetch.want, want) as Want;
      fetch.deliver.push(deliver);
    } else byPath.set(path, { want, deliver: [deliver] });
  }

  /**
   * The position of the layer that last wrote `path` as a non-directory,
   * looking at layers 0..upTo, from the per-layer hashes and whiteouts only;
   * undefined when the path is absent, a directory, or deleted.
   */
  writerOf(path: string, upTo: number): number | undefined {
    // Hash the path and all its ancestors once; each layer is then asked by hash.
    const prefixes = prefixesOf(path);
    const { hash } = prefixes;
    const last = hash.length - 1;
    const own = hash[last] as number;
    for (let k = upTo; k >= 0; k--) {
      const record = this.records[k] as LayerRecord;
      if (record.index.hasNonDirHash(own)) return k;
      if (record.index.hasDirHash(own)) return undefined;
      if (record.whiteouts.size > 0 && record.whiteouts.hides(path, prefixes)) return undefined;
      // A non-directory at an ancestor (the root excluded) hides the path.
      for (let i = 1; i < last; i++) if (record.index.hasNonDirHash(hash[i] as number)) return undefined;
    }
    return undefined;
  }

  private position(origin: LayerOrigin): number {
    const p = this.positions.get(origin);
    if (p === undefined) throw new LayerError('LAYER_CORRUPT', `internal: unknown layer ${describeLayer(origin)}`);
    return p;
  }
}
