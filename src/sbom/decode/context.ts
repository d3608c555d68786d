/**
 * State of one decode: the component cap, warnings, and placing packages in
 * the image's layers from whatever layer hint a document gives. Shared by all
 * formats so the cap and the warnings read the same whoever wrote the SBOM.
 */
import { isDigest, type LayerOrigin, type OsRelease, type Package, plural } from '../../core/index.js';
import type { SbomImage } from '../common.js';
import { SbomError } from '../errors.js';
import { DEFAULT_MAX_COMPONENTS, type DecodedSbom, type DecodeOptions, type SbomFormat } from './options.js';

/** Where a document says a package's layer is; any subset. */
export interface LayerHint {
  index?: number;
  digest?: string;
  diffId?: string;
}

export class Context {
  readonly warnings: string[] = [];
  /** The document's own statement that its inventory is incomplete (ours: `portcullis:incomplete`). */
  readonly incomplete: string[] = [];
  readonly maxComponents: number;
  private readonly layers?: readonly LayerOrigin[];
  private seen = 0;
  private unplaced = 0;
  private noPurl = 0;

  constructor(options: DecodeOptions) {
    this.maxComponents = options.maxComponents ?? DEFAULT_MAX_COMPONENTS;
    this.layers = options.layers;
  }

  /** Counts one component; throws TOO_LARGE past the cap. */
  count(): void {
    this.seen++;
    if (this.seen > this.maxComponents) throw new SbomError('TOO_LARGE', `SBOM has more than ${this.maxComponents} components`);
  }

  noPurlSeen(): void {
    this.noPurl++;
  }

  /** A LayerOrigin from a hint, using the image's layers when given. */
  layer(hint: LayerHint): LayerOrigin | undefined {
    const digest = hint.digest && isDigest(hint.digest) ? hint.digest : undefined;
    const diffId = hint.diffId && isDigest(hint.diffId) ? hint.diffId : undefined;
    if (this.layers) {
      const found =
        (diffId && this.layers.find((l) => l.diffId === diffId)) ||
        (digest && this.layers.find((l) => l.digest === digest)) ||
        (hint.index !== undefined && !digest && !diffId ? this.layers.find((l) => l.index === hint.index) : undefined);
      if (found) return found;
    }
    if (hint.index !== undefined && digest) return { index: hint.index, digest, ...(diffId ? { diffId } : {}) };
    return undefined;
  }

  /** Adds the layer to a package built without one, or keeps the hint in metadata. */
  withLayer(pkg: Package, hint: LayerHint): Package {
    if (hint.index === undefined && !hint.digest && !hint.diffId) return pkg;
    const layer = this.layer(hint);
    if (layer) return { ...pkg, layer };
    this.unplaced++;
    const metadata: Record<string, string> = { ...(pkg.metadata ?? {}) };
    if (hint.diffId) metadata.layerDiffID = hint.diffId;
    if (hint.digest) metadata.layerDigest = hint.digest;
    if (hint.index !== undefined) metadata.layerIndex = String(hint.index);
    return { ...pkg, metadata };
  }

  /** Native documents carry full layers; with `options.layers`, they are re-checked against the image's. */
  placeLayer(pkg: Package): Package {
    if (!pkg.layer || !this.layers) return pkg;
    const layer = this.layer({ index: pkg.layer.index, digest: pkg.layer.digest, ...(pkg.layer.diffId ? { diffId: pkg.layer.diffId } : {}) });
    return layer ? { ...pkg, layer } : pkg;
  }

  closingWarnings(): void {
    if (this.unplaced) {
      this.warnings.push(
        `${plural(this.unplaced, 'package')} ${this.unplaced === 1 ? 'names its' : 'name their'} layer by diffID or digest only; kept as metadata.layerDiffID/layerDigest (pass the image's layers to place them)`,
      );
    }
    if (this.noPurl) this.warnings.push(`${plural(this.noPurl, 'component')} without a purl skipped`);
  }
}

export function finish(
  format: SbomFormat,
  formatVersion: string | undefined,
  producer: string | undefined,
  image: SbomImage | undefined,
  os: OsRelease | undefined,
  packages: Package[],
  ctx: Context,
): DecodedSbom {
  ctx.closingWarnings();
  return {
    format,
    ...(formatVersion ? { formatVersion } : {}),
    ...(producer ? { producer } : {}),
    ...(image ? { image } : {}),
    inventory: {
      ...(os ? { os } : {}),
      packages,
      ownedFiles: [],
      warnings: ctx.warnings,
      ...(ctx.incomplete.length > 0 ? { incomplete: ctx.incomplete } : {}),
    },
  };
}
