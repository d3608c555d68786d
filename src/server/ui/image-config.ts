/**
 * The image page's layer list: each layer of the manifest with its size and
 * the command that made it (`created_by` of the config's history, skipping
 * `empty_layer` entries, as `docker history` pairs them). Manifest and config
 * are read from blob storage with the core limits (4 MiB, 8 MiB); the config
 * is a hostile document, so every field is checked for its type before use
 * and the list stops at MAX_LAYERS. Undefined when the manifest is not an
 * image manifest or a blob cannot be read.
 */
import { type Digest, isRecord, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseImageConfig, parseManifest, readAllBounded } from '../../core/index.js';
import type { UiContext } from './context.js';
import { h, shortDigest, table, time } from './html.js';

export interface LayerRow {
  readonly index: number;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly createdBy?: string;
}

export interface ImageLayers {
  readonly layers: readonly LayerRow[];
  /** Layers beyond MAX_LAYERS, not listed. */
  readonly more: number;
  readonly created?: string;
  readonly platform?: string;
}

export const MAX_LAYERS = 500;

export async function readLayers(ctx: UiContext, digest: Digest): Promise<ImageLayers | undefined> {
  if (!ctx.blobs) return undefined;
  try {
    const manifest = parseManifest(await readAllBounded(await ctx.blobs.read(digest), MAX_MANIFEST_BYTES, `manifest ${digest}`));
    const config = parseImageConfig(await readAllBounded(await ctx.blobs.read(manifest.config.digest), MAX_CONFIG_BYTES, `config ${manifest.config.digest}`));
    const commands: Array<string | undefined> = [];
    for (const entry of Array.isArray(config.history) ? config.history : []) {
      if (commands.length >= manifest.layers.length) break;
      if (!isRecord(entry) || entry.empty_layer === true) continue;
      commands.push(typeof entry.created_by === 'string' ? entry.created_by : undefined);
    }
    const layers = manifest.layers.slice(0, MAX_LAYERS).map((layer, index) => {
      const createdBy = commands[index];
      return { index, digest: layer.digest, mediaType: layer.mediaType, size: layer.size, ...(createdBy ? { createdBy } : {}) };
    });
    const platform = [config.os, config.architecture, typeof config.variant === 'string' ? config.variant : undefined].filter((p) => p).join('/');
    return {
      layers,
      more: Math.max(0, manifest.layers.length - MAX_LAYERS),
      ...(typeof config.created === 'string' ? { created: config.created } : {}),
      ...(platform ? { platform } : {}),
    };
  } catch {
    return undefined;
  }
}

/** `12.3 MB` (decimal units, as registries and docker show sizes). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function layersSection(found: ImageLayers | undefined): string {
  if (!found) return '<h2>Layers</h2>\n<p class="none" id="layers-empty">The layers cannot be listed: the manifest or its config could not be read.</p>';
  const total = found.layers.reduce((n, l) => n + l.size, 0);
  const rows = found.layers.map(
    (l) =>
      `<tr data-index="${l.index}" data-digest="${h(l.digest)}" data-size="${l.size}"><td class="num">${l.index}</td><td>${shortDigest(l.digest)}</td>` +
      `<td class="num size">${h(formatSize(l.size))}</td><td class="created-by">${l.createdBy ? `<code>${h(l.createdBy)}</code>` : '<span class="none">–</span>'}</td></tr>`,
  );
  const more = found.more ? `\n<p><small>${found.more} more layers are not listed.</small></p>` : '';
  const created = found.created ? ` · built ${time(found.created)}` : '';
  return `<h2>Layers <small>${found.layers.length + found.more} · ${h(formatSize(total))}${created}</small></h2>\n${table('layers', ['#', 'Digest', 'Size', 'Created by'], rows, 'This image has no layers.')}${more}`;
}
