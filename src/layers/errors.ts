/**
 * The one error class of the layers module. Every failure a layer can cause
 * has a code here; tests and the CLI assert the code, never the wording.
 */
import { PortcullisError } from '../core/errors.js';

export type LayerErrorCode =
  /** The compressed or tar stream ended before its end (short gzip/zstd, tar cut mid-entry). */
  | 'LAYER_TRUNCATED'
  /** The bytes are not a valid gzip/zstd/tar stream. */
  | 'LAYER_CORRUPT'
  /** The media type is not a layer type we know (and the bytes are no known compression either). */
  | 'LAYER_MEDIA_TYPE'
  /** An entry name is absolute or climbs out of the root with `..`: a hostile layer. */
  | 'LAYER_UNSAFE_PATH'
  /** An entry name or link target is longer or deeper than any real image has (path.ts MAX_PATH_LENGTH, MAX_PATH_DEPTH). */
  | 'LAYER_PATH_TOO_LONG'
  /** A hard link target escapes the root or is absolute. */
  | 'LAYER_UNSAFE_LINK'
  /** Symlink resolution met a loop or more than 40 hops. */
  | 'LAYER_SYMLINK_LOOP'
  /** A wanted file is over the size cap and the walk was told to fail on that. */
  | 'LAYER_FILE_TOO_LARGE'
  /** The uncompressed tar does not hash to the diff_id the image config records. */
  | 'LAYER_DIFFID_MISMATCH'
  /** The walk was cancelled through its AbortSignal. */
  | 'LAYER_ABORTED'
  /** The image has more layers than a walk reads (limits.ts): the scan is incomplete. */
  | 'LAYER_TOO_MANY_LAYERS'
  /** The image's layers hold more tar entries than a walk visits (limits.ts): the scan is incomplete. */
  | 'LAYER_TOO_MANY_ENTRIES';

export class LayerError extends PortcullisError<LayerErrorCode> {}
