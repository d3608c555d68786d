/**
 * Writing a docker-archive (what `docker load` and skopeo read): a tar with
 * `manifest.json`, `repositories`, the config as `<hex>.json` and each layer
 * uncompressed as `<diff_id-hex>.tar`, plus the legacy `<id>/{VERSION,json,
 * layer.tar→../<diff_id-hex>.tar}` directories older loaders look for.
 *
 * Layers arrive compressed or not; the first bytes decide (gzip, zstd or a
 * plain tar), they are verified against the descriptor while they stream and
 * decompressed straight into the tar, hashing the uncompressed bytes; the
 * entry's name is written once that digest is known. putManifest then checks
 * every layer's uncompressed digest against the config's diff_ids.
 *
 * The tar is written to `.FILE.tmp-<random>` and renamed on commit. An
 * existing FILE is refused (DESTINATION_EXISTS), as skopeo does, unless
 * `overwrite` is set; a character device or FIFO is written into instead
 * (the tar is built in the temp directory, then streamed; src/core/user-files.ts). One archive can hold several images:
 * `DockerArchiveWriter.create()` then `writer.destination(tags)` per image
 * and `writer.finish()`.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  readAllBounded,
  digestHex,
  sha256Digest,
  verifyBytes,
  type Digest,
  CoreError,
  layerCompression,
  MediaType,
  MAX_CONFIG_BYTES,
  manifestKind,
  parseImageConfig,
  parseManifest,
  type Descriptor,
  type ImageConfig,
  formatImageRef,
  refName,
  type ImageRef,
  StagedOutput,
} from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageDestination, ImageReference, ManifestBlob, PutManifestOptions } from '../../types.js';
import { autoDecompress } from '../local/compression.js';
import { fsError, statOrUndefined } from '../local/files.js';
import { Mutex, TarFileWriter } from '../local/tar-writer.js';
import { verifiedStream } from '../local/verify.js';
import { MANIFEST_FILE, REPOSITORIES_FILE } from './archive.js';
import type { DockerArchiveReference } from './transport.js';

export interface DockerArchiveDestinationOptions {
  /** Replace an existing FILE (default: refuse with DESTINATION_EXISTS, like skopeo). */
  overwrite?: boolean;
}

interface ManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** A docker-archive being written; holds any number of images. */
export class DockerArchiveWriter {
  private readonly mutex = new Mutex();
  /** diff_id → entry name of the uncompressed layer. */
  private readonly layers = new Map<Digest, string>();
  /** descriptor digest (as received) → diff_id. */
  private readonly received = new Map<Digest, Digest>();
  /** Non-layer blobs (configs), kept in memory up to MAX_CONFIG_BYTES each. */
  private readonly smallBlobs = new Map<Digest, Buffer>();
  private readonly files = new Set<string>();
  private readonly items: ManifestItem[] = [];
  private readonly repositories: Record<string, Record<string, string>> = {};
  private state: 'open' | 'finished' | 'aborted' = 'open';
  readonly what: string;

  private constructor(
    readonly path: string,
    private readonly output: StagedOutput,
    private readonly tar: TarFileWriter,
    private readonly overwrite: boolean,
  ) {
    this.what = `docker-archive ${path}`;
  }

  static async create(path: string, options: DockerArchiveDestinationOptions = {}): Promise<DockerArchiveWriter> {
    const stat = await statOrUndefined(path);
    // A character device or FIFO (`docker-archive:/dev/null`, a pipe to `docker load`) is written
    // into, not an existing archive to protect.
    const stream = stat !== undefined && (stat.isCharacterDevice() || stat.isFIFO());
    if (stat && !stream && !options.overwrite) {
      throw new ImageError('DESTINATION_EXISTS', `docker-archive ${path} already exists; docker-archive does not modify existing archives`);
    }
    if (stat?.isDirectory()) throw new ImageError('DESTINATION_EXISTS', `docker-archive ${path} is a directory`);
    const output = await StagedOutput.prepare(path, { what: `docker-archive ${path}` });
    const tar = await TarFileWriter.create(output.tempPath);
    return new DockerArchiveWriter(path, output, tar, options.overwrite ?? false);
  }

  /** A destination for one image of this archive, tagged with `tags` (fully qualified or short). */
  destination(reference: ImageReference, tags: readonly ImageRef[] = []): DockerArchiveImageDestination {
    return new DockerArchiveImageDestination(reference, this, tags);
  }

  hasBlob(digest: Digest): boolean {
    return this.received.has(digest) || this.layers.has(digest) || this.smallBlobs.has(digest);
  }

  /** The diff_id a received layer blob decompressed to. */
  diffIdOf(digest: Digest): Digest | undefined {
    return this.received.get(digest) ?? (this.layers.has(digest) ? digest : undefined);
  }

  smallBlob(digest: Digest): Buffer | undefined {
    return this.smallBlobs.get(digest);
  }

  putBlob(descriptor: Descriptor, content: Readable): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      if (this.hasBlob(descriptor.digest)) {
        content.resume();
        return;
      }
      const verified = verifiedStream(content, descriptor.digest, descriptor.size);
      if (!isLayerType(descriptor.mediaType)) {
        const bytes = await readAllBounded(verified, MAX_CONFIG_BYTES, `${this.what}: blob ${descriptor.digest} (${descriptor.mediaType})`);
        this.smallBlobs.set(descriptor.digest, bytes);
        return;
      }
      const start = this.tar.size;
      const hash = createHash('sha256');
      let hex = '';
      try {
        const { stream } = await autoDecompress(verified);
        const hashing = (async function* (): AsyncGenerator<Buffer> {
          for await (const chunk of stream) {
            hash.update(chunk as Buffer);
            yield chunk as Buffer;
          }
        })();
        await this.tar.addStream('layer.tar', hashing, () => {
          hex = hash.digest('hex');
          return `${hex}.tar`;
        });
      } catch (error) {
        content.destroy();
        if (error instanceof CoreError || error instanceof ImageError) throw error;
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('Z_')) {
          throw new ImageError('ARCHIVE_INVALID', `${this.what}: layer ${descriptor.digest} is not valid compressed data: ${(error as Error).message}`, { cause: error });
        }
        throw fsError(error, `${this.what}: writing layer ${descriptor.digest}`);
      }
      const diffId: Digest = `sha256:${hex}`;
      if (this.layers.has(diffId)) {
        await this.tar.rollback(start); // same content arrived under another compression
      } else {
        this.layers.set(diffId, `${hex}.tar`);
        this.files.add(`${hex}.tar`);
      }
      this.received.set(descriptor.digest, diffId);
    });
  }

  /** Adds one image (its config bytes and ordered diff_ids) to the archive. */
  addImage(configBytes: Buffer, config: ImageConfig, tags: readonly ImageRef[]): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      const configName = `${digestHex(sha256Digest(configBytes))}.json`;
      await this.addFileOnce(configName, configBytes);
      const diffIds = config.rootfs.diff_ids;
      // Legacy (docker < 1.10) metadata: one directory per layer, chained by parent ids.
      let chain = '';
      let parent = '';
      for (let i = 0; i < diffIds.length; i++) {
        const diffId = diffIds[i] as Digest;
        chain = chain === '' ? diffId : sha256Digest(`${chain} ${diffId}`);
        const top = i === diffIds.length - 1;
        const id = top ? digestHex(sha256Digest(`${chain} ${sha256Digest(configBytes)}`)) : digestHex(chain as Digest);
        const json: Record<string, unknown> = { id };
        if (parent !== '') json.parent = parent;
        if (top) {
          const raw = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
          for (const key of ['architecture', 'config', 'container', 'container_config', 'created', 'docker_version', 'os']) json[key] = raw[key] ?? null;
        }
        if (!this.files.has(`${id}/json`)) {
          await this.tar.addDirectory(id);
          await this.tar.addSymlink(`${id}/layer.tar`, `../${this.layers.get(diffId) ?? `${digestHex(diffId)}.tar`}`);
          await this.addFileOnce(`${id}/VERSION`, Buffer.from('1.0'));
          await this.addFileOnce(`${id}/json`, Buffer.from(JSON.stringify(sortKeys(json))));
        }
        parent = id;
      }
      const repoTags = tags.map((t) => formatImageRef(t));
      for (const tag of tags) {
        if (parent === '' || tag.tag === undefined) continue;
        const name = refName(tag);
        this.repositories[name] = { ...(this.repositories[name] ?? {}), [tag.tag]: parent };
      }
      this.items.push({ Config: configName, RepoTags: repoTags, Layers: diffIds.map((d) => this.layers.get(d) ?? `${digestHex(d)}.tar`) });
    });
  }

  get imageCount(): number {
    return this.items.length;
  }

  /** Writes manifest.json and repositories and moves the archive into place. */
  finish(): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      if (this.items.length === 0) throw new ImageError('MANIFEST_INVALID', `${this.what}: no image was written`);
      try {
        await this.tar.addBytes(MANIFEST_FILE, Buffer.from(JSON.stringify(this.items)));
        await this.tar.addBytes(REPOSITORIES_FILE, Buffer.from(JSON.stringify(this.repositories)));
        await this.tar.finish();
        if (!this.overwrite && this.output.plan.kind === 'atomic' && (await statOrUndefined(this.path))) {
          throw new ImageError('DESTINATION_EXISTS', `${this.what} appeared while it was being written`);
        }
        await this.output.commit();
      } catch (error) {
        await this.tar.close();
        await this.output.discard();
        this.state = 'aborted';
        throw fsError(error, this.what);
      }
      this.state = 'finished';
    });
  }

  /** Drops everything written (no-op after finish). */
  abort(): Promise<void> {
    return this.mutex.run(async () => {
      if (this.state !== 'open') return;
      this.state = 'aborted';
      await this.tar.close();
      await this.output.discard();
    });
  }

  get finished(): boolean {
    return this.state === 'finished';
  }

  private async addFileOnce(name: string, data: Buffer): Promise<void> {
    if (this.files.has(name)) return;
    await this.tar.addBytes(name, data);
    this.files.add(name);
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new ImageError('IO_ERROR', `${this.what}: archive already ${this.state}`);
  }
}

/** One image of a DockerArchiveWriter. */
export class DockerArchiveImageDestination implements ImageDestination {
  private pending: { configBytes: Buffer; config: ImageConfig } | undefined;
  private committed = false;
  /** Set for the single-image form: commit finishes the archive, close without commit aborts it. */
  ownsWriter = false;

  constructor(
    readonly reference: ImageReference,
    readonly writer: DockerArchiveWriter,
    private readonly tags: readonly ImageRef[],
  ) {}

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.writer.hasBlob(descriptor.digest);
  }

  putBlob(descriptor: Descriptor, content: Readable): Promise<void> {
    return this.writer.putBlob(descriptor, content);
  }

  async putManifest(manifest: ManifestBlob, options: PutManifestOptions = {}): Promise<void> {
    const what = this.writer.what;
    let kind: 'manifest' | 'index';
    try {
      verifyBytes(manifest.bytes, manifest.digest, `manifest ${manifest.digest}`);
      kind = manifestKind(manifest.bytes, manifest.mediaType).kind;
    } catch (error) {
      if (error instanceof CoreError && error.code === 'JSON_INVALID') throw new ImageError('MANIFEST_INVALID', `${what}: ${error.message}`, { cause: error });
      throw error;
    }
    if (kind === 'index' || options.instance) {
      throw new ImageError('MANIFEST_UNSUPPORTED', `${what}: docker-archive holds single images, not an index; choose one platform`);
    }
    const parsed = parseManifest(manifest.bytes);
    const configBytes = this.writer.smallBlob(parsed.config.digest);
    if (!configBytes) throw new ImageError('MANIFEST_INVALID', `${what}: config ${parsed.config.digest} was not written before the manifest`);
    let config: ImageConfig;
    try {
      config = parseImageConfig(configBytes);
    } catch (error) {
      if (error instanceof CoreError) throw new ImageError('MANIFEST_INVALID', `${what}: config: ${error.message}`, { cause: error });
      throw error;
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== parsed.layers.length) {
      throw new ImageError('MANIFEST_INVALID', `${what}: the manifest has ${parsed.layers.length} layers, the config ${diffIds.length} diff_ids`);
    }
    parsed.layers.forEach((layer, i) => {
      const diffId = this.writer.diffIdOf(layer.digest);
      if (diffId === undefined) throw new ImageError('MANIFEST_INVALID', `${what}: layer ${layer.digest} was not written before the manifest`);
      if (diffId !== diffIds[i]) {
        throw new CoreError('DIGEST_MISMATCH', `layer ${i} (${layer.digest}) decompresses to ${diffId}, but the config's diff_id is ${String(diffIds[i])}`);
      }
    });
    this.pending = { configBytes, config };
  }

  async commit(): Promise<void> {
    if (!this.pending) throw new ImageError('MANIFEST_INVALID', `${this.writer.what}: commit without a manifest`);
    await this.writer.addImage(this.pending.configBytes, this.pending.config, this.tags);
    if (this.ownsWriter) await this.writer.finish();
    this.committed = true;
  }

  async close(): Promise<void> {
    if (this.ownsWriter && !this.writer.finished) await this.writer.abort();
    void this.committed;
  }
}

function isLayerType(mediaType: string): boolean {
  return layerCompression(mediaType) !== undefined || mediaType === MediaType.DockerLayerForeignGzip;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export async function openDockerArchiveDestination(
  reference: DockerArchiveReference,
  options: DockerArchiveDestinationOptions = {},
): Promise<DockerArchiveImageDestination> {
  const writer = await DockerArchiveWriter.create(reference.path, options);
  const destination = writer.destination(reference, reference.tagged ? [reference.tagged] : []);
  destination.ownsWriter = true;
  return destination;
}
