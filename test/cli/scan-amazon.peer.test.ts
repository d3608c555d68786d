/**
 * An Amazon Linux 2023 image scanned end to end by the real executable: rpms
 * built by Debian's rpmbuild with Amazon release strings (one with an
 * epoch), installed by the real rpm into a SQLite rpmdb (AL2023's backend),
 * laid out as an OCI image with AL2023's os-release (written here: no
 * Amazon os-release is among the shared fixtures), scanned against the
 * updateinfo fixture imported with `db import`. What is proved: the
 * vulnerable package yields its ALAS with Amazon's fixed EVR and rating,
 * fixed ones yield nothing, and the scan is complete (exit 1 with
 * --exit-code 1, 0 without; never 12); against a database without the
 * amazon-updateinfo feed the same scan is incomplete (exit 12) and says
 * which feed to download.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ScanResult } from '../../src/core/finding.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCliProcess } from '../support/cli.js';
import { buildLayout } from '../support/oci-builder.js';
import { npmAdvisory, writeAdvisories } from '../support/osv.js';
import { REPO_ROOT } from '../support/paths.js';
import { rpmDbBytes } from '../support/rpm-build.js';

const OS_RELEASE = `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.3.20240117"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
`;

test('Amazon Linux 2023: the vulnerable rpm gets its ALAS (fixed EVR, Amazon rating), fixed ones none; complete with the feed, incomplete without', { timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-amzn-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const rpmdb = await rpmDbBytes(tmp, [
    { name: 'openssl-libs', epoch: 1, version: '3.0.8', release: '1.amzn2023.0.11' }, // ALAS2023-2024-481 fixes 1:3.0.8-1.amzn2023.0.12
    { name: 'curl-minimal', version: '8.5.0', release: '1.amzn2023.0.1' }, // exactly ALAS2023-2024-462's fix
    { name: 'less', version: '608', release: '2.amzn2023.0.3' }, // above ALAS2023-2023-219's fix
    { name: 'bash', version: '5.2.15', release: '1.amzn2023.0.2' }, // in no advisory
  ]);
  const image = await buildLayout({
    dir: join(tmp, 'layout'),
    layers: [{ entries: [{ name: 'etc/os-release', body: OS_RELEASE }, { name: 'var/lib/rpm/rpmdb.sqlite', body: rpmdb }] }],
  });

  const updateinfo = join(tmp, 'updateinfo.xml.gz');
  writeFileSync(updateinfo, gzipSync(readFileSync(join(REPO_ROOT, 'test/vuln/sources/fixtures/amazon/al2023-updateinfo.xml'))));
  const db = join(tmp, 'advisories.sqlite');
  const imported = await runCliProcess(['db', 'import', updateinfo, '--db', db, '-q']);
  assert.equal(imported.code, 0, imported.stderr);
  const env = { XDG_CACHE_HOME: join(tmp, 'cache') };
  const out = join(tmp, 'scan.json');

  const gated = await runCliProcess(['scan', image.name, '--db', db, '--skip-db-update', '--exit-code', '1', '--format', 'json', '-o', out], env);
  assert.equal(gated.code, 1, gated.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as ScanResult;
  assert.equal(result.incomplete, undefined);
  assert.deepEqual(result.os, { id: 'amzn', versionId: '2023', prettyName: 'Amazon Linux 2023.3.20240117' });
  assert.deepEqual(
    result.findings.map((f) => ({
      id: f.id,
      aliases: [...f.aliases].sort(),
      pkg: f.package.name,
      installed: f.installedVersion,
      fixed: f.fixedVersion,
      status: f.status,
      severity: f.severity,
      severitySource: f.severitySource,
      feed: f.evidence.feed,
      vendorRecord: f.evidence.vendorRecord,
      ecosystem: f.evidence.ecosystem,
    })),
    [
      {
        // Two CVEs in one ALAS: the finding is named by the advisory, the CVEs are its aliases.
        id: 'ALAS2023-2024-481',
        aliases: ['CVE-2023-5678', 'CVE-2023-6129'],
        pkg: 'openssl-libs',
        installed: '1:3.0.8-1.amzn2023.0.11',
        fixed: '1:3.0.8-1.amzn2023.0.12',
        status: 'fixed',
        severity: 'HIGH',
        severitySource: 'amazon',
        feed: 'amazon-updateinfo',
        vendorRecord: 'ALAS2023-2024-481',
        ecosystem: 'Amazon Linux:2023',
      },
    ],
  );
  const plain = await runCliProcess(['scan', image.name, '--db', db, '--skip-db-update', '--format', 'json'], env);
  assert.equal(plain.code, 0, plain.stderr);

  // A database without Amazon's feed: the same image is not "clean", it is incomplete, and the message names the feed.
  const osvOnly = join(tmp, 'osv-only.sqlite');
  await importPaths(osvOnly, [writeAdvisories(join(tmp, 'osv'), [npmAdvisory('GHSA-aaaa-bbbb-cccc', 'leftpad', '1.0.1', 'LOW')])]);
  const without = await runCliProcess(['scan', image.name, '--db', osvOnly, '--skip-db-update', '--format', 'json'], env);
  assert.equal(without.code, 12, without.stderr);
  assert.match(without.stderr, /incomplete: match: the advisory database has no Amazon Linux advisories \(ALAS\) for Amazon Linux:2023, so its \d+ OS packages? (was|were) not matched: run "portcullis db update --feeds amazon"/);
});
