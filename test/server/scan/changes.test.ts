/**
 * New and fixed findings between two results: one finding per advisory id,
 * package (purl), installed version and layer, so the same vulnerability in
 * the same package added by two layers is two findings, and one whose other
 * fields changed (severity, fixed version) is neither new nor fixed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import type { Finding } from '../../../src/core/finding.js';
import { diffFindings } from '../../../src/server/scan/changes.js';

const layer = (index: number): NonNullable<Finding['layer']> => ({ index, digest: `sha256:${String(index).repeat(64)}` as Digest });

function finding(id: string, purl: string, version: string, layerIndex: number, extra: Partial<Finding> = {}): Finding {
  const name = purl.replace(/^pkg:npm\/|@.*$/g, '');
  return {
    id,
    aliases: [],
    package: { name, version, ecosystem: 'npm', purl, foundBy: 'npm', path: `app/node_modules/${name}/package.json`, layer: layer(layerIndex) },
    installedVersion: version,
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'ghsa',
    references: [],
    layer: layer(layerIndex),
    evidence: { feed: 'osv', advisoryId: id, ecosystem: 'npm', queriedName: name, range: '>=0, <4.17.21', scheme: 'semver' },
    ...extra,
  };
}

test('new and fixed are keyed by advisory id, package, version and layer', () => {
  const lodash1 = finding('CVE-2021-23337', 'pkg:npm/lodash@4.17.15', '4.17.15', 1);
  const lodash2 = finding('CVE-2021-23337', 'pkg:npm/lodash@4.17.15', '4.17.15', 2);
  const minimist = finding('CVE-2021-44906', 'pkg:npm/minimist@1.2.5', '1.2.5', 1);
  const rerated = finding('CVE-2021-23337', 'pkg:npm/lodash@4.17.15', '4.17.15', 1, { severity: 'CRITICAL', fixedVersion: '4.17.21' });
  const changes = diffFindings([lodash1, minimist], [rerated, lodash2]);
  assert.deepEqual(changes.new, [lodash2], 'the same advisory in another layer is new');
  assert.deepEqual(changes.fixed, [minimist]);
  assert.deepEqual(diffFindings([lodash1], [lodash1]), { new: [], fixed: [] });
  assert.deepEqual(diffFindings([], [lodash1, lodash2]), { new: [lodash1, lodash2], fixed: [] });
});
