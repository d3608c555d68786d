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
 *   never stops the others; what it throws makes the inventory incomplete.)
 * - Warning or incomplete? "Incomplete" means the cataloguer could not look
 *   at something it was supposed to look at, so findings may be missing; the
 *   gates treat an incomplete inventory as a failed scan (exit 12, the
 *   registry refuses the image). A warning means it looked, and what it saw
 *   was wrong in a way that costs at most that one thing. Concretely:
 *   - incomplete: a wanted file over its size cap (content not read); a
 *     package database or lock file that cannot be parsed at all (not an rpm
 *     database, invalid JSON/YAML in package-lock.json, a dpkg status file
 *     of which not one paragraph could be read…); an archive over its
 *     entry/nesting/size caps; a parser that threw on a file (a crash is not
 *     a verdict on the file);
 *   - warning: one malformed entry or manifest among others (a paragraph
 *     without Version, a package.json that is not JSON or lacks a name, a
 *     corrupt jar, damaged Go build info): the file described at most that
 *     package, and it is as good as absent.
 *   Each reason names the file; `runCatalogers` prefixes the cataloguer name.
 * - Never buffer more than the walker gave; never do network or disk I/O.
 * - Bump `version` whenever the output for the same input changes.
 */
import type { EntryInfo, FileView, FileWant, OsRelease, OwnedFiles, Package } from '../core/index.js';

export interface CatalogContext {
  /** The detected distribution (os/release.ts), used for purl `distro` qualifiers and namespaces. */
  readonly os?: OsRelease;
}

export interface CatalogResult {
  readonly packages: readonly Package[];
  readonly ownedFiles?: readonly OwnedFiles[];
  /** Each names the file it is about; `runCatalogers` prefixes the cataloguer's name. */
  readonly warnings?: readonly string[];
  /**
   * What it could not look at (see the rules above), one reason per file,
   * naming it: "var/lib/rpm/Packages: not an rpm database…". Empty or absent
   * means it read everything it wanted.
   */
  readonly incomplete?: readonly string[];
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
