/**
 * The ONE list of cataloguers. Adding a cataloguer means adding it here;
 * nothing registers itself by import side effect. A duplicate name fails
 * loudly at module load (and in the test of this file).
 */
import type { Cataloger } from './cataloger.js';
import { CatalogError } from './errors.js';
import { apkCataloger } from './os/apk.js';
import { LANG_CATALOGERS } from './lang/index.js';
import { dpkgCataloger } from './os/dpkg.js';
import { rpmCataloger } from './os/rpm/index.js';

/** Checks that names are unique and returns the list frozen. */
export function defineCatalogers(list: readonly Cataloger[]): readonly Cataloger[] {
  const seen = new Set<string>();
  for (const cataloger of list) {
    if (seen.has(cataloger.name)) {
      throw new CatalogError('CATALOGER_DUPLICATE', `cataloguer "${cataloger.name}" is registered twice`);
    }
    seen.add(cataloger.name);
  }
  return Object.freeze([...list]);
}

export const ALL_CATALOGERS: readonly Cataloger[] = defineCatalogers([
  // OS package databases
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  // Language ecosystems: src/catalog/lang/index.ts lists npm, python, go-binary,
  // java, gem, composer, cargo, dotnet (in that order).
  ...LANG_CATALOGERS,
]);

/** The cataloguers with the given names, in the order of ALL_CATALOGERS; unknown names fail. */
export function catalogersNamed(names: readonly string[]): readonly Cataloger[] {
  const known = new Map(ALL_CATALOGERS.map((c) => [c.name, c] as const));
  for (const name of names) {
    if (!known.has(name)) throw new CatalogError('CATALOGER_UNKNOWN', `no cataloguer named "${name}"`);
  }
  const wanted = new Set(names);
  return ALL_CATALOGERS.filter((c) => wanted.has(c.name));
}
