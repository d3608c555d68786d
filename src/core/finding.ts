/**
 * A vulnerability finding: one package affected by one vulnerability, with
 * everything a user needs to check it without trusting the tool. The matcher
 * produces findings; report writers and the CI gate consume them. Neither
 * imports the other: they meet here.
 */
import type { AffectedStatus, Cvss, Severity, SeverityLevel, SeveritySource } from './advisory.js';
import type { LayerOrigin } from './files.js';
import type { Package } from './inventory.js';

/** How the finding stands: fixed in a later version, affected with no fix yet, or the vendor will not fix it. */
export type FindingStatus = Extract<AffectedStatus, 'fixed' | 'affected' | 'will-not-fix'>;

/** Why the package matched: enough to re-check the finding by hand. */
export interface MatchEvidence {
  /** The feed the matching record came from: `alpine-secdb`, `debian-tracker`, `osv`. */
  readonly feed: string;
  /** The advisory record used (`ALPINE-CVE-2019-10206`, `DEBIAN-CVE-…`, `GO-2024-2963`, `GHSA-…`). */
  readonly advisoryId: string;
  /** The vendor record behind it for distributions (`DSA-5001-1`, `alpine-secdb:v3.10/main`). */
  readonly vendorRecord?: string;
  /** The ecosystem and package name that were queried (`Debian:12` / source `openssl`). */
  readonly ecosystem: string;
  readonly queriedName: string;
  /** The affected range as the advisory states it, rendered: `>=0, <1.1.1n-0+deb11u1`, or the version list. */
  readonly range: string;
  /** The version scheme used for the comparison (`dpkg`, `apk`, `pep440`, …). */
  readonly scheme: string;
}

/** The vulnerability is in CISA's Known Exploited Vulnerabilities catalog: exploited in the wild. */
export interface KnownExploited {
  /** The CVE that is listed (the finding's id or one of its aliases). */
  readonly cve: string;
  /** When CISA added it (YYYY-MM-DD). */
  readonly dateAdded: string;
  /** The remediation due date for US federal agencies (YYYY-MM-DD). */
  readonly dueDate?: string;
  /** `Known` when it was used in ransomware campaigns, else `Unknown`. */
  readonly knownRansomwareCampaignUse?: string;
  readonly vulnerabilityName?: string;
  readonly requiredAction?: string;
}

/** FIRST's Exploit Prediction Scoring System: the probability of exploitation activity in the next 30 days. */
export interface EpssScore {
  /** The CVE scored (the finding's id or the highest-scored alias). */
  readonly cve: string;
  /** 0…1. */
  readonly probability: number;
  /** 0…1: the share of all scored CVEs with a lower or equal probability. */
  readonly percentile: number;
  /** The feed's score date (YYYY-MM-DD) and model version, when it said. */
  readonly date?: string;
  readonly modelVersion?: string;
}

export interface Finding {
  /** The id users search for: the CVE when there is one, else the advisory's own id. */
  readonly id: string;
  /** Every other id of the same vulnerability (GHSA, PYSEC, GO, vendor ids), sorted. */
  readonly aliases: readonly string[];
  readonly package: Package;
  readonly installedVersion: string;
  /** The first version that fixes it on this package's stream, when known. */
  readonly fixedVersion?: string;
  readonly status: FindingStatus;
  readonly severity: SeverityLevel;
  /** Who rated the severity (docs/scan.md "Severity": the distributor, then GHSA/ecosystem, then NVD, then the record's own). */
  readonly severitySource: SeveritySource;
  readonly cvss?: Cvss;
  /** Every rating found for it (each source once, its best CVSS), the chosen one among them. */
  readonly ratings?: readonly Severity[];
  /** Set when CISA lists it as known to be exploited. */
  readonly kev?: KnownExploited;
  /** Its EPSS score, when the database has one. */
  readonly epss?: EpssScore;
  readonly title?: string;
  readonly description?: string;
  /** The primary link: the vendor's page for the id, else the NVD page, else the advisory's first ADVISORY reference. */
  readonly primaryUrl?: string;
  readonly references: readonly string[];
  readonly published?: string;
  readonly modified?: string;
  /** The layer that introduced the package, and the history command that made it. */
  readonly layer?: LayerOrigin;
  readonly layerCreatedBy?: string;
  readonly evidence: MatchEvidence;
  /** Set when an ignore file or VEX statement suppressed it (kept for JSON output). */
  readonly suppressed?: { readonly by: 'ignorefile' | 'vex'; readonly reason: string; readonly justification?: string };
}

export const SEVERITY_ORDER: readonly SeverityLevel[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'];

/** Sorts by severity (most severe first), then package name, then id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    a.package.name.localeCompare(b.package.name) ||
    a.id.localeCompare(b.id)
  );
}

/** The result of scanning one target (an image, an SBOM or a root filesystem). */
export interface ScanResult {
  readonly schemaVersion: 1;
  /** What was scanned, as the user named it. */
  readonly target: string;
  readonly image?: {
    readonly digest: string;
    readonly configDigest?: string;
    readonly platform?: string;
    readonly created?: string;
    readonly layers?: ReadonlyArray<{ readonly digest: string; readonly diffId?: string; readonly createdBy?: string }>;
  };
  readonly os?: { readonly id: string; readonly versionId?: string; readonly prettyName?: string; readonly eol?: boolean };
  /** Package count per cataloguer (`dpkg`, `npm`, …). */
  readonly packageCounts: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
  /** The advisory database used: its sources and when each was updated. */
  readonly database?: { readonly path: string; readonly updatedAt?: string; readonly sources: readonly string[] };
  readonly warnings: readonly string[];
  /**
   * Why findings may be missing: the inventory's reasons (a cataloguer that
   * failed or could not read a package database) and the matcher's (OS
   * packages of a distribution without advisory data). Absent or empty means
   * the scan looked at everything; a non-empty list fails every gate.
   */
  readonly incomplete?: readonly string[];
  /** ISO time of the scan. */
  readonly scannedAt: string;
}
