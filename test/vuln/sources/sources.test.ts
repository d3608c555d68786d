import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Advisory } from '../../../src/core/advisory.js';
import { cvss2BaseScore, cvss3BaseScore, parseCvss } from '../../../src/vuln/cvss.js';
import { alpineSecdbSource, secfixId } from '../../../src/vuln/sources/alpine-secdb.js';
import { debianTrackerSource } from '../../../src/vuln/sources/debian-tracker.js';
import { nvdSource } from '../../../src/vuln/sources/nvd.js';
import { osvSource } from '../../../src/vuln/sources/osv.js';
import type { Source } from '../../../src/vuln/sources/source.js';
import { VULNDATA } from '../../support/paths.js';

async function collect(source: Source, input: string, options = {}) {
  const advisories: Advisory[] = [];
  const skipped: { record: string; reason: string }[] = [];
  const warnings: { record: string; message: string }[] = [];
  const summary = await source.import(input, {
    advisory: (a) => void advisories.push(a),
    skip: (record, reason) => void skipped.push({ record, reason }),
    warn: (record, message) => void warnings.push({ record, message }),
  }, options);
  return { advisories, skipped, warnings, summary };
}

test('cvss: v3.1/v3.0/v2 base scores match the published NVD scores', () => {
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'), 10);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H'), 8.8);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N'), 4.7);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N'), 0);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'), undefined, 'missing A');
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/'), 9.8, 'temporal metrics and a trailing / are tolerated');
  assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5);
  assert.equal(cvss2BaseScore('AV:N/AC:M/Au:N/C:N/I:P/A:N'), 4.3);
  // v4.0 scores are computed too (ae-cvss-calculator); the known values are in test/vuln/cvss4.test.ts.
  assert.equal(parseCvss('CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:P/VC:N/VI:L/VA:L/SC:N/SI:N/SA:N')?.version, '4.0');
  assert.equal(parseCvss('nonsense'), undefined);
  // Every v3.x/v2 metric NVD published in the samples: our computed score equals NVD's.
  let checked = 0;
  for (const dir of ['nvd/api-2.0-single-cve-responses', 'nvd/api-2.0-pages']) {
    for (const f of readdirSync(join(VULNDATA, dir))) {
      const doc = JSON.parse(readFileSync(join(VULNDATA, dir, f), 'utf8')) as { vulnerabilities?: { cve: { metrics?: Record<string, { cvssData: { vectorString: string; baseScore: number } }[]> } }[] };
      for (const v of doc.vulnerabilities ?? []) {
        for (const [kind, list] of Object.entries(v.cve.metrics ?? {})) {
          if (!/^cvssMetricV(31|30|2)$/.test(kind)) continue;
          for (const m of list) {
            assert.equal(parseCvss(m.cvssData.vectorString)?.score, m.cvssData.baseScore, `${f} ${m.cvssData.vectorString}`);
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 50, `checked ${checked} metrics`);
});

test('osv: all of go-vulndb is imported, GO-2020-0001 keeps its module and SEMVER ranges, withdrawn kept', async () => {
  const dir = join(VULNDATA, 'osv/go-vulndb');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const withdrawnInFiles = files.filter((f) => 'withdrawn' in JSON.parse(readFileSync(join(dir, f), 'utf8'))).length;
  const { advisories, skipped } = await collect(osvSource, dir);
  assert.equal(skipped.length, 0);
  assert.equal(advisories.length, files.length);
  assert.equal(advisories.filter((a) => a.withdrawn).length, withdrawnInFiles);
  const raw = JSON.parse(readFileSync(join(dir, 'GO-2020-0001.json'), 'utf8')) as { aliases: string[]; affected: { package: { name: string }; ranges: { type: string; events: object[] }[] }[] };
  const go = advisories.find((a) => a.id === 'GO-2020-0001')!;
  assert.deepEqual(go.aliases, raw.aliases);
  assert.equal(go.affected[0]!.ecosystem, 'Go');
  assert.equal(go.affected[0]!.name, raw.affected[0]!.package.name);
  assert.deepEqual(go.affected[0]!.ranges, raw.affected[0]!.ranges.map((r) => ({ type: r.type, events: r.events })));
  assert.equal(go.affected[0]!.status, 'fixed');
});

test('osv: PyPA YAML — PYSEC aliases, fixed versions, PEP 503 names', async () => {
  const dir = join(VULNDATA, 'osv/pypi-pypa/requests');
  const { advisories } = await collect(osvSource, dir);
  const raw = parseYaml(readFileSync(join(dir, 'PYSEC-2023-74.yaml'), 'utf8'), { schema: 'failsafe' }) as { aliases: string[]; affected: { ranges: { type: string; events: Record<string, string>[] }[] }[] };
  const a = advisories.find((x) => x.id === 'PYSEC-2023-74')!;
  assert.deepEqual(a.aliases, raw.aliases);
  const fixedInFile = raw.affected[0]!.ranges.filter((r) => r.type === 'ECOSYSTEM').flatMap((r) => r.events.filter((e) => 'fixed' in e).map((e) => e.fixed));
  const fixedStored = a.affected[0]!.ranges.flatMap((r) => r.events.filter((e) => 'fixed' in e).map((e) => (e as { fixed: string }).fixed));
  assert.deepEqual(fixedStored, fixedInFile);
  assert.ok(a.affected[0]!.ranges.every((r) => r.type === 'ECOSYSTEM'), 'GIT ranges are not kept');
  const underscore = await collect(osvSource, join(VULNDATA, 'osv/pypi-pypa'));
  assert.ok(underscore.advisories.flatMap((x) => x.affected).every((e) => e.name === e.name.toLowerCase() && !/[_.]/.test(e.name)));
  // Every record file in the tree is imported or skipped with its id named, none twice: counted from the files themselves.
  const recordFiles = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? recordFiles(join(d, e.name)) : /\.(ya?ml|json)$/.test(e.name) ? [join(d, e.name)] : []));
  const idsInFiles = recordFiles(join(VULNDATA, 'osv/pypi-pypa')).map((f) => /^id:\s*(\S+)\s*$/m.exec(readFileSync(f, 'utf8'))![1]!);
  assert.ok(idsInFiles.length > 2000, `${idsInFiles.length} record files`);
  assert.equal(underscore.advisories.length + underscore.skipped.length, idsInFiles.length);
  assert.deepEqual([...underscore.advisories.map((x) => x.id), ...underscore.skipped.map((x) => x.record.split(': ').at(-1)!)].sort(), idsInFiles.sort());
});

test('osv: the linter negatives are skipped, counted and named; never a crash', async () => {
  const { advisories, skipped, summary } = await collect(osvSource, join(VULNDATA, 'osv/other-samples/osv-linter-testdata'));
  const names = skipped.map((s) => s.record).join('\n');
  assert.match(names, /nointroduced-CVE-2023-41045\.json/);
  assert.match(names, /nondistinct-CVE-2018-5407\.json/);
  assert.equal(summary.skipped, skipped.length);
  assert.equal(summary.advisories, advisories.length);
  assert.ok(advisories.some((a) => a.id === 'CVE-2018-5407' && a.affected.some((e) => e.ecosystem === 'Alpine:v3.3')));
});

test('osv: severities — GHSA database_specific, Ubuntu, CVSS vectors; ESM ecosystems and versions lists', async () => {
  const ghsa = await collect(osvSource, join(VULNDATA, 'osv/ghsa-samples/advisory-database-layout'));
  assert.equal(ghsa.advisories.length, 10);
  const g = ghsa.advisories.find((a) => a.id === 'GHSA-wjx8-cgrm-hh8p')!;
  assert.ok(g.severities.some((s) => s.source === 'ghsa' && s.severity === 'HIGH' && !s.cvss));
  assert.ok(g.severities.some((s) => s.cvss?.version === '3.1' && s.cvss.score === 8.8));
  const ub = await collect(osvSource, join(VULNDATA, 'osv/distro-samples/ubuntu'));
  const u = ub.advisories.find((a) => a.id === 'UBUNTU-CVE-2014-2901')!;
  assert.deepEqual(u.upstream, ['CVE-2014-2901']);
  assert.ok(u.withdrawn);
  assert.ok(u.severities.some((s) => s.source === 'ubuntu' && s.severity === 'MEDIUM'));
  assert.ok(u.affected.some((e) => e.ecosystem === 'Ubuntu:Pro:16.04:LTS' && e.versions?.includes('3.4.8+dfsg-1') && e.status === 'affected'));
});

test('alpine: v3.10 main ansible — fixed versions and CVE lists as in the file', async () => {
  const file = join(VULNDATA, 'alpine-secdb/yaml/v3.10/main.yaml');
  const raw = parseYaml(readFileSync(file, 'utf8')) as { packages: { pkg: { name: string; secfixes: Record<string, string[]> } }[] };
  const ansible = raw.packages.find((p) => p.pkg.name === 'ansible')!.pkg.secfixes;
  const { advisories } = await collect(alpineSecdbSource, file);
  for (const [version, cves] of Object.entries(ansible)) {
    for (const cve of cves) {
      const a = advisories.find((x) => x.id === `ALPINE-${cve}`)!;
      assert.deepEqual(a.upstream, [cve]);
      const e = a.affected.find((x) => x.name === 'ansible')!;
      assert.equal(e.ecosystem, 'Alpine:v3.10');
      assert.equal(e.fixed, version);
      assert.deepEqual(e.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }]);
    }
  }
});

test('alpine: live JSON quirks — packages {}, fixed "0", Wolfi without distroversion, odd fix ids', async () => {
  const empty = await collect(alpineSecdbSource, join(VULNDATA, 'alpine-secdb/json-format-samples/secdb.alpinelinux.org-layout/311-community.json'));
  assert.equal(empty.advisories.length, 0);
  assert.equal(empty.skipped.length, 0);
  const wolfi = await collect(alpineSecdbSource, join(VULNDATA, 'alpine-secdb/json-format-samples/apk-style-secdb-json/wolfi-security.json'));
  const cu = wolfi.advisories.find((a) => a.id === 'WOLFI-CVE-2016-2781')!;
  assert.equal(cu.affected[0]!.ecosystem, 'Wolfi');
  assert.equal(cu.affected[0]!.status, 'not-affected');
  const v38 = await collect(alpineSecdbSource, join(VULNDATA, 'alpine-secdb/yaml/v3.8/main.yaml'));
  assert.ok(v38.advisories.some((a) => a.affected.some((e) => e.name === 'db' && e.status === 'not-affected')));
  assert.equal(secfixId('CVE-2017-16808 (AoE)'), 'CVE-2017-16808');
  assert.equal(secfixId('CVE_2019-2426'), 'CVE-2019-2426');
  assert.equal(secfixId('CVE 2018-16859'), 'CVE-2018-16859');
  assert.equal(secfixId('CVE-2017-8073.patch'), 'CVE-2017-8073');
  assert.equal(secfixId('CVE-????-?????  XSA-295'), 'XSA-295');
  assert.equal(secfixId('XSA-207'), 'XSA-207');
});

test('debian tracker: statuses, urgencies and releases as in the file', async () => {
  const file = join(VULNDATA, 'debian-tracker/tracker-json/osv.dev-debian_security_tracker_mock.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, { releases: Record<string, { status: string; fixed_version?: string; urgency: string }> }>>;
  const { advisories } = await collect(debianTrackerSource, file);
  assert.equal(advisories.length, Object.values(raw).reduce((n, p) => n + Object.keys(p).length, 0));
  const a = advisories.find((x) => x.id === 'DEBIAN-CVE-2016-1585')!;
  assert.equal(a.scope, 'apparmor');
  const bookworm = raw.apparmor!['CVE-2016-1585']!.releases.bookworm!;
  const e12 = a.affected.find((x) => x.ecosystem === 'Debian:12')!;
  assert.equal(bookworm.status, 'open');
  assert.equal(e12.status, 'affected');
  assert.deepEqual(e12.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]);
  assert.equal(a.affected.find((x) => x.ecosystem === 'Debian:sid')!.fixed, raw.apparmor!['CVE-2016-1585']!.releases.sid!.fixed_version);
  assert.deepEqual(a.severities, [{ source: 'debian', severity: 'NEGLIGIBLE' }]);
  const na = advisories.find((x) => x.id === 'DEBIAN-CVE-2014-1424')!;
  assert.ok(na.affected.every((x) => x.status === 'not-affected'));
  const vunnel = await collect(debianTrackerSource, join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json'));
  assert.equal(vunnel.advisories.find((x) => x.id === 'DEBIAN-CVE-2008-7220')!.severities[0]!.severity, 'HIGH', '"high**"');
  assert.deepEqual(vunnel.advisories.find((x) => x.id === 'DEBIAN-CVE-2022-0358')!.affected, [], 'releases: []');
  const chromium = vunnel.advisories.find((x) => x.id === 'DEBIAN-CVE-2022-0456')!;
  assert.equal(chromium.affected.find((x) => x.ecosystem === 'Debian:10')!.status, 'will-not-fix', 'end-of-life');
});

test('nvd: pages, single responses and per-CVE objects; Primary v3.1 score and vector', async () => {
  const { advisories, skipped } = await collect(nvdSource, join(VULNDATA, 'nvd'));
  assert.equal(skipped.length, 0);
  const raw = JSON.parse(readFileSync(join(VULNDATA, 'nvd/api-2.0-single-cve-responses/CVE-2024-3094.json'), 'utf8')) as { vulnerabilities: { cve: { metrics: { cvssMetricV31: { type: string; cvssData: { vectorString: string; baseScore: number } }[] } } }[] };
  const primary = raw.vulnerabilities[0]!.cve.metrics.cvssMetricV31.find((m) => m.type === 'Primary')!;
  const a = advisories.find((x) => x.id === 'CVE-2024-3094')!;
  const v31 = a.severities.find((s) => s.cvss?.version === '3.1')!;
  assert.equal(v31.cvss!.vector, primary.cvssData.vectorString);
  assert.equal(v31.cvss!.score, primary.cvssData.baseScore);
  assert.equal(v31.severity, 'CRITICAL');
  assert.equal(a.affected.length, 0);
  assert.ok(a.modified?.endsWith('Z'));
  const perCve = await collect(nvdSource, join(VULNDATA, 'nvd/vuln-list-per-cve'));
  assert.equal(perCve.advisories.length, readdirSync(join(VULNDATA, 'nvd/vuln-list-per-cve')).length);
});
