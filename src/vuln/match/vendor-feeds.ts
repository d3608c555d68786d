/**
 * Which feed holds a distribution's advisories, and whether the database
 * holds any. A package no entry names comes out clean, which is only true
 * when the database knew its distribution: a Debian 13 image against a
 * database built from Debian 12 data, a Photon image against one without
 * Photon's feed, an Amazon image without ALAS, would otherwise pass as "no
 * findings" although nothing judged them. So when not one of the
 * ecosystems a distribution's packages were looked up in holds a single
 * entry, matching reports the scan incomplete (exit 12), naming the feed to
 * download. A store that cannot say counts as holding nothing (fail closed).
 *
 * One entry anywhere in the distribution's ecosystems is enough: the check
 * tells "the database has this distribution" from "it has not", not whether
 * every package's advisories are current (that is `--db-max-age`).
 */
import type { OsRelease } from '../../core/index.js';

export interface VendorFeed {
  /** What the feed holds, for messages. */
  readonly what: string;
  /** The `db update --feeds` name that downloads it. */
  readonly updateFeed: string;
}

const AMAZON: VendorFeed = { what: 'Amazon Linux advisories (ALAS)', updateFeed: 'amazon' };
const ORACLE: VendorFeed = { what: 'Oracle Linux advisories (ELSA)', updateFeed: 'oracle' };
const PHOTON: VendorFeed = { what: 'Photon OS advisories (its CVE data)', updateFeed: 'photon' };
const DEBIAN: VendorFeed = { what: 'Debian advisories (the security tracker)', updateFeed: 'debian' };
const ALPINE: VendorFeed = { what: 'Alpine advisories (secdb)', updateFeed: 'alpine' };

/** The feed `os`'s packages are judged by: its vendor's own, else OSV. */
export function vendorFeedOf(os: OsRelease | undefined): VendorFeed {
  switch (os?.id.toLowerCase()) {
    case 'amzn':
      return AMAZON;
    case 'ol':
      return ORACLE;
    case 'photon':
      return PHOTON;
    case 'debian':
      return DEBIAN;
    case 'alpine':
      return ALPINE;
    default:
      return { what: `${os?.prettyName ?? os?.id ?? 'distribution'} advisories (OSV)`, updateFeed: 'osv' };
  }
}

/** The part of a store this check needs: which of these ecosystems hold at least one affected entry. */
export interface EcosystemPresence {
  ecosystemsWithEntries?(ecosystems: readonly string[]): Promise<ReadonlySet<string>>;
}

const SHOWN_ECOSYSTEMS = 3;

/**
 * Why `packages` OS packages of `os`, looked up in `ecosystems`, were not
 * judged: the database holds none of those ecosystems; undefined when it
 * holds at least one (or nothing was looked up).
 */
export async function missingDistribution(store: EcosystemPresence, os: OsRelease | undefined, ecosystems: ReadonlySet<string>, packages: number): Promise<string | undefined> {
  if (packages === 0 || ecosystems.size === 0) return undefined;
  const asked = [...ecosystems];
  const present = store.ecosystemsWithEntries ? await store.ecosystemsWithEntries(asked) : undefined;
  if (present && present.size > 0) return undefined;
  const feed = vendorFeedOf(os);
  const shown = asked.length > SHOWN_ECOSYSTEMS ? `${asked.slice(0, SHOWN_ECOSYSTEMS).join(', ')}, … (${asked.length})` : asked.join(', ');
  const what = packages === 1 ? '1 OS package was' : `${packages} OS packages were`;
  const cause = present ? `the advisory database has no ${feed.what} for ${shown}` : `the advisory store cannot say whether it holds ${feed.what} for ${shown}`;
  return `${cause}, so its ${what} not matched: run "portcullis db update --feeds ${feed.updateFeed}"`;
}
