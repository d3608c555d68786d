/**
 * Caps on how much one walk may do, whatever the image says: a manifest can
 * list a small layer tens of thousands of times, and a layer can hold
 * millions of empty files, each costing the walk time and memory (link
 * metadata, path hashes, recordings for the layer cache). Real images are
 * far below both defaults (a Debian bookworm base image: 6,658 tar entries
 * in one layer, measured; a distribution image with a JDK ~100,000; Docker's
 * overlay driver stops at 128 layers). Past a cap the walk
 * stops with LAYER_TOO_MANY_LAYERS or LAYER_TOO_MANY_ENTRIES: the caller reports the scan as incomplete (fail
 * closed), it never goes on with a partial view, and memory stays bounded
 * by what was kept up to the cap.
 */
import { LayerError } from './errors.js';
import type { EntryReader } from './readers.js';

/** Layers one walk reads at most (Docker's overlay limit is 128). */
export const DEFAULT_MAX_LAYERS = 1_000;
/** Tar entries one walk visits at most, over all layers, re-reads and replays included. */
export const DEFAULT_MAX_ENTRIES = 2_000_000;

export interface WalkLimits {
  /** Layers an image may have (default DEFAULT_MAX_LAYERS). */
  readonly maxLayers?: number;
  /** Tar entries the walk may visit in all (default DEFAULT_MAX_ENTRIES). */
  readonly maxEntries?: number;
}

/** Throws LAYER_TOO_MANY_LAYERS when the image has more layers than the walk may read. */
export function checkLayerCount(count: number, limits: WalkLimits): void {
  const max = limits.maxLayers ?? DEFAULT_MAX_LAYERS;
  if (count > max) throw new LayerError('LAYER_TOO_MANY_LAYERS', `the image has ${count} layers, over the cap of ${max} layers a scan reads`);
}

/** Counts the entries a walk visits, over every reader it is given; the one past the cap throws LAYER_TOO_MANY_ENTRIES. */
export class EntryBudget {
  private used = 0;
  readonly max: number;

  constructor(limits: WalkLimits) {
    this.max = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  get visited(): number {
    return this.used;
  }

  /** `reader`, counting each entry it hands on. */
  limit(reader: EntryReader): EntryReader {
    return (visit, options) =>
      reader((entry, content) => {
        this.used++;
        if (this.used > this.max) {
          throw new LayerError('LAYER_TOO_MANY_ENTRIES', `the image's layers hold more than ${this.max} tar entries, over the cap a scan visits (a layer listed n times counts n times)`);
        }
        return visit(entry, content);
      }, options);
  }
}
