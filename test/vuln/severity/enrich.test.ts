/**
 * `rerateFindings`: ratings travel by alias only from NVD and GHSA (another
 * distribution's urgency merged under the same CVE must not rate an Ubuntu
 * package); a finding that already has both is not looked up; UNKNOWN
 * findings that gain a rating are counted; `order` re-chooses every finding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Advisory, Finding } from '../../../src/core/index.js';
import { rerateFindings } from '../../../src/vuln/severity/enrich.js';

const advisory = (id: string, severities: Advisory['severities']): Advisory => ({ id, feed: 'x', scope: '', aliases: [], upstream: [], severities, references: [], affected: [] });
const RECORDS = new Map<string, Advisory>([
  ['CVE-2024-1', advisory('CVE-2024-1', [{ source: 'debian', severity: 'LOW' }, { source: 'nvd', severity: 'HIGH', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N', score: 8.1 } }])],
  ['GHSA-2222-3333-4444', advisory('GHSA-2222-3333-4444', [{ source: 'ghsa', severity: 'CRITICAL' }])],
]);

function finding(id: string, aliases: string[], ecosystem: Finding['package']['ecosystem'], ratings?: Finding['ratings']): Finding {
  return {
    id, aliases, package: { name: 'p', version: '1', ecosystem, purl: 'pkg:generic/p@1', foundBy: 't', path: 'p' }, installedVersion: '1', status: 'affected',
    severity: 'UNKNOWN', severitySource: 'none', ...(ratings ? { ratings } : {}), references: [], evidence: { feed: 'osv', advisoryId: id, ecosystem, queriedName: 'p', range: '', scheme: 'x' },
  };
}

test('ratings by alias: NVD and GHSA only, one batched lookup, counted', async () => {
  const asked: string[][] = [];
  const store = {
    getById: async (id: string) => RECORDS.get(id),
    getByIds: async (ids: readonly string[]) => {
      asked.push([...ids]);
      return new Map(ids.map((id) => [id, RECORDS.get(id)]));
    },
  };
  const findings = [
    finding('UBUNTU-CVE-2024-1', ['CVE-2024-1'], 'ubuntu'),
    finding('GO-2024-1', ['GHSA-2222-3333-4444'], 'go'),
    finding('CVE-2024-9', [], 'npm', [{ source: 'nvd', severity: 'LOW' }, { source: 'ghsa', severity: 'LOW' }]),
  ];
  const { findings: out, rated } = await rerateFindings(findings, store, { isDistribution: (f) => f.package.ecosystem === 'ubuntu' });
  assert.deepEqual(asked, [['CVE-2024-1', 'GHSA-2222-3333-4444']], 'one lookup; a finding rated by NVD and GHSA is not looked up');
  assert.deepEqual([out[0]!.severity, out[0]!.severitySource, out[0]!.cvss?.score], ['HIGH', 'nvd', 8.1], "Debian's urgency does not rate an Ubuntu package");
  assert.deepEqual(out[0]!.ratings?.map((r) => r.source), ['nvd']);
  assert.deepEqual([out[1]!.severity, out[1]!.severitySource], ['CRITICAL', 'ghsa']);
  assert.equal(out[2], findings[2], 'unchanged findings come back as they were');
  assert.equal(rated, 2);
  const ordered = await rerateFindings(out, store, { isDistribution: () => false, order: ['nvd'] });
  assert.deepEqual(ordered.findings.map((f) => f.severitySource), ['nvd', 'none', 'nvd']);
});
