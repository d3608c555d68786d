/**
 * Copying an image from any source to any destination, like `skopeo copy`:
 * manifests are written as the exact bytes read, so digests are preserved
 * wherever the destination format stores manifests as they are. Blobs the
 * destination already has are skipped; blobs on the same registry are mounted.
 * Nothing becomes visible at the destination until every blob is in and the
 * manifest is written (destination.commit).
 */
import {
  type Digest,
  readAllBounded,
  MAX_CONFIG_BYTES,
  manifestKind,
  parseImageConfig,
  parseIndex,
  parseManifest,
  type Descriptor,
  type Platform,
  parseImageRef,
} from '../core/index.js';
import { dockerIndexToOci, dockerManifestToOci, needsConversion } from './convert.js';
import { ImageError } from './errors.js';
import { hostPlatform, selectPlatform } from './platform.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './types.js';

export interface CopyOptions {
  /** Copy every instance of an index (skopeo's --all); otherwise only the chosen platform. */
  all?: boolean;
  platform?: Platform;
  /** Blobs copied at once. */
  concurrency?: number;
  /**
   * Called with the top-level manifest before any blob moves; throw to refuse
   * (content trust). The manifest passed is the one that will be copied.
   */
  beforeCopy?: (manifest: ManifestBlob) => Promise<void>;
}

export interface CopyResult {
  /** Digest of the top-level manifest written to the destination. */
  readonly digest: Digest;
  readonly mediaType: string;
  readonly blobsCopied: number;
  readonly blobsSkipped: number;
  readonly blobsMounted: number;
  readonly bytesCopied: number;
}

const DEFAULT_CONCURRENCY = 4;

export async function copyImage(source: ImageSource, destination: ImageDestination, options: CopyOptions = {}): Promise<CopyResult> {
  const stats = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };
  const top = await source.getManifest();
  let kind = kindOf(top);
  let chosen = top;
  if (kind === 'index' && !options.all) {
    const entry = selectPlatform(parseIndex(top.bytes).manifests, options.platform ?? hostPlatform());
    chosen = await source.getManifest(entry.digest);
    kind = kindOf(chosen);
  }
  if (options.beforeCopy) await options.beforeCopy(chosen);

  const mountFrom = mountSource(source, destination);
  const copyBlobs = async (blobs: readonly Descriptor[]): Promise<void> => {
    await runPool(blobs, options.concurrency ?? DEFAULT_CONCURRENCY, async (blob) => {
      if (await destination.hasBlob(blob)) {
        stats.blobsSkipped++;
        return;
      }
      if (mountFrom && destination.mountBlob && (await destination.mountBlob(blob, mountFrom))) {
        stats.blobsMounted++;
        return;
      }
      const content = await source.getBlob(blob);
      try {
        await destination.putBlob(blob, content);
      } catch (error) {
        // The destination gave up first (e.g. its own check failed): stop reading, and
        // keep the source's own late error from surfacing as an uncaught exception.
        content.on('error', () => undefined);
        content.destroy();
        throw error;
      }
      stats.blobsCopied++;
      stats.bytesCopied += blob.size;
    });
  };
  /** Copies one image manifest's blobs and the manifest; returns what was written. */
  const copySingle = async (blob: ManifestBlob, instance: boolean): Promise<ManifestBlob> => {
    const manifest = parseManifest(blob.bytes);
    await copyBlobs(uniqueBlobs([manifest.config, ...manifest.layers]));
    const written = needsConversion(blob.mediaType, destination.manifestMediaTypes)
      ? dockerManifestToOci(blob, await diffIdsOf(source, manifest.config))
      : blob;
    await destination.putManifest(written, { instance });
    return written;
  };

  let written: ManifestBlob;
  if (kind === 'index') {
    const replaced = new Map<Digest, ManifestBlob>();
    for (const entry of parseIndex(chosen.bytes).manifests) {
      const child = await source.getManifest(entry.digest);
      if (kindOf(child) !== 'manifest') {
        throw new ImageError('MANIFEST_UNSUPPORTED', `index entry ${entry.digest} is itself an index; nested indexes are not supported`);
      }
      const childWritten = await copySingle(child, true);
      if (childWritten.digest !== child.digest) replaced.set(child.digest, childWritten);
    }
    written = needsConversion(chosen.mediaType, destination.manifestMediaTypes) ? dockerIndexToOci(chosen, replaced) : chosen;
    await destination.putManifest(written, { instance: false });
  } else {
    written = await copySingle(chosen, false);
  }
  await destination.commit();
  return { digest: written.digest, mediaType: written.mediaType, ...stats };
}

/** The config's diff_ids, needed to tell uncompressed layers when converting. */
async function diffIdsOf(source: ImageSource, config: Descriptor): Promise<Digest[]> {
  const bytes = await readAllBounded(await source.getBlob(config), MAX_CONFIG_BYTES, `config ${config.digest}`);
  try {
    return parseImageConfig(bytes).rootfs.diff_ids;
  } catch {
    return []; // not an image config (an artifact): no layer is known to be uncompressed
  }
}

function kindOf(blob: ManifestBlob): 'manifest' | 'index' {
  return manifestKind(blob.bytes, blob.mediaType).kind;
}

function uniqueBlobs(blobs: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return blobs.filter((b) => (seen.has(b.digest) ? false : (seen.add(b.digest), true)));
}

/** The source repository to mount from, when both ends are the same registry. */
function mountSource(source: ImageSource, destination: ImageDestination): string | undefined {
  if (source.reference.transport.name !== 'docker' || destination.reference.transport.name !== 'docker') return undefined;
  const from = parseImageRef(source.reference.within);
  const to = parseImageRef(destination.reference.within);
  return from.registry === to.registry && from.repository !== to.repository ? from.repository : undefined;
}

async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed = true; // stop the other workers taking new blobs
        throw error;
      }
    }
  });
  await Promise.all(workers);
}
