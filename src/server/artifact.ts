/**
 * What a stored manifest is, for the scanner and the pull policy, decided from
 * evidence: what a client could run, not what the pusher declared.
 *
 * - `index`: an image index / manifest list (its children are judged one by one).
 * - `image`: what docker, containerd, podman or umoci can run: a config whose
 *   content is an image config (a `rootfs` of type `layers`, whatever media
 *   type its descriptor declares) and at least one filesystem layer, or no
 *   layers at all. A layer counts as a filesystem layer when its media type
 *   says so (tar, tar+gzip, tar+zstd, foreign and non-distributable variants,
 *   Docker's types), OR when its bytes are a tar stream (plain, gzip or zstd;
 *   `layers/sniff.ts`), OR when its bytes cannot be looked at (an absent
 *   foreign layer, an undecidable compressed head).
 * - `accessory`: everything else: cosign signatures (an image-like config but
 *   JSON layers), in-toto attestations, Sigstore bundles, SBOMs, OCI
 *   artifacts with the empty config, Helm charts and other tarballs whose
 *   config no runtime accepts as an image config.
 *
 * So `artifactType`, the config's declared media type and a made-up layer
 * media type change nothing: a manifest whose config is an image config and
 * whose layers are filesystem layers is never an accessory. A config that
 * cannot be read to the end (over the probe limit) counts as an image config.
 */
import {
  readAllBounded,
  type Digest,
  isIndexMediaType,
  layerCompression,
  isRecord,
  MAX_MANIFEST_BYTES,
  parseManifest,
  type Descriptor,
} from '../core/index.js';
import { sniffLayer } from '../layers/index.js';
import type { ManifestRecord } from './metadata/store.js';
import type { BlobStore } from './storage/blob-store.js';

export type ManifestKind = 'image' | 'index' | 'accessory';

export interface Classification {
  readonly kind: ManifestKind;
  /** Why, for logs and refusals: "layer 0 is a gzip tar stream". */
  readonly evidence: string;
}

/** Largest config read to tell an image config from an artifact's (OCI empty config is 2 bytes). */
const MAX_CONFIG_PROBE_BYTES = 1024 * 1024;
const TAR_TYPE = /(^|[.+/])tar([.+;]|$)/;

/** True when the media type names a filesystem layer (including tar-ish types we do not know by name). */
export function declaresLayer(mediaType: string): boolean {
  return layerCompression(mediaType) !== undefined || TAR_TYPE.test(mediaType) || mediaType.endsWith('.tar.gzip') || mediaType.endsWith('.tar.zstd');
}

export async function classifyStoredManifest(record: Pick<ManifestRecord, 'mediaType' | 'digest'>, blobs: BlobStore): Promise<Classification> {
  if (isIndexMediaType(record.mediaType)) return { kind: 'index', evidence: `media type ${record.mediaType}` };
  const manifest = parseManifest(await readAllBounded(await blobs.read(record.digest), MAX_MANIFEST_BYTES, `manifest ${record.digest}`));
  if (!(await isImageConfig(manifest.config.digest, blobs))) {
    return { kind: 'accessory', evidence: 'its config is not an image config (no rootfs of type "layers"): no runtime can run it' };
  }
  if (manifest.layers.length === 0) return { kind: 'image', evidence: 'an image config with no layers' };
  // A blob's bytes are read once however often it is listed (a 4 MiB manifest lists one blob 28,000 times).
  const read = new Set<Digest>();
  for (const [index, layer] of manifest.layers.entries()) {
    if (!declaresLayer(layer.mediaType) && read.has(layer.digest)) continue;
    read.add(layer.digest);
    const evidence = await runnableLayer(layer, blobs);
    if (evidence) return { kind: 'image', evidence: `an image config, and layer ${index} ${evidence}` };
  }
  return { kind: 'accessory', evidence: 'no layer is a filesystem layer' };
}

/** Why the layer counts as runnable, or undefined when its bytes show it is not a tar stream. */
async function runnableLayer(layer: Descriptor, blobs: BlobStore): Promise<string | undefined> {
  if (declaresLayer(layer.mediaType)) return `is declared a filesystem layer (${layer.mediaType})`;
  if (!(await blobs.stat(layer.digest))) return `(${layer.mediaType}) is not stored here, so its content cannot be ruled out`;
  const sniff = await sniffLayer(await blobs.read(layer.digest));
  if (sniff === 'tar') return `is a tar stream despite its media type ${layer.mediaType}`;
  if (sniff === 'unknown') return `(${layer.mediaType}) is compressed data whose head could not be read: treated as a layer`;
  return undefined;
}

/** An image config has `rootfs` with type `layers` (OCI image spec, Docker alike). */
async function isImageConfig(digest: Digest, blobs: BlobStore): Promise<boolean> {
  const info = await blobs.stat(digest);
  if (!info) return true;
  if (info.size > MAX_CONFIG_PROBE_BYTES) return true;
  let json: unknown;
  try {
    json = JSON.parse((await readAllBounded(await blobs.read(digest), MAX_CONFIG_PROBE_BYTES, `config ${digest}`)).toString('utf8'));
  } catch {
    return false;
  }
  return isRecord(json) && isRecord(json.rootfs) && json.rootfs.type === 'layers';
}

/**
 * Classifications by manifest digest (content-addressed, so they never go
 * stale), shared by the scanner and the policy so each manifest is read once.
 */
export class ManifestClassifier {
  readonly #known = new Map<Digest, Classification>();
  readonly #limit: number;

  constructor(
    private readonly blobs: BlobStore,
    options: { readonly limit?: number } = {},
  ) {
    this.#limit = options.limit ?? 100_000;
  }

  async classify(record: Pick<ManifestRecord, 'mediaType' | 'digest'>): Promise<Classification> {
    const known = this.#known.get(record.digest);
    if (known) return known;
    const classification = await classifyStoredManifest(record, this.blobs);
    if (this.#known.size >= this.#limit) this.#known.clear();
    this.#known.set(record.digest, classification);
    return classification;
  }
}
