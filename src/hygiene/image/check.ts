/**
 * The vocabulary of image checks: the facts one walk of an image gathers
 * (config, merged view of the selected files, inventory, the per-layer scan),
 * the context a check reports into, and the check interface itself. A check
 * is one file per rule family (src/hygiene/image/*.ts), registered in all.ts.
 */
import type { FileView, ImageFile, LayerOrigin, Inventory, ImageConfig } from '../../core/index.js';
import type { HygieneFinding, ImageLocation } from '../check.js';
import type { EolData } from '../eol.js';
import type { ImageRuleId } from '../rules.js';
import type { LayerScan } from './layer-scan.js';

export interface ImageFinding extends HygieneFinding {
  readonly location: ImageLocation;
}

/** A merged view that can also resolve paths through the image's symlinks (the walker's LayerView can). */
export interface ResolvingView extends FileView {
  resolve?(path: string, followFinal?: boolean): string;
}

export interface RebuildFixes {
  /** Findings whose fixed version exists in the distribution (status `fixed`). */
  readonly fixable: number;
  readonly total: number;
}

export interface ImageLintOptions {
  /** Warn this many days before an end of life (default 90). */
  readonly eolWarnDays?: number;
  /** An image older than this many days is stale (default 90). */
  readonly staleDays?: number;
}

/** Everything the image checks look at; gathered by engine/lint.ts in one merged walk plus one per-layer pass. */
export interface ImageFacts {
  readonly config?: ImageConfig;
  /** The manifest's layers, bottom first. */
  readonly layers: readonly LayerOrigin[];
  /** Uncompressed bytes of the whole image, when measured. */
  readonly uncompressedSize?: number;
  /** The merged view of the files the image selector (and the cataloguers) asked for. */
  readonly view: ResolvingView;
  readonly inventory: Inventory;
  readonly layerScan: LayerScan;
  readonly eol: EolData;
  /** "Rebuild fixes N of M", when an advisory database was available. */
  readonly rebuild?: RebuildFixes;
  /** The time to judge ages against. */
  readonly now: Date;
  readonly options?: ImageLintOptions;
}

export interface ImageFindingDraft {
  readonly ruleId: ImageRuleId;
  readonly message: string;
  readonly path?: string;
  readonly layer?: LayerOrigin;
  /** A history entry the finding is about (its command is shown redacted). */
  readonly historyIndex?: number;
  readonly fix?: string;
}

export class ImageLintContext {
  readonly drafts: ImageFindingDraft[] = [];
  readonly warnings: string[] = [];
  private ownedCache: Set<string> | undefined;

  constructor(readonly facts: ImageFacts) {}

  report(draft: ImageFindingDraft): void {
    this.drafts.push(draft);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  get eolWarnDays(): number {
    return this.facts.options?.eolWarnDays ?? 90;
  }

  get staleDays(): number {
    return this.facts.options?.staleDays ?? 90;
  }

  /** The 0-based history index and `created_by` of the entry that made layer `index` (empty layers skipped). */
  historyOf(index: number): { historyIndex: number; createdBy?: string } | undefined {
    const history = this.facts.config?.history ?? [];
    let n = -1;
    for (const [i, h] of history.entries()) {
      if (h.empty_layer) continue;
      n += 1;
      if (n === index) return { historyIndex: i, ...(h.created_by ? { createdBy: h.created_by } : {}) };
    }
    return undefined;
  }

  /** Canonical physical path: parent directories resolved through the image's symlinks, the last component kept. */
  physical(path: string): string {
    const resolve = this.facts.view.resolve?.bind(this.facts.view);
    if (!resolve) return path;
    try {
      return resolve(path, false);
    } catch {
      return path;
    }
  }

  /** Every path an OS package manager owns, canonicalised (`bin/ls` → `usr/bin/ls` on merged-/usr systems). */
  ownedPaths(): Set<string> {
    if (this.ownedCache) return this.ownedCache;
    const out = new Set<string>();
    for (const o of this.facts.inventory.ownedFiles) {
      for (const p of o.paths) {
        out.add(p);
        out.add(this.physical(p));
      }
    }
    this.ownedCache = out;
    return out;
  }

  /** A file of the merged view (following symlinks), or undefined. */
  file(path: string): ImageFile | undefined {
    try {
      return this.facts.view.get(path);
    } catch {
      return undefined;
    }
  }
}

export interface ImageCheck {
  /** The family's name (the file name). */
  readonly name: string;
  /** The rule ids this check may report. */
  readonly rules: readonly ImageRuleId[];
  check(ctx: ImageLintContext): void;
}

/** `layer 2 (sha256:0123456789ab)`. */
export function layerName(layer: LayerOrigin): string {
  return `layer ${layer.index} (${layer.digest.slice(0, 19)})`;
}
