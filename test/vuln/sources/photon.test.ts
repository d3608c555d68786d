/**
 * The Photon OS source on its own: the release from the file name, from
 * vuln-list's `os_version` or from the caller; how entries of one id and
 * package combine; what is skipped, each named; and the release list of
 * `photon_versions.json`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Advisory } from '../../../src/core/index.js';
import { detectFileFormat } from '../../../src/vuln/db.js';
import { convertPhoton, photonReleaseOfFile, photonReleasesOf, photonSource } from '../../../src/vuln/sources/photon.js';
import type { AdvisorySink } from '../../../src/vuln/sources/source.js';

function collect(): { sink: AdvisorySink; advisories: Advisory[]; skipped: string[]; warnings: string[] } {
  const advisories: Advisory[] = [];
  const skipped: string[] = [];
  const warnings: string[] = [];
  return {
    advisories,
    skipped,
    warnings,
    sink: { advisory: (a) => void advisories.push(a), skip: (r, reason) => void skipped.push(`${r}: ${reason}`), warn: (r, m) => void warnings.push(`${r}: ${m}`) },
  };
}

const entry = (cve: string, pkg: string, res: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ cve_id: cve, pkg, cve_score: 5.3, aff_ver: `all versions before ${res} are vulnerable`, res_ver: res, status: 'Fixed', ...extra });

test('the release comes from the file name, and only from a name that says it', () => {
  assert.equal(photonReleaseOfFile('/x/cve_data_photon5.0.json'), '5.0');
  assert.equal(photonReleaseOfFile('/x/photon-cve_data_photon3.0.json'), '3.0');
  assert.equal(photonReleaseOfFile('/x/cve_data_photon.json'), undefined);
  const c = collect();
  const out = convertPhoton([entry('CVE-2024-1', 'curl', '8.0-1.ph5')], 'data.json', c.sink);
  assert.deepEqual(out, []);
  assert.deepEqual(c.skipped, ['data.json#0: CVE-2024-1 curl: no Photon release: name the file cve_data_photon<release>.json']);
});

test('one id, one package listed twice: an unfixed entry wins over a fix; otherwise the lowest fix; not-affected only alone', () => {
  const c = collect();
  const [a] = convertPhoton(
    [
      entry('CVE-2024-2', 'openssl', '3.0.9-2.ph5'),
      entry('CVE-2024-2', 'openssl', '3.0.9-10.ph5'), // rpm order: 2 < 10
      entry('CVE-2024-2', 'openssl-libs', '3.0.9-2.ph5'),
      entry('CVE-2024-2', 'openssl-libs', 'NA', { aff_ver: 'NA' }),
      entry('CVE-2024-2', 'httpd', 'NA', { status: 'Not Affected' }),
    ],
    'cve_data_photon5.0.json',
    c.sink,
    { release: '5.0' },
  );
  assert.deepEqual(c.skipped, []);
  assert.equal(a!.id, 'PHOTON-CVE-2024-2');
  assert.deepEqual(a!.upstream, ['CVE-2024-2']);
  assert.equal(a!.scope, '5.0');
  assert.deepEqual(
    a!.affected.map((x) => `${x.ecosystem} ${x.name} ${x.status} ${x.fixed ?? '-'}`),
    ['Photon OS:5.0 openssl fixed 3.0.9-2.ph5', 'Photon OS:5.0 openssl-libs affected -', 'Photon OS:5.0 httpd not-affected -'],
  );
  assert.deepEqual(a!.severities, [{ source: 'photon', severity: 'MEDIUM' }]);
});

test("vuln-list's layout (one entry per file, os_version) and the skips, each named", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-photon-'));
  try {
    writeFileSync(join(dir, 'CVE-2019-3828.json'), JSON.stringify({ ...entry('CVE-2019-3828', 'ansible', '2.7.6-2.ph3'), cve_score: 10, os_version: '3.0' }));
    writeFileSync(join(dir, 'cve_data_photon3.0.json'), JSON.stringify([entry('Re', 'curl', 'NA'), entry('CVE-2024-3', 'bad name', '1-1'), entry('CVE-2024-4', 'curl', 'later'), 'x']));
    writeFileSync(join(dir, 'notes.json'), '{"hello": 1}');
    assert.equal(await detectFileFormat(join(dir, 'CVE-2019-3828.json')), 'photon');
    const c = collect();
    const summary = await photonSource.import(dir, c.sink);
    assert.deepEqual(summary, { advisories: 1, skipped: 5 });
    assert.deepEqual(c.advisories.map((a) => `${a.id} ${a.affected[0]!.ecosystem} ${a.affected[0]!.fixed} ${a.severities[0]!.severity}`), ['PHOTON-CVE-2019-3828 Photon OS:3.0 2.7.6-2.ph3 CRITICAL']);
    const file = join(dir, 'cve_data_photon3.0.json');
    assert.deepEqual(c.skipped, [
      `${file}#0: Re curl: "Re" is not a vulnerability id`,
      `${file}#1: CVE-2024-3 bad name: no package name`,
      `${file}#2: CVE-2024-4 curl: invalid fixed version "later"`,
      `${file}#3: entry is not an object`,
      `${join(dir, 'notes.json')}: not Photon CVE data (a list of {cve_id, pkg, res_ver} entries)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('photon_versions.json: the numbered releases; anything else fails naming the URL', () => {
  assert.deepEqual(photonReleasesOf('{"branches": ["1.0", "2.0", "3.0", "4.0", "5.0", "dev"]}', 'u'), ['1.0', '2.0', '3.0', '4.0', '5.0']);
  assert.throws(() => photonReleasesOf('<html>', 'https://m/photon_versions.json'), /^SourceError: https:\/\/m\/photon_versions\.json: not JSON: /);
  assert.throws(() => photonReleasesOf('{"versions": []}', 'u'), /u: no "branches" list of Photon releases/);
  assert.throws(() => photonReleasesOf('{"branches": ["dev"]}', 'u'), /u: lists no numbered Photon release/);
});
