/**
 * The merged view of an image's filesystem that the layer walker gives to
 * analyzers: only the files they asked for, each with the layer that last
 * wrote it. Paths are image-relative, normalised, without a leading slash
 * (`etc/os-release`, `usr/lib/python3/dist-packages/x.dist-info/METADATA`).
 */
import type { Digest } from './digest.js';

export type FileKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** Where a file came from: the layer's position in the manifest and its digests. */
export interface LayerOrigin {
  /** 0-based position of the layer in the manifest. */
  readonly index: number;
  /** Digest of the layer blob as stored (compressed). */
  readonly digest: Digest;
  /** Digest of the uncompressed tar (config rootfs.diff_ids), when known. */
  readonly diffId?: Digest;
}

export interface ImageFile {
  /** Normalised image-relative path, no leading slash. */
  readonly path: string;
  readonly kind: FileKind;
  /** Permission bits and setuid/setgid/sticky (`mode & 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Size in bytes as recorded in the tar header (0 for links and directories). */
  readonly size: number;
  readonly mtime?: Date;
  /** For symlinks: the target as written; for hard links: the normalised path of the target. */
  readonly linkTarget?: string;
  /** The layer that last wrote this path. */
  readonly layer: LayerOrigin;
  /**
   * The bytes, when the selector asked for content and the file is within the
   * size cap. Undefined for metadata-only selections.
   */
  readonly content?: Buffer;
  /** True when content was wanted but the file exceeded the cap; content is then absent. */
  readonly truncated?: boolean;
}

/**
 * What an analyzer wants from the walk. `wants` sees every regular file's
 * normalised path (and symlinks/hardlinks, whose content comes from their
 * target, resolved inside the image root) and answers whether to keep it.
 */
/** What the walker knows of an entry when it asks the selector (from its tar header). */
export interface EntryInfo {
  readonly kind: FileKind;
  readonly mode: number;
  readonly size: number;
}

export interface FileSelector {
  /**
   * Decide by path (and, when the walker has it, the entry's kind, mode and
   * size); called for every entry, so keep it cheap.
   */
  wants(path: string, info?: EntryInfo): boolean | FileWant;
  /**
   * Optional: true when some path below directory `dir` may be wanted. A
   * wanted path can exist only through a symlinked directory that appears in
   * the tar after the files below its target streamed by (Debian's
   * `usr/share/zoneinfo/posix/* -> ..`, or a later layer's `opt/java ->
   * /usr/lib/jvm/x`); the walker re-reads a layer for such paths only when
   * this answers true. Without it, such paths are found when the symlink comes
   * first (the usual merged-/usr links `lib -> usr/lib` do).
   */
  mayWantBelow?(dir: string): boolean;
}

export interface FileWant {
  /** Keep the bytes (default true). false keeps metadata only. */
  content?: boolean;
  /** Per-file cap in bytes for content (default: the walker's cap). */
  maxBytes?: number;
  /**
   * Also keep every layer's own copy of this file (package databases: which
   * layer introduced a package is found by comparing them). Bounded by the
   * number of layers times the cap.
   */
  history?: boolean;
  /**
   * Keep the file only if its bytes pass this test (e.g. "an ELF with Go build
   * info"), so analyzers that must look inside many candidates keep only the
   * few that matter: memory holds one candidate at a time, not all of them.
   */
  accept?: (content: Buffer) => boolean;
}

/** The result of a walk: the merged, whiteout-applied view of the selected files. */
export interface FileView {
  /** A selected file by normalised path, following symlinks inside the image root. */
  get(path: string): ImageFile | undefined;
  /** All selected files, in path order. */
  files(): Iterable<ImageFile>;
  /** Non-fatal problems met during the walk (unsafe paths skipped, oversize files…). */
  readonly warnings: readonly string[];
  /**
   * Each layer's own copy of a file selected with `history`, bottom layer
   * first (only layers that wrote it; content present when within the cap).
   */
  versions?(path: string): readonly ImageFile[];
}
