/**
 * The first pass: layers bottom to top, one at a time, streaming. For each
 * layer the entries it writes are collected apart (`pending`) and committed
 * at the end of the layer, after its whiteouts have been applied to the
 * layers below — so a whiteout never deletes its own layer's entries,
 * whatever their order in the tar. An entry also hides the lower entry at
 * its path, and a non-directory hides everything below its path.
 *
 * Kept: selected files (bytes up to the cap), every symlink and hard link
 * (metadata only: they are needed to resolve paths and cost no content), and
 * files that a wanted path reaches through a symlink known at the time
 * (aliases.ts). Everything else streams past and is remembered only as a hash
 * in the layer's PathIndex, together with the layer's whiteouts: enough to
 * find later, without reading anything, which layer last wrote a path.
 */
import type { EntryInfo, FileSelector, FileWant, LayerOrigin } from '../core/index.js';
import { AliasMap } from './aliases.js';
import { LayerError } from './errors.js';
import { tryResolveInRoot, type SymlinkLookup } from './links.js';
import { pathHash, PathIndexBuilder, type PathIndex } from './path-index.js';
import { blobReader, type EntryReader } from './readers.js';
import { knownRejected, knownUnselected, noteRejected, noteUnselected } from './recording.js';
import { describeLayer, readContent, type EntryContent, type LayerInput, type LayerStats } from './stream.js';
import type { LayerEntry } from './tar.js';
import { MergedState, mergeWant, type Node, type Want } from './view.js';
import { LayerWhiteouts } from './whiteout.js';

export interface LayerRecord {
  readonly origin: LayerOrigin;
  readonly index: PathIndex;
  readonly whiteouts: LayerWhiteouts;
}

/** When a symlink's current resolution came into force, to know which layers' entries never saw it. */
export interface SymlinkEpoch {
  readonly target: string;
  /** First layer (by position) whose entries all saw it… */
  readonly since: number;
  /** …except, when true, entries of layer `since` that streamed before the symlink itself. */
  readonly late: boolean;
}

/** A wanted hard link whose target's bytes had streamed past unkept. */
export interface HardlinkNeed {
  readonly node: Node;
  readonly target: string;
  /** Position of the layer holding the link: the target is the file as of that layer. */
  readonly asOf: number;
}

export interface MergeOptions {
  maxFileBytes: number;
  onOversize: 'skip' | 'error';
  signal?: AbortSignal;
  /** Check each layer's diffID against origin.diffId when present (default true). */
  verifyDiffIds: boolean;
}

export class Merger {
  readonly state = new MergedState();
  /** Every layer's own copy of files selected with `history`, bottom first. */
  readonly history = new Map<string, Node[]>();

  recordVersion(node: Node): void {
    const list = this.history.get(node.path) ?? [];
    list.push(node);
    this.history.set(node.path, list);
  }
  readonly records: LayerRecord[] = [];
  /** The path index and whiteouts of each blob read, by digest and diffID: a blob listed many times keeps one copy. */
  private readonly seen = new Map<string, Pick<LayerRecord, 'index' | 'whiteouts'>>();
  readonly warnings: string[] = [];
  epochs = new Map<string, SymlinkEpoch>();
  aliases = new AliasMap();

  constructor(
    readonly selector: FileSelector,
    readonly options: MergeOptions,
  ) {}

  toWant(answer: boolean | FileWant): Want | undefined {
    if (answer === false) return undefined;
    if (answer === true) return { content: true, maxBytes: this.options.maxFileBytes };
    return {
      content: answer.content ?? true,
      maxBytes: answer.maxBytes ?? this.options.maxFileBytes,
      ...(answer.history ? { history: true } : {}),
      ...(answer.accept ? { accept: answer.accept } : {}),
    };
  }

  /**
   * The selector's answer for `path` and, when asked, for the paths that
   * reach it through symlinks. `directIsNo`: a replay knows the answer for
   * the path itself is no (recording.ts), so the selector is not asked.
   */
  wantOf(path: string, withAliases: boolean, info?: EntryInfo, directIsNo = false): { want?: Want; selected: boolean; aliases?: string[] } {
    const direct = directIsNo ? undefined : this.toWant(this.selector.wants(path, info));
    let want = direct;
    let aliases: string[] | undefined;
    if (withAliases) {
      for (const alias of this.aliases.aliasesOf(path)) {
        const w = this.toWant(this.selector.wants(alias, info));
        if (!w) continue;
        want = mergeWant(want, w);
        (aliases ??= []).push(alias);
      }
    }
    return { ...(want ? { want } : {}), selected: direct !== undefined, ...(aliases ? { aliases } : {}) };
  }

  /** Fills `node` with bytes per `want`, honouring the cap. */
  async fill(node: Node, want: Want, content: EntryContent | undefined, what: string): Promise<void> {
    if (!want.content) return;
    if (node.size > want.maxBytes) {
      const message = `${node.path} (${what}) is ${node.size} bytes, over the ${want.maxBytes}-byte cap`;
      if (this.options.onOversize === 'error') throw new LayerError('LAYER_FILE_TOO_LARGE', message);
      node.truncated = true;
      this.warnings.push(`${message}: content skipped`);
      return;
    }
    const bytes = content ? await readContent(content, want.maxBytes) : Buffer.alloc(0);
    if (bytes === undefined) {
      node.truncated = true;
      this.warnings.push(`${node.path} (${what}) holds more bytes than its header says: content skipped`);
    } else node.content = bytes;
  }

  /** Merges one layer, its entries from `read` (the blob by default; a replay of a recording: readers.ts). */
  async mergeLayer(layer: LayerInput, position: number, onWarning: (message: string) => void, read: EntryReader = blobReader(layer)): Promise<LayerStats> {
    const { state } = this;
    const origin = layer.origin;
    const what = describeLayer(origin);
    const pending = new Map<string, Node>();
    const whiteouts = new LayerWhiteouts();
    const replaced = new Set<string>();
    const replacedTrees = new Set<string>();
    const index = new PathIndexBuilder();
    const lookup: SymlinkLookup = (path) => {
      const node = pending.get(path);
      if (node) return node.kind === 'symlink' ? node.linkTarget : undefined;
      return state.symlinkTarget(path);
    };
    /** pathHash of this layer's symlinks (those later replaced included: a superset is a valid pre-filter). */
    const pendingLinks = new Set<number>();
    const maybeSymlink = (hash: number): boolean => pendingLinks.has(hash) || state.maybeSymlink(hash);

    const visit = async (entry: LayerEntry, content?: EntryContent): Promise<void> => {
      if (entry.whiteout) {
        whiteouts.add(entry.whiteout);
        return;
      }
      const path = entry.path;
      index.add(path, entry.kind === 'directory');
      if (state.has(path)) replaced.add(path);
      if (entry.kind !== 'directory' && state.hasBelow(path)) replacedTrees.add(path);
      switch (entry.kind) {
        case 'directory': {
          if (pending.get(path)) pending.delete(path);
          return;
        }
        case 'other':
          pending.delete(path);
          return;
        case 'symlink': {
          const { want, selected } = this.wantOf(path, false, { kind: entry.kind, mode: entry.mode, size: entry.size });
          const node = nodeOf(entry, origin, selected, want);
          pending.set(path, node);
          pendingLinks.add(pathHash(path));
          const target = tryResolveInRoot(path, lookup, { maybeSymlink });
          if (target !== undefined && target !== path) {
            this.aliases.add(path, target);
            this.epochs.set(path, { target, since: position, late: index.hasAny(target) });
          }
          return;
        }
        case 'hardlink': {
          const { want, selected, aliases } = this.wantOf(path, true, { kind: entry.kind, mode: entry.mode, size: entry.size });
          const node = nodeOf(entry, origin, selected, want, aliases);
          pending.set(path, node);
          if (!want) return;
          const source = linkSource(entry.linkTarget as string, pending, state);
          // Otherwise the second pass fetches the target as of this layer.
          if (source) copyBytes(node, source);
          return;
        }
        case 'file': {
          const { want, selected, aliases } = this.wantOf(path, true, { kind: entry.kind, mode: entry.mode, size: entry.size }, knownUnselected(content));
          if (!selected) noteUnselected(content);
          if (!want) {
            pending.delete(path);
            return;
          }
          // A replay knows the verdict of the file's own answer without its bytes (recording.ts).
          if (want.accept && knownRejected(content, aliases)) {
            pending.delete(path);
            return;
          }
          const node = nodeOf(entry, origin, selected, want, aliases);
          await this.fill(node, want, content, what);
          if (want.accept && node.content !== undefined && !want.accept(node.content)) {
            noteRejected(content, aliases);
            pending.delete(path); // looked inside and it is not what the analyzer wants: keep nothing
            return;
          }
          pending.set(path, node);
          if (want.history) this.recordVersion(node);
          return;
        }
      }
    };

    const stats = await read(visit, { ...(this.options.signal ? { signal: this.options.signal } : {}), onWarning });
    if (this.options.verifyDiffIds && origin.diffId !== undefined && origin.diffId !== stats.diffId) {
      throw new LayerError(
        'LAYER_DIFFID_MISMATCH',
        `${what}: uncompressed content hashes to ${stats.diffId}, but the image config says ${origin.diffId}`,
      );
    }

    // Commit: this layer's whiteouts and replacements act on the layers below, then its own entries land.
    state.deleteMany([...whiteouts.removed, ...replaced], [...whiteouts.removed, ...whiteouts.opaque, ...replacedTrees]);
    for (const node of pending.values()) state.set(node);
    // Same bytes, same paths and whiteouts: the first copy serves every later listing of the blob.
    const key = `${origin.digest} ${stats.diffId}`;
    let seen = this.seen.get(key);
    if (!seen) this.seen.set(key, (seen = { index: index.finish(), whiteouts }));
    this.records.push({ origin, ...seen });
    this.rebuildAliases(position + 1);
    return stats;
  }

  /** Re-derives the alias table from the symlinks now in the tree; a changed resolution starts a new epoch. */
  rebuildAliases(nextPosition: number): void {
    const epochs = new Map<string, SymlinkEpoch>();
    this.aliases = new AliasMap();
    for (const link of this.state.symlinks()) {
      const target = tryResolveInRoot(link.path, this.state.symlinkTarget, { maybeSymlink: this.state.maybeSymlink });
      if (target === undefined || target === link.path) continue;
      this.aliases.add(link.path, target);
      const old = this.epochs.get(link.path);
      epochs.set(link.path, old && old.target === target ? old : { target, since: nextPosition, late: false });
    }
    this.epochs = epochs;
  }
}

export function nodeOf(entry: LayerEntry, layer: LayerOrigin, selected: boolean, want?: Want, aliases?: string[]): Node {
  const node: Node = {
    path: entry.path,
    kind: entry.kind,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size,
    layer,
    selected,
  };
  if (entry.mtime) node.mtime = entry.mtime;
  if (entry.linkTarget !== undefined) node.linkTarget = entry.linkTarget;
  if (want) node.want = want;
  if (aliases) node.aliases = aliases;
  return node;
}

/** Gives a hard link its target's bytes and size. */
export function copyBytes(node: Node, source: Node): void {
  node.size = source.size;
  if (source.content !== undefined) node.content = source.content;
  if (source.truncated) node.truncated = true;
}

/** The kept node a hard link points at (a chain of hard links is followed); its bytes may be absent. */
function linkSource(target: string, pending: Map<string, Node>, state: MergedState): Node | undefined {
  let path = target;
  for (let hops = 0; hops < 40; hops++) {
    const node = pending.get(path) ?? state.get(path);
    if (!node) return undefined;
    if (node.kind === 'file') return node;
    if (node.kind !== 'hardlink') return undefined;
    if (node.content !== undefined || node.truncated || node.size > 0) return node;
    path = node.linkTarget as string;
  }
  return undefined;
}
