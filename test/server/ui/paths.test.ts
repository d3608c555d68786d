/**
 * The UI's pure parts, without a browser: URL building and parsing (names
 * with slashes, an `m` component, hostile characters, SBOM downloads), advisory links, the
 * severity ranking and the filter's query parameter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../../src/core/finding.js';
import { advisoryUrl, imagePath, parseUiPath, repositoryPath, sbomPath } from '../../../src/server/ui/paths.js';
import { atLeast, compareCounts, parseSeverityFilter, worstCounts } from '../../../src/server/ui/severity.js';
import { d } from './fixtures.js';

/** What Fastify hands the wildcard route: the path after `/ui/r/`, percent-decoded. */
const wildcardOf = (path: string): string => decodeURIComponent(path.slice('/ui/r/'.length));

test('paths: built links parse back to the same repository and digest', () => {
  for (const name of ['alpine', 'library/debian', 'team/m/app', 'm/m', 'a/m/b/m/c', 'evil/<x>"?#%/y', 'sp ace/ü']) {
    assert.deepEqual(parseUiPath(wildcardOf(repositoryPath(name))), { kind: 'repository', name }, name);
    assert.deepEqual(parseUiPath(wildcardOf(imagePath(name, d('ab')))), { kind: 'image', name, digest: d('ab') }, name);
  }
  for (const name of ['alpine', 'team/m/app', 'x/sbom.cdx.json']) {
    assert.deepEqual(parseUiPath(wildcardOf(sbomPath(name, d('ab'), 'cyclonedx'))), { kind: 'sbom', name, digest: d('ab'), format: 'cyclonedx' }, name);
    assert.deepEqual(parseUiPath(wildcardOf(sbomPath(name, d('ab'), 'spdx'))), { kind: 'sbom', name, digest: d('ab'), format: 'spdx' }, name);
  }
  assert.equal(sbomPath('team/app', d('ab'), 'spdx'), `/ui/r/team/app/m/${d('ab')}/sbom.spdx.json`);
  assert.equal(imagePath('team/m/app', d('ab')), `/ui/r/team/m/app/m/${d('ab')}`);
  assert.equal(repositoryPath('a/<b>'), '/ui/r/a/%3Cb%3E');
});

test('paths: malformed paths are invalid, a trailing slash is tolerated', () => {
  assert.deepEqual(parseUiPath('library/debian/'), { kind: 'repository', name: 'library/debian' });
  assert.deepEqual(parseUiPath(''), { kind: 'invalid' });
  assert.deepEqual(parseUiPath('a//b'), { kind: 'invalid' });
  assert.deepEqual(parseUiPath('app/m/sha256:1234'), { kind: 'invalid' }, 'a digest-like tail that is not a digest');
  assert.deepEqual(parseUiPath(`m/${d('ab')}`), { kind: 'invalid' }, 'no repository before /m/');
  assert.deepEqual(parseUiPath('team/sbom.cdx.json'), { kind: 'repository', name: 'team/sbom.cdx.json' }, 'an SBOM file name only after an image');
  // Repeated file names are one level of parsing, not one per repetition.
  const repeated = `app/m/${d('ab')}${'/sbom.cdx.json'.repeat(10_000)}`;
  assert.deepEqual(parseUiPath(repeated), { kind: 'invalid' });
});

test('advisory links: CVE → NVD, GHSA → GitHub, else the finding URL when it is http(s)', () => {
  const f = (id: string, primaryUrl?: string): Pick<Finding, 'id' | 'primaryUrl'> => ({ id, ...(primaryUrl ? { primaryUrl } : {}) });
  assert.equal(advisoryUrl(f('CVE-2024-3094', 'https://security-tracker.debian.org/tracker/CVE-2024-3094')), 'https://nvd.nist.gov/vuln/detail/CVE-2024-3094');
  assert.equal(advisoryUrl(f('GHSA-35jh-r3h4-6jhm')), 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm');
  assert.equal(advisoryUrl(f('GO-2024-2963', 'https://pkg.go.dev/vuln/GO-2024-2963')), 'https://pkg.go.dev/vuln/GO-2024-2963');
  assert.equal(advisoryUrl(f('DLA-1-1', 'javascript:alert(1)')), undefined);
  assert.equal(advisoryUrl(f('X-1', 'https://e.com/"onmouseover="x')), undefined);
  assert.equal(advisoryUrl(f('CVE-2024-1<b>', 'https://ok.example/')), 'https://ok.example/', 'an id that only looks like a CVE is not sent to NVD');
  assert.equal(advisoryUrl(f('RUSTSEC-2024-0001')), undefined);
});

test('severity: one CRITICAL outranks any number of HIGHs; the filter is a threshold', () => {
  assert.ok(compareCounts({ CRITICAL: 1 }, { HIGH: 50 }) < 0);
  assert.ok(compareCounts({ HIGH: 2, LOW: 1 }, { HIGH: 2 }) < 0);
  assert.equal(compareCounts(undefined, {}), 0);
  assert.deepEqual(worstCounts([{ HIGH: 3 }, undefined, { CRITICAL: 1 }, { CRITICAL: 1, LOW: 1 }]), { CRITICAL: 1, LOW: 1 });
  assert.equal(worstCounts([undefined]), undefined);
  assert.deepEqual(parseSeverityFilter(undefined), { ok: true });
  assert.deepEqual(parseSeverityFilter('high'), { ok: true, threshold: 'HIGH' });
  assert.deepEqual(parseSeverityFilter(['HIGH', 'LOW']), { ok: false, value: 'HIGH,LOW' });
  assert.deepEqual(parseSeverityFilter('SEVERE'), { ok: false, value: 'SEVERE' });
  assert.equal(atLeast('CRITICAL', 'HIGH'), true);
  assert.equal(atLeast('MEDIUM', 'HIGH'), false);
  assert.equal(atLeast('UNKNOWN', undefined), true);
});
