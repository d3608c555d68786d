/**
 * An Oracle Linux 8 root filesystem scanned end to end: the os-release of a
 * real Oracle Linux 8.10 (../shared, read in place), an rpm database written
 * by the real rpm (rpmbuild, rpm -i --justdb), and the ELSA OVAL fixture
 * imported with `db import`. The vulnerable openssl-libs yields its ELSA with
 * the fixed version and Oracle's rating, the fixed rsyslog nothing, and the
 * scan is complete; a database without the Oracle feed makes the same scan
 * incomplete (exit 12), naming the feed to fetch.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ScanResult } from '../../src/core/index.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT, VULNDATA } from '../support/paths.js';
import { buildRpmDb } from '../support/rpm-build.js';

const OS_RELEASE = join(VULNDATA, 'pkgdb/os-release/trivy-testdata/oracle');
const ELSA = join(REPO_ROOT, 'test/vuln/sources/fixtures/oracle/elsa-sample.xml.bz2');

test('scan --rootfs of Oracle Linux 8.10: the ELSA for the vulnerable rpm, none for the fixed one, complete; incomplete without the feed', { timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-ol-scan-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const root = join(tmp, 'rootfs');
  mkdirSync(join(root, 'etc'), { recursive: true });
  copyFileSync(OS_RELEASE, join(root, 'etc/os-release'));
  await buildRpmDb(tmp, [
    { name: 'openssl-libs', epoch: 1, version: '1.1.1k', release: '9.el8' },
    { name: 'rsyslog', version: '8.2102.0', release: '15.el8_9.2' },
  ], join(root, 'var/lib/rpm'));

  const db = join(tmp, 'advisories.sqlite');
  const imported = await runCli(['db', 'import', ELSA, '--db', db, '--format', 'json']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal((JSON.parse(imported.stdout) as { inserted: number }).inserted, 5);

  const scan = await runCli(['scan', '--rootfs', root, '--db', db, '--format', 'json', '--offline']);
  assert.equal(scan.code, 0, scan.stderr);
  const result = JSON.parse(scan.stdout) as ScanResult;
  assert.equal(result.os?.id, 'ol');
  assert.equal(result.incomplete, undefined);
  assert.deepEqual(
    result.findings.map((f) => [f.package.name, f.installedVersion, f.id, f.fixedVersion, f.severity, f.severitySource]),
    [['openssl-libs', '1:1.1.1k-9.el8', 'ELSA-2024-1001', '1:1.1.1k-12.el8_9', 'HIGH', 'oracle']],
  );
  assert.deepEqual(result.findings[0]!.aliases, ['CVE-2023-5678', 'CVE-2024-0727']);

  // The same root against a database that holds no Oracle feed: never a clean result.
  const other = join(tmp, 'other.sqlite');
  const osv = await runCli(['db', 'import', join(VULNDATA, 'osv/distro-samples/rocky'), '--db', other, '--format', 'json']);
  assert.equal(osv.code, 0, osv.stderr);
  const without = await runCli(['scan', '--rootfs', root, '--db', other, '--format', 'json', '--offline']);
  assert.equal(without.code, 12, without.stderr);
  assert.match(
    without.stderr,
    /^portcullis: incomplete: match: the advisory database has no Oracle Linux advisories \(ELSA\) for Oracle Linux:8\b[^\n]*, so its \d+ OS packages? (was|were) not matched: run "portcullis db update --feeds oracle"$/m,
  );
});
