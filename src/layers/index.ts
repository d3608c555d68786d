/**
 * Layers as streams and the merged view. Entry points: walkLayers (merged,
 * whiteout-applied view of selected files), forEachEntry (every entry of one
 * layer, deleted-later files included), measureLayer (sizes + diffID + path
 * safety, for inspect). See docs/layers.md. Recordings of layers (recording.ts)
 * let a walk replay a layer seen before instead of reading its blob.
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
export { DEFAULT_MAX_ENTRIES, DEFAULT_MAX_LAYERS, type WalkLimits } from './limits.js';
export { selectPaths, type PathSelection } from './select.js';
export { isTarHeader, sniffLayer, type LayerSniff } from './sniff.js';
export { ROOTFS_LAYER, RootfsError, rootfsView, type RootfsErrorCode, type RootfsOptions, type RootfsView } from './rootfs.js';
export { MAX_RECORDED_BYTES, MAX_RECORDED_ENTRIES, type LayerRecording, type LayerRecordingCache, type RecordedEntry } from './recording.js';
export { decodeRecording, encodeRecording } from './recording-codec.js';
