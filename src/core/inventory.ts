/**
 * The inventory vocabulary shared by cataloguers (which produce it), SBOM
 * writers and readers, and the vulnerability matcher (which consume it).
 * Neither side imports the other: they meet here.
 */
import type { LayerOrigin } from './files.js';

/** Package ecosystems, named as OSV names them where OSV has a name. */
export type Ecosystem =
  | 'alpine'
  | 'debian'
  | 'ubuntu'
  | 'rpm'
  | 'npm'
  | 'pypi'
  | 'go'
  | 'maven'
  | 'rubygems'
  | 'packagist'
  | 'cargo'
  | 'nuget';

export interface SourcePackage {
  readonly name: string;
  /** Present when it differs from the binary package's version (dpkg `Source: x (ver)`). */
  readonly version?: string;
}

export interface Package {
  readonly name: string;
  readonly version: string;
  readonly ecosystem: Ecosystem;
  /** Package URL per the purl spec, built with packageurl-js. */
  readonly purl: string;
  /** Which cataloguer found it: `dpkg`, `apk`, `rpm`, `npm`, `python`, `go-binary`, … */
  readonly foundBy: string;
  /** Image-relative path of the database, manifest or binary it was read from. */
  readonly path: string;
  /** The layer that introduced it (the lowest layer in which this package/version appears). */
  readonly layer?: LayerOrigin;
  readonly source?: SourcePackage;
  readonly arch?: string;
  /** SPDX ids or expressions where declared, as written otherwise. */
  readonly licenses?: readonly string[];
  /** rpm/dpkg epoch when the ecosystem has one; also part of `version` as the ecosystem writes it. */
  readonly epoch?: number;
  /** Go: `main` module, `stdlib`, or a dependency; Maven: group id and artifact id, etc. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** purls of direct dependencies, where the source records them. */
  readonly dependsOn?: readonly string[];
}

export interface OsRelease {
  /** `debian`, `alpine`, `ubuntu`, `rhel`, `rocky`, `almalinux`, `amzn`, … (os-release ID). */
  readonly id: string;
  /** os-release VERSION_ID, or the release file's version: `12`, `3.19.1`. */
  readonly versionId?: string;
  readonly versionCodename?: string;
  readonly prettyName?: string;
  /** ID_LIKE entries. */
  readonly idLike?: readonly string[];
  /** True for distroless images (dpkg status.d, no shell). */
  readonly distroless?: boolean;
  /**
   * Alpine: the release that `etc/apk/repositories` installs from when it is
   * not the os-release one (`edge`, `3.20`): advisories of that release apply.
   */
  readonly apkRepositoryRelease?: string;
  /**
   * Red Hat: the content sets (repository ids such as
   * `rhel-9-for-x86_64-appstream-rpms`) that Red Hat's build system recorded
   * in `root/buildinfo/content_manifests/*.json`; they decide which product
   * streams' advisories apply.
   */
  readonly contentSets?: readonly string[];
  /** The file the answer came from. */
  readonly path: string;
}

/** Files an OS package manager owns, per manager, so unmanaged files can be found later. */
export interface OwnedFiles {
  readonly manager: 'dpkg' | 'apk' | 'rpm';
  /** Normalised image-relative paths. */
  readonly paths: ReadonlySet<string>;
}

export interface Inventory {
  readonly os?: OsRelease;
  readonly packages: readonly Package[];
  readonly ownedFiles: readonly OwnedFiles[];
  /** Cataloguer warnings naming the file ("var/lib/dpkg/status: line 40: …"). */
  readonly warnings: readonly string[];
  /**
   * Why the inventory may lack packages: one reason per thing a cataloguer
   * could not look at, prefixed with its name ("npm: failed: Maximum call
   * stack size exceeded", "rpm: var/lib/rpm/Packages: not an rpm database…").
   * Absent or empty means complete. Every gate treats a non-empty list as a
   * failed scan: findings may be missing.
   */
  readonly incomplete?: readonly string[];
}
