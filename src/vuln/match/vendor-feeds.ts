/**
 * Distributions whose advisories come only from their vendor's own feed (no
 * OSV ecosystem holds them): a database without that feed cannot judge
 * their packages, and a scan that says "no findings" then would pass an
 * image nobody checked. The scan (engine/scan.ts) calls it incomplete,
 * naming the feed to download, rather than clean.
 */
import type { OsRelease } from '../../core/index.js';

export interface VendorFeed {
  /** The feed name stored in the database (`db status`). */
  readonly feed: string;
  /** What the feed holds, for messages. */
  readonly what: string;
  /** The `db update --feeds` name that downloads it. */
  readonly updateFeed: string;
}

const AMAZON: VendorFeed = { feed: 'amazon-updateinfo', what: 'Amazon Linux advisories (ALAS)', updateFeed: 'amazon' };
const ORACLE: VendorFeed = { feed: 'oracle-oval', what: 'Oracle Linux advisories (ELSA)', updateFeed: 'oracle' };

/** The vendor feed `os`'s packages need; undefined when OSV or another feed will do. */
export function vendorFeedOf(os: OsRelease | undefined): VendorFeed | undefined {
  switch (os?.id.toLowerCase()) {
    case 'amzn':
      return AMAZON;
    case 'ol':
      return ORACLE;
    default:
      return undefined;
  }
}
