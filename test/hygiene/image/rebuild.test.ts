/**
 * "Rebuild fixes N of M" on real advisory data: the Debian security tracker
 * sample (vunnel's fixture: real entries) and the Alpine secdb v3.10 imported
 * into a real database, against images whose installed packages match them.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importPaths } from '../../../src/vuln/db.js';
import { SHARED } from '../../support/paths.js';
import { dir, lintSpec, osRelease } from './support.js';

function dpkgStatus(packages: ReadonlyArray<[string, string]>): string {
  return packages.map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n`).join('\n') + '\n';
}

test('Debian tracker: buster packages, three with a fix in the distribution, one open → rebuild fixes 3 of 4', async () => {
  const db = join(await mkdtemp(join(tmpdir(), 'portcullis-rebuild-')), 'advisories.sqlite');
  await importPaths(db, [join(SHARED, 'vulndata', 'debian-tracker', 'tracker-json', 'vunnel-fixture-debian.json')]);
  const status = dpkgStatus([
    ['prototypejs', '1.6.0.1-1'], // CVE-2008-7220 fixed in 1.6.0.2-1
    ['txt2man', '1.5.5-4'], // CVE-2013-1444 fixed in 1.5.5-4.1
    ['backupninja', '0.8-1'], // CVE-2005-3111 fixed in 0.8-2
    ['chromium', '97.0.4692.99-1~deb10u2'], // CVE-2022-0456 open in buster
  ]);
  const result = await lintSpec(
    { layers: [[dir('etc'), osRelease('debian', '10', 'Debian GNU/Linux'), { name: 'var/lib/dpkg/status', body: status }]], created: '2025-01-01T00:00:00Z' },
    { dbPath: db },
  );
  assert.deepEqual(result.rebuild, { fixable: 3, total: 4 });
  const stale = result.findings.find((f) => f.ruleId === 'image/stale');
  assert.equal(stale?.message, 'built 2025-01-01, 374 days ago (more than 90); rebuild fixes 3 of 4 known vulnerabilities');
});

test('Alpine secdb v3.10: musl and openssl behind their fixes → rebuild fixes 4 of 4; a fixed musl drops out', async () => {
  const db = join(await mkdtemp(join(tmpdir(), 'portcullis-rebuild-')), 'advisories.sqlite');
  await importPaths(db, [join(SHARED, 'vulndata', 'alpine-secdb', 'yaml', 'v3.10', 'main.yaml')]);
  const installed = (pkgs: ReadonlyArray<[string, string]>): string => pkgs.map(([p, v]) => `P:${p}\nV:${v}\nA:x86_64\n`).join('\n') + '\n';
  const image = (pkgs: ReadonlyArray<[string, string]>) => ({
    layers: [[dir('etc'), osRelease('alpine', '3.10.3'), dir('lib'), dir('lib/apk'), dir('lib/apk/db'), { name: 'lib/apk/db/installed', body: installed(pkgs) }]],
    created: '2025-01-01T00:00:00Z',
  });
  const behind = await lintSpec(image([['musl', '1.1.22-r2'], ['openssl', '1.1.1c-r0']]), { dbPath: db });
  assert.deepEqual(behind.rebuild, { fixable: 4, total: 4 }); // CVE-2019-14697; CVE-2019-1547, -1549, -1563
  const current = await lintSpec(image([['musl', '1.1.22-r3'], ['openssl', '1.1.1c-r0']]), { dbPath: db });
  assert.deepEqual(current.rebuild, { fixable: 3, total: 3 });
  // Without a database, no count and no error.
  const none = await lintSpec(image([['musl', '1.1.22-r2']]), { dbPath: join(tmpdir(), 'does-not-exist.sqlite') });
  assert.equal(none.rebuild, undefined);
});
