/**
 * Reading one image of a docker-archive in place. The manifest is synthesised
 * the way containers/image (skopeo) does it, so `skopeo inspect --raw` and we
 * agree byte for byte: Docker schema 2, config descriptor from the config
 * file's bytes, and for each diff_id of the config a layer descriptor with
 * the gzip layer media type (skopeo's choice even for plain tars), the
 * diff_id as digest and the stored size.
 *
 * One deliberate difference: a layer stored compressed (gzip or zstd, older
 * `docker save`) is described by the digest and size of the stored bytes
 * (so the blob verifies as it is), where skopeo decompresses it and uses the
 * diff_id. Asking for such a layer by its diff_id still works: it is served
 * decompressed and verified against the diff_id.
 */
import { createHash } from 'node:crypto';
import { pipeline as pipeStreams, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  sha256Digest,
  type Digest,
  CoreError,
  MediaType,
  MAX_CONFIG_BYTES,
  parseImageConfig,
  type Descriptor,
  type ImageConfig,
} from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageSource, ManifestBlob } from '../../types.js';
import { decompressor, sniffCompression, type Compression } from '../local/compression.js';
import { TarIndex, type TarEntry } from '../local/tar-index.js';
import { verifiedStream } from '../local/verify.js';
import { chooseArchiveImage, MANIFEST_FILE, MAX_ARCHIVE_MANIFEST_BYTES, parseArchiveManifest, type ArchiveImage } from './archive.js';
import type { DockerArchiveReference } from './transport.js';

interface LayerInfo {
  readonly entry: TarEntry;
  readonly diffId: Digest;
  readonly compression: Compression;
  /** Digest of the stored bytes (the diff_id when not compressed). */
  readonly digest: Digest;
}

export class DockerArchiveSource implements ImageSource {
  private readonly byDigest = new Map<Digest, LayerInfo>();
  private readonly byDiffId = new Map<Digest, LayerInfo>();
  private readonly manifest: ManifestBlob;
  readonly configDigest: Digest;

  private constructor(
    readonly reference: DockerArchiveReference,
    private readonly tar: TarIndex,
    /** The manifest.json item this source reads. */
    readonly image: ArchiveImage,
    private readonly configBytes: Buffer,
    readonly config: ImageConfig,
    layers: readonly LayerInfo[],
  ) {
    this.configDigest = sha256Digest(configBytes);
    for (const layer of layers) {
      this.byDigest.set(layer.digest, layer);
      this.byDiffId.set(layer.diffId, layer);
    }
    // Field order and types exactly as containers/image's manifest.Schema2 marshals them.
    const json = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, size: configBytes.length, digest: this.configDigest },
      layers: layers.map((layer) => ({
        mediaType: layer.compression === 'zstd' ? MediaType.OciLayerZstd : MediaType.DockerLayerGzip,
        size: layer.entry.size,
        digest: layer.digest,
      })),
    };
    const bytes = Buffer.from(JSON.stringify(json));
    this.manifest = { bytes, mediaType: MediaType.DockerManifest, digest: sha256Digest(bytes) };
  }

  static async open(reference: DockerArchiveReference): Promise<DockerArchiveSource> {
    const what = `docker-archive ${reference.path}`;
    const tar = await TarIndex.open(reference.path, what);
    const manifestEntry = tar.find(MANIFEST_FILE);
    if (!manifestEntry) throw new ImageError('NOT_FOUND', `${what} has no manifest.json (not a docker-archive)`);
    const images = parseArchiveManifest(await tar.read(manifestEntry, MAX_ARCHIVE_MANIFEST_BYTES), what);
    const selector: { tag?: string; sourceIndex?: number; display?: string } = {};
    if (reference.tag !== undefined) {
      selector.tag = reference.tag;
      selector.display = reference.within.slice(reference.within.indexOf(':') + 1);
    }
    if (reference.sourceIndex !== undefined) selector.sourceIndex = reference.sourceIndex;
    const image = chooseArchiveImage(images, selector, what);

    const configEntry = tar.find(image.config);
    if (!configEntry) throw new ImageError('NOT_FOUND', `${what}: config ${image.config} named in manifest.json is missing`);
    const configBytes = await tar.read(configEntry, MAX_CONFIG_BYTES);
    let config: ImageConfig;
    try {
      config = parseImageConfig(configBytes);
    } catch (error) {
      if (error instanceof CoreError) throw new ImageError('MANIFEST_INVALID', `${what}: config ${image.config}: ${error.message}`, { cause: error });
      throw error;
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== image.layers.length) {
      throw new ImageError('MANIFEST_INVALID', `${what}: ${image.layers.length} layers in manifest.json but ${diffIds.length} diff_ids in the config`);
    }
    const layers: LayerInfo[] = [];
    const known = new Map<Digest, LayerInfo>();
    for (let i = 0; i < diffIds.length; i++) {
      const diffId = diffIds[i] as Digest;
      const seen = known.get(diffId);
      if (seen) {
        layers.push(seen); // the same layer twice in one image: docker save stores it once
        continue;
      }
      const layerPath = image.layers[i] as string;
      const entry = tar.find(layerPath);
      if (!entry) throw new ImageError('NOT_FOUND', `${what}: layer ${layerPath} named in manifest.json is missing`);
      const compression = sniffCompression(await tar.head(entry, 4));
      const digest = compression === 'none' ? diffId : await hashEntry(tar, entry);
      const info: LayerInfo = { entry, diffId, compression, digest };
      known.set(diffId, info);
      layers.push(info);
    }
    return new DockerArchiveSource(reference, tar, image, configBytes, config, layers);
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    if (digest !== undefined && digest !== this.manifest.digest) {
      throw new ImageError('NOT_FOUND', `${this.tar.what} has no manifest ${digest} (its image's manifest is ${this.manifest.digest})`);
    }
    return this.manifest;
  }

  async getBlob(descriptor: Descriptor): Promise<Readable> {
    const size = descriptor.size;
    if (descriptor.digest === this.configDigest) return verifiedStream(Readable.from([this.configBytes]), this.configDigest, size, `config ${this.configDigest}`);
    const stored = this.byDigest.get(descriptor.digest);
    if (stored) return verifiedStream(this.tar.stream(stored.entry), stored.digest, size);
    const compressed = this.byDiffId.get(descriptor.digest);
    if (compressed && compressed.compression !== 'none') {
      const raw = verifiedStream(this.tar.stream(compressed.entry), compressed.digest, compressed.entry.size);
      const inflate = decompressor(compressed.compression);
      return verifiedStream(pipeStreams(raw, inflate, () => undefined), compressed.diffId, size, `layer ${compressed.diffId} (decompressed)`);
    }
    throw new ImageError('NOT_FOUND', `${this.tar.what} has no blob ${descriptor.digest} in image ${this.image.repoTags[0] ?? this.image.config}`);
  }

  async close(): Promise<void> {}
}

async function hashEntry(tar: TarIndex, entry: TarEntry): Promise<Digest> {
  const hash = createHash('sha256');
  await pipeline(tar.stream(entry), hash);
  return `sha256:${hash.digest('hex')}`;
}

export function openDockerArchiveSource(reference: DockerArchiveReference): Promise<DockerArchiveSource> {
  return DockerArchiveSource.open(reference);
}
