/** Databases written by the real rpm (rpmbuild, rpm -i) against rpm -qa (the peer tier of rpm.test.ts). */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectorFor } from '../../../src/catalog/catalog.js';
import { rpmCataloger } from '../../../src/catalog/os/rpm/index.js';
import type { Package } from '../../../src/core/inventory.js';
import { fileViewFromMap } from '../../support/file-view.js';
import { runCommand } from '../../support/peers.js';

const selector = selectorFor([rpmCataloger]);

function rows(packages: readonly Package[]): string[] {
  return packages
    .map((p) => {
      const m = /^(?:(\d+):)?(.*)-([^-]*)$/.exec(p.version)!;
      return [p.name, m[1] ?? '', m[2], m[3], p.arch ?? '', p.metadata?.sourceRpm ?? '', p.metadata?.modularityLabel ?? ''].join('\t');
    })
    .sort();
}

const SPEC = `
Name: portcullis-alpha
Version: 1.2.3
Release: 4.test
Epoch: 2
Summary: test
License: MIT AND Apache-2.0
BuildArch: noarch
%description
test
%package -n portcullis-beta
Summary: sub
Version: 0.9
License: BSD-3-Clause
%description -n portcullis-beta
sub
%install
mkdir -p %{buildroot}/usr/share/alpha %{buildroot}/etc/beta
echo a > %{buildroot}/usr/share/alpha/a.txt
echo b > %{buildroot}/usr/share/alpha/b.txt
echo c > %{buildroot}/etc/beta/c.conf
%files
/usr/share/alpha/a.txt
/usr/share/alpha/b.txt
%files -n portcullis-beta
/etc/beta/c.conf
`;

const SPEC2 = `
Name: portcullis-gamma
Version: 7.0~rc1
Release: 1
Summary: test
License: GPL-2.0-only
BuildArch: noarch
%description
test
%files
`;

test('databases written by the real rpm (sqlite; bdb/ndb when this rpm can write them) equal rpm -qa', { timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-rpm-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const top = join(tmp, 'rpmbuild');
  for (const d of ['SPECS', 'BUILD', 'RPMS', 'SOURCES', 'SRPMS', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
  writeFileSync(join(top, 'SPECS', 'a.spec'), SPEC);
  writeFileSync(join(top, 'SPECS', 'g.spec'), SPEC2);
  for (const spec of ['a.spec', 'g.spec']) {
    const b = await runCommand('rpmbuild', ['--define', `_topdir ${top}`, '-bb', join(top, 'SPECS', spec)]);
    assert.equal(b.code, 0, b.stderr);
  }
  const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f));
  assert.equal(rpms.length, 3);
  const qf = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{MODULARITYLABEL}\\n';

  const built: string[] = [];
  for (const backend of ['sqlite', 'bdb', 'ndb']) {
    const dbpath = join(tmp, `db-${backend}`);
    mkdirSync(dbpath);
    const define = ['--define', `_db_backend ${backend}`];
    const init = await runCommand('rpm', ['--initdb', '--dbpath', dbpath, ...define]);
    const install = await runCommand('rpm', ['-i', '--nodeps', '--justdb', '--dbpath', dbpath, ...define, ...rpms]);
    if (/invalid %_db_backend/.test(init.stderr + install.stderr)) {
      t.diagnostic(`rpm cannot write ${backend}: ${(init.stderr + install.stderr).split('\n').filter((l) => l.startsWith('warning')).join(' | ')}`);
      continue;
    }
    assert.equal(install.code, 0, install.stderr);
    const qa = await runCommand('rpm', ['-qa', '--dbpath', dbpath, ...define, '--qf', qf]);
    assert.equal(qa.code, 0, qa.stderr);
    const expected = qa.stdout.split('\n').filter((l) => l !== '').map((l) => l.replaceAll('(none)', '')).sort();
    assert.equal(expected.length, 3);
    const name = readdirSync(dbpath).find((f) => ['rpmdb.sqlite', 'Packages', 'Packages.db'].includes(f))!;
    const r = await rpmCataloger.catalog(fileViewFromMap({ [`var/lib/rpm/${name}`]: readFileSync(join(dbpath, name)) }, selector), {});
    assert.deepEqual(r.warnings, [], backend);
    assert.deepEqual(rows(r.packages), expected, backend);
    const beta = r.packages.find((p) => p.name === 'portcullis-beta')!;
    assert.deepEqual(beta.source, { name: 'portcullis-alpha', version: '1.2.3-4.test' });
    assert.equal(beta.version, '2:0.9-4.test');
    assert.deepEqual(beta.licenses, ['BSD-3-Clause']);
    assert.deepEqual([...(r.ownedFiles?.[0]?.paths ?? [])].sort(), ['etc/beta/c.conf', 'usr/share/alpha/a.txt', 'usr/share/alpha/b.txt']);
    built.push(backend);
  }
  assert.ok(built.includes('sqlite'));
});
