/**
 * `portcullis cache info|clean`: the local blob cache (~/.cache/portcullis/blobs,
 * docs/transports.md#the-local-blob-cache) and the layer analysis cache beside
 * it (~/.cache/portcullis/layers, engine/layer-cache.ts) — where they are, how
 * big, how old; and emptying them, by age, or each down to a size (least
 * recently used first). The advisory database beside them is reported, never
 * removed: `db` owns it.
 */
import { stat } from 'node:fs/promises';
import { defaultCacheRoot, cacheInfo, cleanCache, DEFAULT_CACHE_MAX_BYTES, trimCache } from '../../image/cache/index.js';
import { DEFAULT_LAYER_CACHE_MAX_BYTES, DirectoryLayerCache, layerCacheDir } from '../../engine/layer-cache.js';
import { defaultDbPath } from '../../vuln/index.js';
import { systemContext } from '../context.js';
import { parseAge, parseByteSize, UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';

export interface CacheCommandOptions {
  format?: string;
  all?: boolean;
  olderThan?: string;
  maxSize?: string;
}

function location(io: OutputStreams): { root: string; maxBytes: number; limitFrom: string } {
  const context = systemContext({}, { env: io.env });
  return {
    root: defaultCacheRoot(context),
    maxBytes: context.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    limitFrom: context.cacheMaxBytes !== undefined ? 'PORTCULLIS_CACHE_MAX_SIZE' : 'default',
  };
}

export async function cacheInfoCommand(options: CacheCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  const { root, maxBytes, limitFrom } = location(io);
  const info = await cacheInfo(root);
  const layers = await new DirectoryLayerCache({ dir: layerCacheDir(root) }).info();
  const dbPath = defaultDbPath(io.env);
  const dbBytes = await stat(dbPath).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
  const when = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
  if (format === 'json') {
    writeJson(io.stdout, {
      location: info.location,
      entries: info.entries,
      bytes: info.bytes,
      maxBytes,
      ...(info.oldestUseMs !== undefined ? { oldestUse: when(info.oldestUseMs) } : {}),
      ...(info.newestUseMs !== undefined ? { newestUse: when(info.newestUseMs) } : {}),
      partial: info.partial,
      layers: {
        location: layers.location,
        entries: layers.entries,
        bytes: layers.bytes,
        maxBytes: DEFAULT_LAYER_CACHE_MAX_BYTES,
        ...(layers.oldestUseMs !== undefined ? { oldestUse: when(layers.oldestUseMs) } : {}),
        ...(layers.newestUseMs !== undefined ? { newestUse: when(layers.newestUseMs) } : {}),
      },
      database: { path: dbPath, ...(dbBytes !== undefined ? { bytes: dbBytes } : {}) },
    });
    return ExitCode.Ok;
  }
  const lines = [
    `Location:   ${info.location}`,
    `Size:       ${formatBytes(info.bytes)} in ${info.entries} blob${info.entries === 1 ? '' : 's'} (limit ${formatBytes(maxBytes)}, ${limitFrom === 'default' ? 'the default; PORTCULLIS_CACHE_MAX_SIZE changes it' : 'from PORTCULLIS_CACHE_MAX_SIZE'})`,
  ];
  if (info.oldestUseMs !== undefined) lines.push(`Last used:  ${when(info.newestUseMs)} (least recently used: ${when(info.oldestUseMs)})`);
  if (info.partial.files > 0) lines.push(`Partial:    ${info.partial.files} unfinished download${info.partial.files === 1 ? '' : 's'}, ${formatBytes(info.partial.bytes)}`);
  lines.push(`Layers:     ${layers.location}: ${formatBytes(layers.bytes)} in ${layers.entries} layer analys${layers.entries === 1 ? 'is' : 'es'} (limit ${formatBytes(DEFAULT_LAYER_CACHE_MAX_BYTES)})`);
  lines.push(`Advisories: ${dbPath}${dbBytes !== undefined ? ` (${formatBytes(dbBytes)})` : ' (none yet)'}: not part of the blob cache; kept by "cache clean"`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

export async function cacheCleanCommand(options: CacheCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  if (options.all && (options.olderThan !== undefined || options.maxSize !== undefined)) {
    throw new UsageError('cache clean: --all removes everything; give it alone, or choose with --older-than / --max-size');
  }
  const olderThanMs = options.olderThan !== undefined ? parseAge(options.olderThan, '--older-than') : undefined;
  const maxSize = options.maxSize !== undefined ? parseByteSize(options.maxSize, '--max-size') : undefined;
  const { root } = location(io);
  const layerCache = new DirectoryLayerCache({ dir: layerCacheDir(root) });
  let removed = 0;
  let bytes = 0;
  let left = { entries: 0, bytes: 0 };
  let layers = { removed: 0, bytes: 0, left: { entries: 0, bytes: 0 } };
  if (maxSize === undefined || olderThanMs !== undefined) {
    // No selector: everything, as `go clean -cache` does.
    const result = await cleanCache(root, olderThanMs !== undefined ? { olderThanMs } : {});
    ({ removed, bytes, left } = result);
    layers = await layerCache.clean(olderThanMs !== undefined ? { olderThanMs } : {});
  }
  if (maxSize !== undefined) {
    const result = await trimCache(root, maxSize);
    removed += result.removed;
    bytes += result.bytes;
    left = result.left;
    const trimmed = await layerCache.trim(maxSize);
    layers = { removed: layers.removed + trimmed.removed, bytes: layers.bytes + trimmed.bytes, left: trimmed.left };
  }
  if (format === 'json') writeJson(io.stdout, { location: root, removed, bytes, left, layers: { location: layerCache.dir, ...layers } });
  else {
    io.stdout.write(
      `Removed ${removed} blob${removed === 1 ? '' : 's'} (${formatBytes(bytes)}) from ${root}; ${left.entries} left (${formatBytes(left.bytes)})\n` +
        `Removed ${layers.removed} layer analys${layers.removed === 1 ? 'is' : 'es'} (${formatBytes(layers.bytes)}) from ${layerCache.dir}; ${layers.left.entries} left (${formatBytes(layers.left.bytes)})\n`,
    );
  }
  return ExitCode.Ok;
}
