/**
 * How the walker gets one layer's entries: read from the blob (forEachEntry),
 * read from the blob while recording what it saw, or replayed from a
 * recording (recording.ts) without opening the blob. All three hand the
 * visitor the same entries in the same order and answer the same LayerStats,
 * so merge.ts cannot tell them apart — which is what makes a cached walk
 * produce the same view as an uncached one.
 */
import { declaredCompression } from './decompress.js';
import { LayerError } from './errors.js';
import { type LayerRecorder, type LayerRecording, ReplayContent } from './recording.js';
import { compressionWarning, describeLayer, forEachEntry, type EntryVisitor, type LayerInput, type LayerStats, type ReadLayerOptions } from './stream.js';

export type EntryReader = (visit: EntryVisitor, options: ReadLayerOptions) => Promise<LayerStats>;

/** Reads the blob. */
export function blobReader(layer: LayerInput): EntryReader {
  return (visit, options) => forEachEntry(layer, visit, options);
}

/** Reads the blob and records (adds to the recorder on a second read). */
export function recordingReader(layer: LayerInput, recorder: LayerRecorder): EntryReader {
  return async (visit, options) => {
    recorder.rewind();
    const stats = await forEachEntry(layer, (entry, content) => visit(entry, recorder.visit(entry, content)), options);
    recorder.finish(stats);
    return stats;
  };
}

/** Replays a recording; reading bytes it does not hold throws ReplayMiss (with `position`). */
export function replayReader(layer: LayerInput, recording: LayerRecording, position: number): EntryReader {
  return async (visit, options) => {
    const what = describeLayer(layer.origin);
    const declared = declaredCompression(layer.mediaType, what);
    if (recording.compression !== declared) options.onWarning?.(compressionWarning(layer, declared, recording.compression));
    let n = 0;
    for (const recorded of recording.entries) {
      if ((n++ & 1023) === 0 && options.signal?.aborted) throw new LayerError('LAYER_ABORTED', `${what}: cancelled`);
      const entry = recorded.entry;
      if (entry.kind === 'file') await visit(entry, new ReplayContent(recorded, position));
      else await visit(entry);
    }
    return {
      compressedSize: recording.compressedSize,
      uncompressedSize: recording.uncompressedSize,
      diffId: recording.diffId,
      entries: recording.tarEntries,
      compression: recording.compression,
      declaredCompression: declared,
    };
  };
}
