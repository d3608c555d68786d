/**
 * OSV advisories written by tests for the npm packages of the real tiny image
 * (lodash 4.17.15, minimist 1.2.5), with the GHSA ids and fixed versions the
 * GitHub advisory database published for them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OsvAdvisory {
  readonly id: string;
}

export function npmAdvisory(id: string, name: string, fixed: string, severity: string): OsvAdvisory {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2024-01-01T00:00:00Z',
    summary: `${name} advisory ${id}`,
    affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
    database_specific: { severity },
  } as OsvAdvisory;
}

/**
 * A Debian record for a package no test image installs, on every Debian
 * release a test machine may run: the tiny image takes the host's os-release
 * (../shared/peers/image.sh), and a database that holds nothing of an image's
 * distribution makes its scan incomplete (vuln/match/vendor-feeds.ts).
 */
export const DEBIAN_PRESENCE_ADVISORY: OsvAdvisory = {
  schema_version: '1.6.0',
  id: 'DSA-9999-1',
  modified: '2024-01-01T00:00:00Z',
  summary: 'a Debian record for a package no test image installs',
  affected: ['10', '11', '12', '13', '14'].map((release) => ({
    package: { ecosystem: `Debian:${release}`, name: 'portcullis-absent' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1' }] }],
  })),
} as OsvAdvisory;

/**
 * The three advisories that affect the tiny image: 1 CRITICAL (minimist), 2
 * HIGH (lodash); and the Debian record that makes a database built from them
 * hold the image's distribution (it affects nothing there).
 */
export const TINY_IMAGE_ADVISORIES: readonly OsvAdvisory[] = [
  npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.6', 'CRITICAL'),
  npmAdvisory('GHSA-p6mc-m468-83gw', 'lodash', '4.17.19', 'HIGH'),
  npmAdvisory('GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.21', 'HIGH'),
  DEBIAN_PRESENCE_ADVISORY,
];

/** The ids of the tiny image's findings from TINY_IMAGE_ADVISORIES (the Debian record matches nothing). */
export const TINY_IMAGE_FINDING_IDS: readonly string[] = TINY_IMAGE_ADVISORIES.filter((a) => a !== DEBIAN_PRESENCE_ADVISORY).map((a) => a.id);

/** Writes each advisory as `<dir>/<id>.json`; returns `dir` for importPaths. */
export function writeAdvisories(dir: string, docs: readonly OsvAdvisory[]): string {
  mkdirSync(dir, { recursive: true });
  for (const d of docs) writeFileSync(join(dir, `${d.id}.json`), JSON.stringify(d));
  return dir;
}
