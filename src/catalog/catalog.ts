/**
 * Running cataloguers over a merged file view: one selector for the layer
 * walk (the union of what every cataloguer wants, plus the OS release files),
 * then every cataloguer over the view, results merged into one Inventory.
 * One failing cataloguer never stops the others, but what it throws makes
 * the inventory incomplete ("npm: failed: …"): a crashed cataloguer is not
 * "no packages".
 */
import {
  type EntryInfo,
  type FileSelector,
  type FileView,
  type FileWant,
  type Inventory,
  type OwnedFiles,
  type Package,
  appendAll,
  maxOf,
} from '../core/index.js';
import type { CatalogContext, Cataloger } from './cataloger.js';
import { detectOs, wantsReleaseFile } from './os/release.js';

/**
 * The union of the cataloguers' wants (and the OS release files). When
 * several want the same path, content wins over metadata-only and the
 * largest cap wins.
 */
export function selectorFor(catalogers: readonly Cataloger[]): FileSelector {
  return {
    wants(path: string, info?: EntryInfo): boolean | FileWant {
      let result: boolean | FileWant = wantsReleaseFile(path);
      for (const cataloger of catalogers) {
        result = mergeWant(result, cataloger.wants(path, info));
      }
      return result;
    },
  };
}

function mergeWant(a: boolean | FileWant, b: boolean | FileWant): boolean | FileWant {
  if (a === false) return b;
  if (b === false) return a;
  const wa: FileWant = a === true ? {} : a;
  const wb: FileWant = b === true ? {} : b;
  const content = wa.content !== false || wb.content !== false;
  const want: FileWant = { content };
  if (content) {
    // No cap means the walker's default; an explicit cap only wins when every asker gave one.
    const caps = [wa, wb].filter((w) => w.content !== false).map((w) => w.maxBytes);
    if (caps.every((c) => c !== undefined)) want.maxBytes = maxOf(caps as number[], 0);
  }
  if (wa.history === true || wb.history === true) want.history = true;
  // Kept when either would keep it: a filter only when both have one.
  const fa = wa.accept;
  const fb = wb.accept;
  if (fa && fb) want.accept = (bytes) => fa(bytes) || fb(bytes);
  return want;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs the cataloguers over the view. The OS is detected first (unless the
 * context already has one) so OS cataloguers can qualify their purls.
 * Warnings and incompleteness reasons are prefixed with the cataloguer name:
 * "dpkg: var/lib/dpkg/status: line 40: …".
 */
export async function runCatalogers(
  view: FileView,
  catalogers: readonly Cataloger[],
  context: CatalogContext = {},
): Promise<Inventory> {
  const warnings: string[] = [];
  const incomplete: string[] = [];
  let os = context.os;
  if (!os) {
    const detected = detectOs(view);
    os = detected.os;
    for (const w of detected.warnings) warnings.push(`os-release: ${w}`);
  }
  const ctx: CatalogContext = os ? { ...context, os } : context;
  const packages: Package[] = [];
  const owned = new Map<OwnedFiles['manager'], Set<string>>();
  for (const cataloger of catalogers) {
    try {
      const result = await cataloger.catalog(view, ctx);
      appendAll(packages, result.packages);
      for (const w of result.warnings ?? []) warnings.push(`${cataloger.name}: ${w}`);
      for (const r of result.incomplete ?? []) incomplete.push(`${cataloger.name}: ${r}`);
      for (const o of result.ownedFiles ?? []) {
        let set = owned.get(o.manager);
        if (!set) owned.set(o.manager, (set = new Set()));
        for (const p of o.paths) set.add(p);
      }
    } catch (error) {
      incomplete.push(`${cataloger.name}: failed: ${describe(error)}`);
    }
  }
  const ownedFiles: OwnedFiles[] = [...owned].map(([manager, paths]) => ({ manager, paths }));
  const inventory: Inventory = { packages, ownedFiles, warnings, ...(incomplete.length > 0 ? { incomplete } : {}) };
  return os ? { os, ...inventory } : inventory;
}
