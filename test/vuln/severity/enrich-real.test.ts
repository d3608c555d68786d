/**
 * Ratings by alias on the real data in ../shared/vulndata: every Go vulndb
 * and PyPA record (none publishes a severity of its own) as the finding
 * merging would make of it alone (named by its one CVE, else its one GHSA,
 * else its own id; rated from its own severities and the CVE's NVD record),
 * then `rerateFindings` with the NVD and GHSA samples in the same database.
 * The counts are the before/after figure of issue #14 on this data: the
 * samples hold only 66 NVD CVEs and 22 GHSA records, so few records gain a
 * rating here; with the full NVD feed every CVE alias NVD scored would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Finding, Package } from '../../../src/core/index.js';
import { importPaths, SqliteAdvisoryStore } from '../../../src/vuln/index.js';
import { chooseRating, collectRatings, rerateFindings } from '../../../src/vuln/match/index.js';
import { VULNDATA } from '../../support/paths.js';

test('Go and PyPA records without a rating: UNKNOWN before and after taking their aliases\' ratings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-enrich-'));
  try {
    const db = join(dir, 'all.sqlite');
    await importPaths(db, ['osv/go-vulndb', 'osv/pypi-pypa', 'osv/ghsa-samples', 'nvd'].map((p) => join(VULNDATA, p)));
    const store = new SqliteAdvisoryStore(db, { readonly: true });
    try {
      const ids = (store.db.prepare("SELECT DISTINCT id FROM records WHERE (id LIKE 'GO-%' OR id LIKE 'PYSEC-%') AND withdrawn IS NULL ORDER BY id").all() as { id: string }[]).map((r) => r.id);
      const findings: Finding[] = [];
      for (const id of ids) {
        const a = (await store.getById(id))!;
        const all = [a.id, ...a.aliases];
        const cves = all.filter((x) => x.startsWith('CVE-'));
        const ghsas = all.filter((x) => x.startsWith('GHSA-'));
        const name = cves.length === 1 ? cves[0]! : ghsas.length === 1 ? ghsas[0]! : a.id;
        const nvd = cves.length === 1 ? await store.getById(name) : undefined;
        const ratings = collectRatings([...(nvd?.severities ?? []), ...a.severities]);
        const rated = chooseRating(ratings, false);
        const pkg: Package = { name: a.affected[0]?.name ?? 'x', version: '0', ecosystem: id.startsWith('GO-') ? 'go' : 'pypi', purl: 'pkg:generic/x', foundBy: 'test', path: 'x' };
        findings.push({
          id: name, aliases: all.filter((x) => x !== name).sort(), package: pkg, installedVersion: '0', status: 'affected', severity: rated.severity, severitySource: rated.source,
          ...(ratings.length ? { ratings } : {}), references: [], evidence: { feed: 'osv', advisoryId: a.id, ecosystem: 'Go', queriedName: pkg.name, range: '', scheme: 'semver' },
        });
      }
      const before = findings.filter((f) => f.severity === 'UNKNOWN').length;
      const { findings: after, rated } = await rerateFindings(findings, store, { isDistribution: () => false });
      const unknownAfter = after.filter((f) => f.severity === 'UNKNOWN').length;
      // Still UNKNOWN but with a CVE or GHSA alias: what the full NVD and GHSA feeds would rate.
      const withAlias = after.filter((f) => f.severity === 'UNKNOWN' && [f.id, ...f.aliases].some((x) => /^(CVE|GHSA)-/.test(x))).length;
      // Measured on this data (docs/scan.md quotes it).
      assert.deepEqual({ records: findings.length, unknownBefore: before, unknownAfter, rated, withAlias }, { records: 6923, unknownBefore: 6723, unknownAfter: 6720, rated: 3, withAlias: 6695 });
      const byGhsa = after.filter((f, i) => findings[i]!.severity === 'UNKNOWN' && f.severitySource === 'ghsa').map((f) => f.id);
      assert.ok(byGhsa.includes('CVE-2023-45288'), 'GO-2024-2687 takes GHSA-4v7x-pqxf-cx7m\'s rating');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
