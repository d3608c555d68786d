/**
 * Amazon Linux in the scan use case, in process (the image end to end is in
 * test/cli/scan-amazon.peer.test.ts): an inventory of Amazon Linux 2 rpms
 * matched against the AL2 updateinfo fixture (written here in Amazon's
 * format). Proves: an epoch-2 package below the fix is found with Amazon's
 * rating, one at the fix is not; an Extras kernel-5.10 advisory judges a
 * 5.10 kernel and not a 4.14 one; the scan is complete with the feed, from
 * a database path or an open store; without the feed it is incomplete,
 * naming it; Trivy's JSON names Amazon as the data source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Inventory, Package } from '../../src/core/index.js';
import { scanTarget } from '../../src/engine/scan.js';
import { trivyDataSource } from '../../src/report/formats/trivy-json.js';
import { importPaths, SqliteAdvisoryStore } from '../../src/vuln/index.js';
import { npmAdvisory, writeAdvisories } from '../support/osv.js';
import { REPO_ROOT } from '../support/paths.js';

let dir: string;
let withFeed: string;
let withoutFeed: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-amazon-'));
  withFeed = join(dir, 'amazon.sqlite');
  await importPaths(withFeed, [join(REPO_ROOT, 'test/vuln/sources/fixtures/amazon/al2-updateinfo.xml')]);
  withoutFeed = join(dir, 'osv.sqlite');
  await importPaths(withoutFeed, [writeAdvisories(join(dir, 'osv'), [npmAdvisory('GHSA-aaaa-bbbb-cccc', 'leftpad', '1.0.1', 'LOW')])]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const rpm = (name: string, version: string): Package => ({ name, version, ecosystem: 'rpm', purl: `pkg:rpm/amazon/${name}@${version}?distro=amzn-2`, foundBy: 'rpm', path: 'var/lib/rpm/Packages' });
const inventory = (packages: Package[]): Inventory => ({
  packages,
  ownedFiles: [],
  warnings: [],
  os: { id: 'amzn', versionId: '2', prettyName: 'Amazon Linux 2', path: 'etc/os-release' },
});

test('Amazon Linux 2: ALAS findings with the epoch and Amazon\'s rating; the Extras kernel line judges only its own kernels', async () => {
  const packages = [
    rpm('vim-minimal', '2:9.0.2120-1.amzn2.0.1'),
    rpm('vim-filesystem', '2:9.0.2153-1.amzn2.0.1'),
    rpm('kernel', '5.10.201-191.748.amzn2'),
    rpm('kernel-headers', '4.14.330-250.540.amzn2'),
  ];
  const { result } = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory(packages) }, { dbPath: withFeed, now: new Date('2024-02-01T00:00:00Z') });
  assert.equal(result.incomplete, undefined);
  assert.deepEqual(result.database?.sources, ['amazon-updateinfo']);
  assert.deepEqual(
    result.findings.map((f) => [f.package.name, f.id, f.fixedVersion, f.severity, f.severitySource, f.evidence.range]),
    [
      ['kernel', 'ALAS2KERNEL-5.10-2024-045', '5.10.205-219.864.amzn2', 'HIGH', 'amazon', '>=5.10, <5.10.205-219.864.amzn2'],
      ['vim-minimal', 'CVE-2023-48706', '2:9.0.2153-1.amzn2.0.1', 'HIGH', 'amazon', '>=0, <2:9.0.2153-1.amzn2.0.1'],
    ],
  );
  assert.deepEqual(result.findings.find((f) => f.package.name === 'kernel')!.aliases.slice().sort(), ['CVE-2023-6931', 'CVE-2023-6932']);
  assert.deepEqual(result.findings.find((f) => f.package.name === 'vim-minimal')!.aliases, ['ALAS2-2024-2431']);
  assert.deepEqual(trivyDataSource(result.findings[0]!), { ID: 'amazon', Name: 'Amazon Linux Security Center', URL: 'https://alas.aws.amazon.com/' });
});

test('Amazon packages are asked by binary name only: perl-Carp (source perl) is not judged by perl\'s epoch-4 fix', async () => {
  const perlDb = join(dir, 'perl.sqlite');
  const doc = join(dir, 'perl-updateinfo.xml');
  writeFileSync(
    doc,
    '<updates><update type="security"><id>ALAS2-2024-2450</id><severity>medium</severity><references><reference type="cve" id="CVE-2023-47038"/></references><pkglist><collection short="amazon-linux-2"><name>Amazon Linux 2</name>' +
      '<package name="perl" epoch="4" version="5.16.3" release="299.amzn2.0.3" arch="x86_64"/><package name="perl" epoch="4" version="5.16.3" release="299.amzn2.0.3" arch="src"/></collection></pkglist></update></updates>',
  );
  await importPaths(perlDb, [doc]);
  const carp: Package = { ...rpm('perl-Carp', '1.26-244.amzn2'), source: { name: 'perl', version: '4:5.16.3-299.amzn2.0.2' } };
  const perl: Package = { ...rpm('perl', '4:5.16.3-299.amzn2.0.2'), source: { name: 'perl', version: '4:5.16.3-299.amzn2.0.2' } };
  const { result } = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory([carp, perl]) }, { dbPath: perlDb });
  assert.deepEqual(result.findings.map((f) => [f.package.name, f.id, f.fixedVersion]), [['perl', 'CVE-2023-47038', '4:5.16.3-299.amzn2.0.3']]);
});

test('without the amazon-updateinfo feed the scan is incomplete and names it, from a path or an open store; with it, complete', async () => {
  const packages = [rpm('vim-minimal', '2:9.0.2153-1.amzn2.0.1')];
  const reason = 'match: the advisory database has no Amazon Linux advisories (ALAS) for Amazon Linux:2, so its 1 OS package was not matched: run "portcullis db update --feeds amazon"';
  const byPath = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory(packages) }, { dbPath: withoutFeed });
  assert.deepEqual(byPath.result.incomplete, [reason]);
  const store = new SqliteAdvisoryStore(withoutFeed, { readonly: true });
  try {
    const byStore = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory(packages) }, { store });
    assert.deepEqual(byStore.result.incomplete, [reason]);
  } finally {
    await store.close();
  }
  const complete = new SqliteAdvisoryStore(withFeed, { readonly: true });
  try {
    const ok = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory(packages) }, { store: complete });
    assert.equal(ok.result.incomplete, undefined);
    assert.deepEqual(ok.result.findings, []);
  } finally {
    await complete.close();
  }
  // No rpm package, nothing to judge: not incomplete.
  const empty = await scanTarget({ kind: 'inventory', name: 'al2', inventory: inventory([]) }, { dbPath: withoutFeed });
  assert.equal(empty.result.incomplete, undefined);
});
