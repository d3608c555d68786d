/**
 * The cataloguer role: one implementation per package database or ecosystem
 * (`os/dpkg.ts`, `os/apk.ts`, `os/rpm/`, `lang/npm.ts`, …), all listed in
 * `all.ts`. A cataloguer says which files it wants by path alone, then reads
 * them from the merged view and reports packages, owned files and warnings.
 *
 * Rules for implementations:
 * - Never throw for bad input: a corrupt or hostile file is a warning naming
 *   the file ("var/lib/dpkg/status: line 40: …"), and the rest is kept.
 *   (`runCatalogers` also catches anything thrown, so one bad cataloguer
 *   never stops the others.)
 * - Never buffer more than the walker gave; never do network or disk I/O.
 * - Bump `version` whenever the output for the same input changes.
 */
import type { EntryInfo, FileView, FileWant } from '../core/files.js';
import type { OsRelease, OwnedFiles, Package } from '../core/inventory.js';

export interface CatalogContext {
  /** The detected distribution (os/release.ts), used for purl `distro` qualifiers and namespaces. */
  readonly os?: OsRelease;
}

export interface CatalogResult {
  readonly packages: readonly Package[];
  readonly ownedFiles?: readonly OwnedFiles[];
  /** Each names the file it is about; `runCatalogers` prefixes the cataloguer's name. */
  readonly warnings?: readonly string[];
}

export interface Cataloger {
  /** `dpkg`, `apk`, `rpm`, `npm`, … — unique across `all.ts`; also `Package.foundBy`. */
  readonly name: string;
  /** Bumped when the output for the same input changes (cache invalidation). */
  readonly version: number;
  /** By normalised image-relative path (no leading slash); called for every entry, keep it cheap. */
  wants(path: string, info?: EntryInfo): boolean | FileWant;
  catalog(view: FileView, context: CatalogContext): Promise<CatalogResult>;
}
