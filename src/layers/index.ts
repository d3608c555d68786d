/**
 * Layers as streams and the merged view. Entry points: walkLayers (merged,
 * whiteout-applied view of selected files), forEachEntry (every entry of one
 * layer, deleted-later files included), measureLayer (sizes + diffID + path
 * safety, for inspect). See docs/layers.md.
 */
export { LayerError, type LayerErrorCode } from './errors.js';
export { ZstdDecompressor } from './decompress.js';
export {
  checkDiffId,
  describeLayer,
  forEachEntry,
  measureLayer,
  readContent,
  type EntryContent,
  type EntryVisitor,
  type LayerInput,
  type LayerStats,
  type MeasureOptions,
  type ReadLayerOptions,
} from './stream.js';
export type { LayerEntry } from './tar.js';
export type { Whiteout } from './whiteout.js';
export { MAX_SYMLINK_HOPS, resolveInRoot, type SymlinkLookup } from './links.js';
export { normaliseEntryPath } from './path.js';
export { DEFAULT_MAX_FILE_BYTES, LayerView, walkLayers, type WalkOptions } from './walk.js';
export { selectPaths, type PathSelection } from './select.js';
export { isTarHeader, sniffLayer, type LayerSniff } from './sniff.js';
export { ROOTFS_LAYER, RootfsError, rootfsView, type RootfsErrorCode, type RootfsOptions, type RootfsView } from './rootfs.js';
