/**
 * The per-layer pass: every entry of every layer, deleted-later files
 * included (layers.forEachEntry), in one read of each layer. It collects
 * - secrets in files (bounded bytes per file, binary files skipped), each
 *   with the layer that added it and the layer that deleted or replaced it;
 * - what the final filesystem holds that the merged walk cannot select by
 *   path: setuid/setgid files, world-writable directories without the sticky
 *   bit, ELF executables and shared libraries (by their first bytes).
 * Whiteouts and replacements are applied to the few tracked paths with the
 * runtime's rules (whiteout.ts): an entry replaces the lower entry at its
 * path, a non-directory hides everything below it, `.wh.NAME` deletes NAME
 * and below, `.wh..wh..opq` hides everything below its directory; a layer's
 * whiteouts never touch its own entries.
 */
import type { LayerOrigin } from '../../core/index.js';
import { forEachEntry, type EntryContent, type LayerInput, type LayerStats, type LayerEntry } from '../../layers/index.js';
import { isNotDeployed, secretKindsIn } from '../secrets/files.js';

export const DEFAULT_MAX_SECRET_BYTES = 256 * 1024;
/** Bytes looked at to call a file binary (a NUL among them). */
const BINARY_SNIFF = 8000;

export interface SecretHit {
  readonly path: string;
  /** What was found, most specific first (`a private key`, `npm registry credentials`…). */
  readonly kinds: readonly string[];
  /** The layer whose copy of the file holds it. */
  readonly layer: LayerOrigin;
  /** The later layer that deleted the file (or a parent) or replaced it; the secret is still in `layer`. */
  removedIn?: { readonly layer: LayerOrigin; readonly how: 'deleted' | 'replaced' };
}

export interface ModeHit {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly layer: LayerOrigin;
}

export interface ElfHit {
  readonly path: string;
  readonly layer: LayerOrigin;
  readonly size: number;
  readonly type: 'executable' | 'shared library';
}

export interface LayerScan {
  /** Every secret found in any layer, bottom layer first. */
  readonly secrets: readonly SecretHit[];
  /** Setuid/setgid regular files of the final filesystem. */
  readonly setuid: readonly ModeHit[];
  /** World-writable directories without the sticky bit in the final filesystem. */
  readonly worldWritable: readonly ModeHit[];
  /** ELF executables and shared libraries of the final filesystem. */
  readonly elf: readonly ElfHit[];
  /** Files whose text was checked for secrets, bytes read for that, files skipped as binary, files checked only in part. */
  readonly scannedFiles: number;
  readonly scannedBytes: number;
  readonly skippedBinary: number;
  readonly partial: number;
  readonly stats: readonly LayerStats[];
  readonly warnings: readonly string[];
}

export interface LayerScanOptions {
  /** Bytes of each file checked for secrets (default 256 KiB). */
  readonly maxSecretBytes?: number;
  /** Paths whose content is not checked for secrets (files an OS package owns). */
  readonly skipSecrets?: (path: string) => boolean;
  readonly signal?: AbortSignal;
}

function isBelow(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.startsWith(`${dir}/`);
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  let i = path.indexOf('/');
  while (i >= 0) {
    out.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return out;
}

/** Per layer: what its entries do to the tracked paths of the layers below. */
class LayerEffects {
  readonly written = new Set<string>();
  readonly nonDirs = new Set<string>();
  readonly removed: string[] = [];
  readonly opaque: string[] = [];

  /** How a lower layer's `path` fares under this layer, or undefined when untouched. */
  effectOn(path: string): 'deleted' | 'replaced' | undefined {
    if (this.written.has(path)) return 'replaced';
    for (const r of this.removed) if (path === r || isBelow(path, r)) return 'deleted';
    for (const d of this.opaque) if (isBelow(path, d)) return 'deleted';
    for (const a of ancestors(path)) if (this.nonDirs.has(a)) return 'deleted';
    return undefined;
  }
}

/** Paths of the final filesystem with a property, kept through the layers. */
class Tracker<T extends { path: string }> {
  private live = new Map<string, T>();
  private pending = new Map<string, T>();

  add(item: T): void {
    this.pending.set(item.path, item);
  }

  /** A later entry of the same layer at the same path overrides an earlier one. */
  drop(path: string): void {
    this.pending.delete(path);
  }

  commit(effects: LayerEffects): void {
    for (const [path] of this.live) if (effects.effectOn(path)) this.live.delete(path);
    for (const [path, item] of this.pending) this.live.set(path, item);
    this.pending = new Map();
  }

  values(): T[] {
    return [...this.live.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

function elfType(head: Buffer): ElfHit['type'] | undefined {
  if (head.length < 18 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return undefined;
  const little = head[5] !== 2;
  const type = little ? head.readUInt16LE(16) : head.readUInt16BE(16);
  if (type === 2) return 'executable';
  if (type === 3) return 'shared library';
  return undefined;
}

const SHARED_OBJECT = /\.so(?:\.[0-9][0-9.]*)?$/;

/** Reads every layer once and answers the LayerScan; throws what forEachEntry throws. */
export async function scanLayers(layers: readonly LayerInput[], options: LayerScanOptions = {}): Promise<LayerScan> {
  const maxBytes = options.maxSecretBytes ?? DEFAULT_MAX_SECRET_BYTES;
  const secrets: SecretHit[] = [];
  const openSecrets: SecretHit[] = [];
  const setuid = new Tracker<ModeHit>();
  const worldWritable = new Tracker<ModeHit>();
  const elf = new Tracker<ElfHit>();
  const stats: LayerStats[] = [];
  const warnings: string[] = [];
  let scannedFiles = 0;
  let scannedBytes = 0;
  let skippedBinary = 0;
  let partial = 0;

  for (const layer of layers) {
    const origin = layer.origin;
    const effects = new LayerEffects();
    const layerSecrets = new Map<string, SecretHit>();
    const visit = async (entry: LayerEntry, content?: EntryContent): Promise<void> => {
      if (entry.whiteout) {
        if (entry.whiteout.kind === 'file') effects.removed.push(entry.whiteout.target);
        else if (entry.whiteout.kind === 'opaque') effects.opaque.push(entry.whiteout.dir);
        return;
      }
      const path = entry.path;
      effects.written.add(path);
      if (entry.kind !== 'directory') effects.nonDirs.add(path);
      setuid.drop(path);
      worldWritable.drop(path);
      elf.drop(path);
      layerSecrets.delete(path);
      const hit = { path, mode: entry.mode, uid: entry.uid, gid: entry.gid, layer: origin };
      if (entry.kind === 'directory') {
        if ((entry.mode & 0o002) !== 0 && (entry.mode & 0o1000) === 0) worldWritable.add(hit);
        return;
      }
      if (entry.kind !== 'file') return;
      if ((entry.mode & 0o6000) !== 0) setuid.add(hit);
      if (!content || entry.size === 0) return;
      const base = path.slice(path.lastIndexOf('/') + 1);
      const maybeElf = (entry.mode & 0o111) !== 0 || SHARED_OBJECT.test(base);
      const scan = !isNotDeployed(path) && !(options.skipSecrets?.(path) ?? false);
      if (!maybeElf && !scan) return;
      const chunks: Buffer[] = [];
      let total = 0;
      let binary = false;
      for await (const chunk of content) {
        if (chunks.length === 0) {
          if (maybeElf) {
            const type = elfType(chunk);
            if (type) elf.add({ path, layer: origin, size: entry.size, type });
          }
          if (!scan) break;
          if (chunk.subarray(0, BINARY_SNIFF).includes(0)) {
            binary = true;
            break;
          }
        }
        const room = maxBytes - total;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        total += Math.min(chunk.length, room);
        if (total >= maxBytes) break;
      }
      if (!scan) return;
      if (binary) {
        skippedBinary += 1;
        return;
      }
      scannedFiles += 1;
      scannedBytes += total;
      if (entry.size > maxBytes) partial += 1;
      const kinds = secretKindsIn(path, Buffer.concat(chunks, total).toString('latin1'));
      if (kinds.length > 0) layerSecrets.set(path, { path, kinds, layer: origin });
    };
    stats.push(await forEachEntry(layer, visit, { ...(options.signal ? { signal: options.signal } : {}), onWarning: (m) => warnings.push(m) }));
    // This layer's effects on the secrets of the layers below, then its own.
    for (const s of openSecrets) {
      if (s.removedIn) continue;
      const how = effects.effectOn(s.path);
      if (how) s.removedIn = { layer: origin, how };
    }
    for (const s of layerSecrets.values()) {
      secrets.push(s);
      openSecrets.push(s);
    }
    setuid.commit(effects);
    worldWritable.commit(effects);
    elf.commit(effects);
  }
  return {
    secrets,
    setuid: setuid.values(),
    worldWritable: worldWritable.values(),
    elf: elf.values(),
    scannedFiles,
    scannedBytes,
    skippedBinary,
    partial,
    stats,
    warnings,
  };
}
