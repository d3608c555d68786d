/**
 * Which layer introduced each OS package. A package database is one file
 * rewritten by every layer that installs something, so the database's own
 * layer is only the last writer. The walker keeps each layer's copy of it
 * (FileWant.history); a package was introduced by the lowest layer of the
 * unbroken run of copies, counted down from the top, that list it with the
 * same version and architecture. A package removed and installed again is
 * attributed to the layer that installed it again.
 */
import type { FileView, ImageFile, Package } from '../../core/index.js';

const keyOf = (p: Package): string => `${p.name}\u0000${p.version}\u0000${p.arch ?? ''}`;

export function attributeIntroducingLayers(
  packages: readonly Package[],
  path: string,
  view: FileView,
  parseVersion: (file: ImageFile & { content: Buffer }) => readonly Package[],
): Package[] {
  const versions = view.versions?.(path) ?? [];
  if (versions.length <= 1) return [...packages];
  // Sets of package keys per copy, bottom first; the top copy is the final database.
  const sets: Array<Set<string> | undefined> = versions.map((file, i) => {
    if (i === versions.length - 1) return new Set(packages.map(keyOf));
    if (file.content === undefined) return undefined; // over the cap: unknown, stops the run
    return new Set(parseVersion(file as ImageFile & { content: Buffer }).map(keyOf));
  });
  return packages.map((pkg) => {
    const key = keyOf(pkg);
    let lowest = versions.length - 1;
    for (let i = versions.length - 2; i >= 0; i--) {
      if (!sets[i]?.has(key)) break;
      lowest = i;
    }
    const layer = versions[lowest]?.layer;
    return layer ? { ...pkg, layer } : pkg;
  });
}
