/**
 * The `inspect` use case: everything a user asks first about an image, as one
 * documented, stable object (docs/inspect.md), from the manifest and the
 * config only, as `skopeo inspect` reads it: a remote image costs two small
 * requests, not its layers. With `verifyLayers`, every layer is also streamed
 * once to learn its uncompressed size and to check that it is a well-formed,
 * safe tar whose digest matches the config's diff_id. The same for every
 * transport, so the output does not depend on where the image lives.
 */
import type { Digest, HistoryEntry, Platform } from '../core/index.js';
import { resolveImage, type ResolveOptions, type ResolvedImage, type ImageSource } from '../image/index.js';
import { LayerError, measureLayer } from '../layers/index.js';

export const INSPECT_SCHEMA_VERSION = 1;

export interface InspectLayer {
  digest: Digest;
  mediaType: string;
  size: number;
  diffId?: Digest;
  uncompressedSize?: number;
  /** The history entry that created this layer. */
  createdBy?: string;
  created?: string;
  comment?: string;
}

export interface InspectReport {
  schemaVersion: typeof INSPECT_SCHEMA_VERSION;
  reference: string;
  digest: Digest;
  mediaType: string;
  index?: { digest: Digest; mediaType: string; platforms: string[] };
  platform?: Platform;
  created?: string;
  author?: string;
  config: {
    digest: Digest;
    mediaType: string;
    user?: string;
    entrypoint?: string[];
    cmd?: string[];
    workingDir?: string;
    /** Names only: values can hold secrets. */
    env: string[];
    labels: Record<string, string>;
    exposedPorts: string[];
    volumes: string[];
    stopSignal?: string;
    healthcheck?: string[];
  };
  layers: InspectLayer[];
  /** Sum of the layers' stored (compressed) sizes. */
  size: number;
  /** Sum of uncompressed sizes, when measured. */
  uncompressedSize?: number;
  history: HistoryEntry[];
}

export interface InspectOptions extends ResolveOptions {
  /** Stream every layer to measure and validate it (default false: manifest and config only). */
  verifyLayers?: boolean;
  signal?: AbortSignal;
}

export async function inspectImage(source: ImageSource, reference: string, options: InspectOptions = {}): Promise<InspectReport> {
  const image = await resolveImage(source, options);
  const layers = image.manifest.layers.map((layer, i) => describeLayer(image, i, layer));
  if (options.verifyLayers === true) await measureAll(image, layers);
  return buildReport(image, reference, layers);
}

function describeLayer(image: ResolvedImage, position: number, layer: ResolvedImage['manifest']['layers'][number]): InspectLayer {
  const out: InspectLayer = { digest: layer.digest, mediaType: layer.mediaType, size: layer.size };
  const diffId = image.config?.rootfs.diff_ids[position];
  if (diffId) out.diffId = diffId;
  const history = layerHistory(image.config?.history ?? [])[position];
  if (history?.created_by) out.createdBy = history.created_by;
  if (history?.created) out.created = history.created;
  if (history?.comment) out.comment = history.comment;
  return out;
}

/** History entries that produced a layer, in layer order (empty_layer entries made none). */
export function layerHistory(history: readonly HistoryEntry[]): HistoryEntry[] {
  return history.filter((entry) => entry.empty_layer !== true);
}

async function measureAll(image: ResolvedImage, layers: InspectLayer[]): Promise<void> {
  for (const [i, layer] of layers.entries()) {
    const descriptor = image.manifest.layers[i];
    if (!descriptor) continue;
    const stats = await measureLayer({
      origin: { index: i, digest: descriptor.digest, ...(layer.diffId ? { diffId: layer.diffId } : {}) },
      mediaType: descriptor.mediaType,
      open: () => image.source.getBlob(descriptor),
    });
    layer.uncompressedSize = stats.uncompressedSize;
    if (layer.diffId && stats.diffId !== layer.diffId) {
      throw new LayerError(
        'LAYER_DIFFID_MISMATCH',
        `layer ${i} (${descriptor.digest}) uncompresses to ${stats.diffId}, but the config's diff_id is ${layer.diffId}`,
      );
    }
    layer.diffId ??= stats.diffId;
  }
}

function buildReport(image: ResolvedImage, reference: string, layers: InspectLayer[]): InspectReport {
  const cfg = image.config?.config ?? {};
  const report: InspectReport = {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    reference,
    digest: image.manifestBlob.digest,
    mediaType: image.manifestBlob.mediaType,
    config: {
      digest: image.manifest.config.digest,
      mediaType: image.manifest.config.mediaType,
      env: (cfg.Env ?? []).map((e) => e.split('=', 1)[0] ?? e),
      labels: cfg.Labels ?? {},
      exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
      volumes: Object.keys(cfg.Volumes ?? {}),
    },
    layers,
    size: layers.reduce((sum, l) => sum + l.size, 0),
    history: image.config?.history ?? [],
  };
  if (cfg.User) report.config.user = cfg.User;
  if (cfg.Entrypoint) report.config.entrypoint = cfg.Entrypoint;
  if (cfg.Cmd) report.config.cmd = cfg.Cmd;
  if (cfg.WorkingDir) report.config.workingDir = cfg.WorkingDir;
  if (cfg.StopSignal) report.config.stopSignal = cfg.StopSignal;
  if (cfg.Healthcheck?.Test) report.config.healthcheck = cfg.Healthcheck.Test;
  if (image.index) {
    report.index = {
      digest: image.index.blob.digest,
      mediaType: image.index.blob.mediaType,
      platforms: image.index.index.manifests
        .filter((m) => m.platform)
        .map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}`),
    };
  }
  if (image.platform) report.platform = image.platform;
  if (image.config?.created) report.created = image.config.created;
  if (image.config?.author) report.author = image.config.author;
  if (layers.every((l) => l.uncompressedSize !== undefined)) {
    report.uncompressedSize = layers.reduce((sum, l) => sum + (l.uncompressedSize ?? 0), 0);
  }
  return report;
}
