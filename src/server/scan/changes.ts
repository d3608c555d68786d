/**
 * What a rescan changed: the findings of the new result that the previous
 * one lacked (`new`) and those it no longer has (`fixed`), compared by
 * advisory id, package, installed version and layer, so that the same
 * vulnerability in the same package added by the same layer is one finding
 * across scans, and the same package in two layers is two. Linear in the
 * number of findings (one Set of keys per side).
 *
 * The id is the finding's own (the CVE when the advisory names one): an
 * advisory that gains a CVE alias between two imports shows as one fixed
 * and one new finding.
 */
import type { Finding } from '../../core/index.js';

export interface FindingChanges {
  readonly new: Finding[];
  readonly fixed: Finding[];
}

export function findingKey(f: Finding): string {
  return [f.id, f.package.purl, f.installedVersion, f.layer?.digest ?? ''].join('\u0000');
}

export function diffFindings(previous: readonly Finding[], current: readonly Finding[]): FindingChanges {
  const before = new Set(previous.map(findingKey));
  const after = new Set(current.map(findingKey));
  return {
    new: current.filter((f) => !before.has(findingKey(f))),
    fixed: previous.filter((f) => !after.has(findingKey(f))),
  };
}
