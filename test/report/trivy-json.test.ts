/**
 * Field names and shapes checked against Trivy's Go types:
 * aquasecurity/trivy pkg/types/report.go (Report, Metadata, Result),
 * pkg/types/vulnerability.go (DetectedVulnerability), pkg/types/finding.go
 * (ModifiedFinding), pkg/fanal/types/artifact.go (OS, Layer),
 * pkg/fanal/types/package.go (PkgIdentifier: PURL), and
 * aquasecurity/trivy-db pkg/types/types.go (Vulnerability, CVSS, DataSource),
 * pkg/types/status.go (status names), and Trivy's integration golden file
 * integration/testdata/debian-buster.json.golden.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trivyJsonWriter } from '../../src/report/formats/trivy-json.js';
import { DEBIAN_RESULT, EMPTY_RESULT, NOW, TOOL } from './fixtures.js';

type J = Record<string, any>;
const report = JSON.parse(trivyJsonWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL })) as J;

const REPORT_KEYS = new Set(['SchemaVersion', 'Trivy', 'ReportID', 'CreatedAt', 'ArtifactID', 'ArtifactName', 'ArtifactType', 'Metadata', 'Results']);
const METADATA_KEYS = new Set(['Size', 'OS', 'ImageID', 'DiffIDs', 'RepoTags', 'RepoDigests', 'Reference', 'ImageConfig', 'Layers']);
const RESULT_KEYS = new Set(['Target', 'Class', 'Type', 'Packages', 'Vulnerabilities', 'MisconfSummary', 'Misconfigurations', 'Secrets', 'Licenses', 'CustomResources', 'ExperimentalModifiedFindings']);
// DetectedVulnerability + embedded trivy-db Vulnerability
const VULN_KEYS = new Set([
  'VulnerabilityID', 'VendorIDs', 'PkgID', 'PkgName', 'PkgPath', 'PkgIdentifier', 'InstalledVersion', 'FixedVersion', 'Status', 'Layer',
  'SeveritySource', 'PrimaryURL', 'DataSource', 'Fingerprint', 'Custom',
  'Title', 'Description', 'Severity', 'CweIDs', 'VendorSeverity', 'CVSS', 'References', 'PublishedDate', 'LastModifiedDate',
]);

function subset(obj: J, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) assert.ok(allowed.has(k), `${where}: unknown Trivy field ${k}`);
}

test('top level: SchemaVersion 2, artifact name and type, no fields Trivy does not have', () => {
  subset(report, REPORT_KEYS, 'Report');
  assert.equal(report.SchemaVersion, 2);
  assert.equal(report.ArtifactName, DEBIAN_RESULT.target);
  assert.equal(report.ArtifactType, 'container_image');
  assert.equal(report.CreatedAt, NOW.toISOString());
});

test('Metadata: OS {Family, Name}, ImageID, DiffIDs, RepoDigests, ImageConfig, Layers', () => {
  const m = report.Metadata as J;
  subset(m, METADATA_KEYS, 'Metadata');
  assert.deepEqual(m.OS, { Family: 'debian', Name: '12' });
  assert.equal(m.ImageID, DEBIAN_RESULT.image!.configDigest);
  assert.deepEqual(m.DiffIDs, DEBIAN_RESULT.image!.layers!.map((l) => l.diffId));
  assert.deepEqual(m.RepoDigests, [`registry.example.com/team/app@${DEBIAN_RESULT.image!.digest}`]);
  assert.equal(m.ImageConfig.architecture, 'amd64');
  assert.equal(m.ImageConfig.os, 'linux');
  assert.deepEqual(m.ImageConfig.rootfs, { type: 'layers', diff_ids: m.DiffIDs });
  assert.deepEqual(Object.keys(m.Layers[0]).sort(), ['CreatedBy', 'DiffID', 'Digest']);
});

test('Results group by target class: the OS target first, then one per lock file or binary', () => {
  const results = report.Results as J[];
  for (const r of results) subset(r, RESULT_KEYS, 'Result');
  assert.deepEqual(
    results.map((r) => [r.Target, r.Class, r.Type]),
    [
      ['registry.example.com/team/app:1.4 (debian 12)', 'os-pkgs', 'debian'],
      ['app/bin/server', 'lang-pkgs', 'gobinary'],
      ['app/package-lock.json', 'lang-pkgs', 'npm'],
    ],
  );
  const os = results[0]!.Vulnerabilities as J[];
  assert.equal(os.length, 5);
  assert.ok(os.every((v) => ['bash', 'curl', 'libssl3', 'openssl', 'zlib1g'].includes(v.PkgName)));
  assert.deepEqual(results[1]!.Vulnerabilities.map((v: J) => v.PkgName).sort(), ['golang.org/x/net', 'stdlib']);
});

test('a DetectedVulnerability has Trivy field names, value shapes and status names', () => {
  const all = (report.Results as J[]).flatMap((r) => (r.Vulnerabilities ?? []) as J[]);
  for (const v of all) {
    subset(v, VULN_KEYS, `Vulnerability ${v.VulnerabilityID}`);
    assert.match(v.Severity, /^(UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL)$/);
    assert.match(v.Status, /^(fixed|affected|will_not_fix)$/);
    assert.equal(typeof v.PkgIdentifier.PURL, 'string');
    assert.deepEqual(Object.keys(v.DataSource).sort(), ['ID', 'Name', 'URL']);
    for (const [src, n] of Object.entries(v.VendorSeverity as J)) {
      assert.equal(typeof src, 'string');
      assert.ok(Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 4);
    }
  }
  const curl = all.find((v) => v.PkgName === 'curl')!;
  assert.deepEqual(curl, {
    VulnerabilityID: 'CVE-2023-38545',
    VendorIDs: ['DSA-5523-1'],
    PkgID: 'curl@7.88.1-10+deb12u4',
    PkgName: 'curl',
    PkgIdentifier: { PURL: 'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u4?arch=amd64&distro=debian-12' },
    InstalledVersion: '7.88.1-10+deb12u4',
    FixedVersion: '7.88.1-10+deb12u5',
    Status: 'fixed',
    Layer: { Digest: DEBIAN_RESULT.image!.layers![1]!.digest, DiffID: DEBIAN_RESULT.image!.layers![1]!.diffId },
    SeveritySource: 'nvd',
    PrimaryURL: 'https://security-tracker.debian.org/tracker/CVE-2023-38545',
    DataSource: { ID: 'debian', Name: 'Debian Security Tracker', URL: 'https://salsa.debian.org/security-tracker-team/security-tracker' },
    Title: 'curl: heap based buffer overflow in the SOCKS5 proxy handshake',
    Description: 'This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy handshake.',
    Severity: 'CRITICAL',
    VendorSeverity: { nvd: 4 },
    CVSS: { nvd: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 } },
    References: ['https://curl.se/docs/CVE-2023-38545.html'],
    PublishedDate: '2023-10-18T04:15:11Z',
    LastModifiedDate: '2024-01-24T14:15:10Z',
  });
  assert.equal(all.find((v) => v.PkgName === 'bash')!.Status, 'affected');
  assert.equal(all.find((v) => v.PkgName === 'bash')!.FixedVersion, undefined);
  assert.equal(all.find((v) => v.PkgName === 'zlib1g')!.Status, 'will_not_fix');
  const stdlib = all.find((v) => v.PkgName === 'stdlib')!;
  assert.equal(stdlib.PkgPath, 'app/bin/server');
  assert.equal(stdlib.PublishedDate, undefined, 'Go vulndb year-1 dates are "unknown"');
  assert.equal(stdlib.DataSource.ID, 'govulndb');
  assert.equal(all.find((v) => v.PkgName === 'lodash')!.DataSource.ID, 'ghsa');
});

test('a suppressed finding moves to ExperimentalModifiedFindings with the VEX statement', () => {
  const npm = (report.Results as J[]).find((r) => r.Type === 'npm')!;
  assert.deepEqual(npm.Vulnerabilities.map((v: J) => v.VulnerabilityID), ['CVE-2021-23337']);
  assert.equal(npm.ExperimentalModifiedFindings.length, 1);
  const m = npm.ExperimentalModifiedFindings[0] as J;
  assert.deepEqual(Object.keys(m), ['Type', 'Status', 'Statement', 'Source', 'Finding']);
  assert.equal(m.Type, 'vulnerability');
  assert.equal(m.Status, 'not_affected');
  assert.equal(m.Statement, 'vulnerable_code_not_in_execute_path');
  assert.equal(m.Finding.VulnerabilityID, 'CVE-2021-44906');
});

test('a scan without findings still names its OS target, as Trivy does', () => {
  const r = JSON.parse(trivyJsonWriter.write(EMPTY_RESULT)) as J;
  assert.equal(r.ArtifactType, 'filesystem');
  assert.deepEqual(r.Results, [{ Target: 'alpine:3.19 (alpine 3.19.1)', Class: 'os-pkgs', Type: 'alpine' }]);
});
