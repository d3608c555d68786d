/**
 * The merged filesystem the walk builds, and the FileView it hands out.
 *
 * `MergedState` holds only what the walk kept: the selected files (with
 * content up to the cap), every symlink and hard link (metadata only, so
 * links can be resolved and whiteouts applied), and the link/alias targets
 * fetched for them. `MergedView` answers:
 * - `get(path)`: stat semantics — every symlink on the way, the last one
 *   included, is followed inside the image root (links.ts); a hard link comes
 *   with its target's bytes. Undefined for a path the walk did not keep.
 *   Throws LAYER_SYMLINK_LOOP for a loop.
 * - `files()`: lstat semantics, in path order — the selected paths as they are
 *   in the tree: regular files, hard links (with their target's bytes),
 *   symlinks as symlinks (call get() to follow them). A file selected only
 *   through a symlinked directory is listed under the wanted path; a file
 *   selected under its own path is listed once, under that path.
 *   Link targets fetched on behalf of a selected link are reachable with get()
 *   but not listed, since nothing selected them by name.
 */
import type { FileKind, FileView, ImageFile, LayerOrigin } from '../core/index.js';
import { resolveInRoot, tryResolveInRoot } from './links.js';
import { pathHash, prefixesOf, shortHash } from './path-index.js';
import { isAtOrBelow } from './path.js';

export interface Want {
  /** Keep the bytes (false: metadata only). */
  readonly content: boolean;
  readonly maxBytes: number;
  /** Keep every layer's copy too (FileWant.history). */
  readonly history?: boolean;
  /** Keep the file only when its bytes pass (FileWant.accept); absent: always keep. */
  readonly accept?: (content: Buffer) => boolean;
}

/** One kept path of the merged tree. Mutable while the walk runs, frozen into ImageFile values after. */
export interface Node {
  path: string;
  kind: FileKind;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime?: Date;
  linkTarget?: string;
  layer: LayerOrigin;
  content?: Buffer;
  truncated?: boolean;
  /** The selector wanted this very path. */
  selected: boolean;
  /** What is wanted of its bytes (selected path, alias or a link resolving here). */
  want?: Want;
  /** Wanted paths that reach this node through symlinks. */
  aliases?: string[];
}

export function mergeWant(a: Want | undefined, b: Want | undefined): Want | undefined {
  if (!a) return b;
  if (!b) return a;
  const history = a.history === true || b.history === true;
  // Kept when either asker would keep it: no filter if either has none.
  const fa = a.accept;
  const fb = b.accept;
  const accept = fa && fb ? (content: Buffer) => fa(content) || fb(content) : undefined;
  return {
    content: a.content || b.content,
    maxBytes: Math.max(a.maxBytes, b.maxBytes),
    ...(history ? { history } : {}),
    ...(accept ? { accept } : {}),
  };
}

/** True when `node` already has what `want` asks for (bytes, or a recorded reason why not). */
export function satisfies(node: Node, want: Want): boolean {
  if (!want.content) return true;
  return node.content !== undefined || node.truncated === true;
}

export class MergedState {
  readonly nodes = new Map<string, Node>();
  /**
   * For every ancestor directory of a node, by shortHash: how many nodes are
   * below it. Keyed by hash so a node's ancestors cost one pass over its path;
   * a collision can only make hasBelow say yes, and deleteMany then checks
   * the real paths.
   */
  private readonly below = new Map<number, number>();
  /** shortHash of every symlink node → how many: the pre-filter of symlink resolution. */
  private readonly links = new Map<number, number>();

  get(path: string): Node | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** True when some kept node lies below `dir` (rarely, on a hash collision, also when none does). */
  hasBelow(dir: string): boolean {
    return this.below.has(shortHash(pathHash(dir)));
  }

  set(node: Node): void {
    if (this.nodes.has(node.path)) this.delete(node.path);
    this.nodes.set(node.path, node);
    const { hash } = prefixesOf(node.path);
    const last = hash.length - 1;
    for (let i = 0; i < last; i++) count(this.below, shortHash(hash[i] as number), 1);
    if (node.kind === 'symlink') count(this.links, shortHash(hash[last] as number), 1);
  }

  delete(path: string): void {
    const node = this.nodes.get(path);
    if (!node) return;
    this.nodes.delete(path);
    const { hash } = prefixesOf(path);
    const last = hash.length - 1;
    for (let i = 0; i < last; i++) count(this.below, shortHash(hash[i] as number), -1);
    if (node.kind === 'symlink') count(this.links, shortHash(hash[last] as number), -1);
  }

  /** False when no symlink node has a path with this pathHash (ResolveOptions.maybeSymlink). */
  maybeSymlink = (hash: number): boolean => this.links.has(shortHash(hash));

  /**
   * Removes every node at a path in `at` and every node strictly below a
   * directory in `under`, as one step: the nodes are scanned once (each
   * against all directories at once, by the hashes of its ancestors), not
   * once per directory, so a layer of many whiteouts costs its size plus
   * one pass over what is kept.
   */
  deleteMany(at: Iterable<string>, under: Iterable<string>): void {
    for (const path of at) this.delete(path);
    const dirs = new Set<string>();
    const dirHashes = new Set<number>();
    for (const dir of under) {
      if (!this.hasBelow(dir)) continue;
      dirs.add(dir);
      dirHashes.add(shortHash(pathHash(dir)));
    }
    if (dirs.size === 0) return;
    const doomed: string[] = [];
    for (const path of this.nodes.keys()) {
      const { hash, end } = prefixesOf(path);
      for (let i = 0; i < hash.length - 1; i++) {
        if (dirHashes.has(shortHash(hash[i] as number)) && dirs.has(path.slice(0, end[i]))) {
          doomed.push(path);
          break;
        }
      }
    }
    for (const path of doomed) this.delete(path);
  }

  symlinkTarget = (path: string): string | undefined => {
    const node = this.nodes.get(path);
    return node?.kind === 'symlink' ? node.linkTarget : undefined;
  };

  *symlinks(): Iterable<Node> {
    for (const node of this.nodes.values()) if (node.kind === 'symlink') yield node;
  }

  /** Nodes at `path` or below it. */
  *within(path: string): Iterable<Node> {
    for (const node of this.nodes.values()) if (isAtOrBelow(node.path, path)) yield node;
  }
}

export class MergedView implements FileView {
  constructor(
    private readonly state: MergedState,
    readonly warnings: readonly string[],
    private readonly history: ReadonlyMap<string, readonly Node[]> = new Map(),
  ) {}

  versions(path: string): readonly ImageFile[] {
    return (this.history.get(path) ?? []).map((node) => toImageFile(node, node.path));
  }

  get(path: string): ImageFile | undefined {
    const resolved = resolveInRoot(path, this.state.symlinkTarget, { maybeSymlink: this.state.maybeSymlink });
    const node = this.state.get(resolved);
    if (!node || node.kind === 'symlink') return undefined;
    return toImageFile(node, node.path);
  }

  /** The path `path` names after following symlinks inside the root (lstat of the last component when followFinal is false). */
  resolve(path: string, followFinal = true): string {
    return resolveInRoot(path, this.state.symlinkTarget, { followFinal, maybeSymlink: this.state.maybeSymlink });
  }

  /** Built once: every cataloguer asks, and sorting 130,000 paths per call was most of a scan's time. */
  #files: readonly ImageFile[] | undefined;

  files(): Iterable<ImageFile> {
    this.#files ??= this.listFiles();
    return this.#files;
  }

  /** The view is handed out after the walk, so the list cannot change under the cache. */
  private listFiles(): ImageFile[] {
    const byPath = new Map<string, ImageFile>();
    for (const node of this.state.nodes.values()) {
      if (node.selected) {
        // Listed once, under its own path: a pattern selector must not see a file twice through symlinked directories.
        byPath.set(node.path, toImageFile(node, node.path));
        continue;
      }
      for (const alias of node.aliases ?? []) {
        if (byPath.has(alias) || this.state.has(alias)) continue;
        // Only while the alias still leads here in the final tree.
        const followFinal = node.kind !== 'symlink';
        if (tryResolveInRoot(alias, this.state.symlinkTarget, { followFinal, maybeSymlink: this.state.maybeSymlink }) === node.path) {
          byPath.set(alias, toImageFile(node, alias));
        }
      }
    }
    const paths = [...byPath.keys()].sort();
    return paths.map((p) => byPath.get(p) as ImageFile);
  }
}

function toImageFile(node: Node, path: string): ImageFile {
  const file: {
    -readonly [K in keyof ImageFile]: ImageFile[K];
  } = {
    path,
    kind: node.kind,
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    size: node.size,
    layer: node.layer,
  };
  if (node.mtime) file.mtime = node.mtime;
  if (node.linkTarget !== undefined) file.linkTarget = node.linkTarget;
  if (node.content !== undefined) file.content = node.content;
  if (node.truncated) file.truncated = true;
  return file;
}

function count(map: Map<number, number>, key: number, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
