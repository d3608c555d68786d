/**
 * The decoder's limits, options and result type: shared by the entry points
 * (decode.ts) and every format decoder, so they live apart from both.
 */
import type { LayerOrigin, Inventory } from '../../core/index.js';
import type { SbomImage } from '../common.js';

export const DEFAULT_MAX_SBOM_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_COMPONENTS = 500_000;

export type SbomFormat = 'cyclonedx' | 'spdx' | 'syft-json' | 'portcullis-json';

export interface DecodeOptions {
  /** Bytes read at most (default 256 MiB). */
  readonly maxBytes?: number;
  /** Components / packages / artifacts looked at, at most (default 500,000). */
  readonly maxComponents?: number;
  /** The image's layers, when the caller has them: places packages that name a layer by diffID or digest only. */
  readonly layers?: readonly LayerOrigin[];
}

export interface DecodedSbom {
  readonly format: SbomFormat;
  /** `1.6`, `SPDX-2.3`, Syft schema version, `1`. */
  readonly formatVersion?: string;
  /** Who wrote it, when the document says: `portcullis`, `syft`, `trivy`, … */
  readonly producer?: string;
  readonly image?: SbomImage;
  readonly inventory: Inventory;
}
