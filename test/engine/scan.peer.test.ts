/**
 * The scan engine end to end: the real Debian image with a DB imported from
 * the tracker samples (plus tracker entries written here for source
 * packages the image really has), an unpacked root filesystem with a
 * symlink pointing outside it, and the gate (severity, unfixed, ignore file
 * with expiry, OpenVEX and CycloneDX VEX).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding } from '../../src/core/finding.js';
import { applyGate } from '../../src/engine/gate.js';
import { ignoreToOpenVex, parseIgnoreFile } from '../../src/engine/ignore.js';
import { inventoryImage } from '../../src/engine/inventory.js';
import { openSource } from '../../src/engine/open.js';
import { inventoryRootfs } from '../../src/engine/inventory.js';
import { scanTarget, ScanError } from '../../src/engine/scan.js';
import { parseVex } from '../../src/engine/vex.js';
import { importPaths } from '../../src/vuln/db.js';
import { dpkg } from '../../src/vuln/versions/dpkg.js';
import { VULNDATA } from '../support/paths.js';
import { peerImages } from '../support/peers.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const APK_DB = readFileSync(join(VULNDATA, 'pkgdb/apk/trivy-testdata/lib/apk/db/installed'));

/** An Alpine 3.4 rootfs; the apk DB reached through `lib -> usr/lib`. */
export function alpineRootfs(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n');
  mkdirSync(join(root, 'usr/lib/apk/db'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/apk/db/installed'), APK_DB);
  symlinkSync('usr/lib', join(root, 'lib'));
}

test('--rootfs: links resolve inside DIR; a symlink pointing outside is never followed out', async () => {
  const good = join(dir, 'rootfs-good');
  alpineRootfs(good);
  const inv = await inventoryRootfs(good);
  assert.equal(inv.os?.id, 'alpine');
  assert.ok(inv.packages.some((p) => p.name === 'musl' && p.version === '1.1.14-r10'), 'found through lib -> usr/lib');
  assert.ok(inv.packages.every((p) => p.layer === undefined));

  // The outside file holds a package that must never be read.
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'installed'), 'P:evil\nV:6.6.6-r0\no:evil\n\n');
  writeFileSync(join(outside, 'os-release'), 'ID=evilos\nVERSION_ID=1\n');
  const bad = join(dir, 'rootfs-bad');
  mkdirSync(join(bad, 'lib/apk/db'), { recursive: true });
  mkdirSync(join(bad, 'etc'), { recursive: true });
  symlinkSync(join(outside, 'installed'), join(bad, 'lib/apk/db/installed')); // absolute host path
  symlinkSync('../../../../../../../../' + join(outside, 'os-release').slice(1), join(bad, 'etc/os-release')); // climbs with ..
  symlinkSync(outside, join(bad, 'opt')); // a directory outside
  const inv2 = await inventoryRootfs(bad);
  assert.deepEqual(inv2.packages, []);
  assert.notEqual(inv2.os?.id, 'evilos');
});

test('scan of the real Debian image: findings name source packages and carry the introducing layer', async () => {
  const images = await peerImages();
  const source = await openSource(images.debianOci, {});
  const { inventory } = await inventoryImage(source).finally(() => source.close());
  const bySource = inventory.packages.filter((p) => p.source && p.source.name !== p.name);
  assert.ok(bySource.length >= 3);
  const sources = [...new Map(bySource.map((p) => [p.source!.name, p])).values()].slice(0, 3);
  // Tracker entries for these source packages: open, fixed above the installed version, fixed below it.
  const doc: Record<string, unknown> = {};
  const expected: string[] = [];
  sources.forEach((p, i) => {
    const srcVersion = p.source!.version ?? p.version;
    const fixedAbove = `${srcVersion}+portcullis1`;
    assert.equal(dpkg.compare(fixedAbove, srcVersion), 1);
    doc[p.source!.name] = {
      [`CVE-2099-${1000 + i}`]: { description: 'open', releases: { bookworm: { status: 'open', urgency: 'high', repositories: { bookworm: srcVersion } } } },
      [`CVE-2099-${2000 + i}`]: { description: 'fixed later', releases: { bookworm: { status: 'resolved', fixed_version: fixedAbove, urgency: 'medium', repositories: { bookworm: srcVersion } } } },
      [`CVE-2099-${3000 + i}`]: { description: 'fixed before', releases: { bookworm: { status: 'resolved', fixed_version: '0.0.1-1', urgency: 'high', repositories: { bookworm: srcVersion } } } },
    };
    for (const bin of inventory.packages.filter((b) => b.source?.name === p.source!.name || (!b.source && b.name === p.source!.name))) {
      expected.push(`${bin.name} CVE-2099-${1000 + i}`, `${bin.name} CVE-2099-${2000 + i}`);
    }
  });
  const generated = join(dir, 'tracker-generated.json');
  writeFileSync(generated, JSON.stringify(doc));
  const db = join(dir, 'debian-e2e.sqlite');
  await importPaths(db, [join(VULNDATA, 'debian-tracker/tracker-json'), generated]);
  const { result, gate } = await scanTarget({ kind: 'image', name: images.debianOci }, { dbPath: db });
  assert.equal(result.schemaVersion, 1);
  assert.equal(result.os?.id, 'debian');
  assert.ok((result.packageCounts.dpkg ?? 0) > 50);
  assert.deepEqual(result.findings.map((f) => `${f.package.name} ${f.id}`).sort(), expected.sort());
  assert.equal(gate.active.length, expected.length);
  for (const f of result.findings) {
    assert.equal(f.evidence.queriedName, f.package.source?.name ?? f.package.name);
    assert.equal(f.evidence.ecosystem, 'Debian:12');
    assert.ok(f.layer, 'the layer that introduced the package');
    assert.equal(typeof f.layerCreatedBy, 'string');
  }
  const order = result.findings.map((f) => f.severity);
  assert.deepEqual(order, [...order].sort((a, b) => ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'].indexOf(a) - ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'].indexOf(b)));
});

test('a missing database is DB_MISSING with what to run', async () => {
  await assert.rejects(
    scanTarget({ kind: 'rootfs', path: dir }, { dbPath: join(dir, 'nope.sqlite') }),
    (e: unknown) => e instanceof ScanError && e.code === 'DB_MISSING' && /portcullis db update/.test(e.message),
  );
});

function finding(id: string, severity: Finding['severity'], fixed: string | undefined, pkg = 'openssl', aliases: string[] = []): Finding {
  return {
    id,
    aliases,
    package: { name: pkg, version: '1.0', ecosystem: 'alpine', purl: `pkg:apk/alpine/${pkg}@1.0?arch=x86_64`, foundBy: 'apk', path: 'lib/apk/db/installed' },
    installedVersion: '1.0',
    ...(fixed ? { fixedVersion: fixed } : {}),
    status: fixed ? 'fixed' : 'affected',
    severity,
    severitySource: 'nvd',
    references: [],
    evidence: { feed: 'alpine-secdb', advisoryId: `ALPINE-${id}`, ecosystem: 'Alpine:v3.4', queriedName: pkg, range: '>=0', scheme: 'apk' },
  };
}

const FINDINGS = [finding('CVE-1', 'CRITICAL', '1.1'), finding('CVE-2', 'HIGH', undefined), finding('CVE-3', 'LOW', '1.2', 'musl', ['GHSA-xxxx']), finding('CVE-4', 'MEDIUM', '1.3', 'zlib')];

test('gate: --severity and --ignore-unfixed drop exactly what they name', () => {
  const g = applyGate(FINDINGS, { severities: ['CRITICAL', 'HIGH'] });
  assert.deepEqual(g.active.map((f) => f.id), ['CVE-1', 'CVE-2']);
  assert.equal(g.dropped.severity, 2);
  const u = applyGate(FINDINGS, { ignoreUnfixed: true });
  assert.deepEqual(u.active.map((f) => f.id), ['CVE-1', 'CVE-3', 'CVE-4']);
  assert.equal(u.dropped.unfixed, 1);
});

test('gate: the ignore file suppresses by id or alias, package and purl; an expired entry warns and stops ignoring', () => {
  const file = parseIgnoreFile(
    `ignore:
  - id: CVE-1
    package: openssl
    reason: not reachable
    owner: sec-team
    expires: 2999-01-01
  - id: GHSA-xxxx
    purl: pkg:apk/alpine/musl
    reason: alias match
  - id: CVE-4
    reason: was accepted
    expires: 2020-01-01
  - id: CVE-2
    package: not-openssl
    reason: other package
`,
    'test.ignore',
  );
  const g = applyGate(FINDINGS, { ignore: file, now: new Date('2025-06-01T00:00:00Z') });
  assert.deepEqual(g.findings.filter((f) => f.suppressed).map((f) => f.id), ['CVE-1', 'CVE-3']);
  assert.deepEqual(g.active.map((f) => f.id), ['CVE-2', 'CVE-4']);
  assert.equal(g.findings.find((f) => f.id === 'CVE-1')!.suppressed!.reason, 'not reachable (owner: sec-team)');
  assert.equal(g.warnings.length, 1);
  assert.match(g.warnings[0]!, /CVE-4.*expired on 2020-01-01/);
  assert.throws(() => parseIgnoreFile('ignore:\n  - id: CVE-1\n', 'x'), /reason/);
  assert.throws(() => parseIgnoreFile('ignore:\n  - id: CVE-1\n    reason: r\n    bogus: 1\n', 'x'), /unknown key/);
});

test('gate: OpenVEX and CycloneDX VEX not_affected suppress with the justification; other statuses do not', () => {
  const openvex = parseVex(
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.test/vex-1',
      author: 'test',
      timestamp: '2025-01-01T00:00:00Z',
      version: 1,
      statements: [
        { vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:oci/app@sha256:abc', subcomponents: [{ '@id': 'pkg:apk/alpine/openssl@1.0' }] }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'TLS unused' },
        { vulnerability: { name: 'CVE-2' }, products: [{ '@id': 'pkg:apk/alpine/openssl' }], status: 'affected' },
        { vulnerability: { name: 'CVE-4' }, products: [{ '@id': 'pkg:apk/alpine/musl' }], status: 'not_affected', justification: 'component_not_present' },
      ],
    }),
  );
  const g = applyGate(FINDINGS, { vex: openvex });
  assert.deepEqual(g.findings.filter((f) => f.suppressed).map((f) => f.id), ['CVE-1']);
  assert.deepEqual(g.findings.find((f) => f.id === 'CVE-1')!.suppressed, { by: 'vex', reason: 'TLS unused', justification: 'vulnerable_code_not_in_execute_path' });

  const cdx = parseVex(
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [{ 'bom-ref': 'zlib-ref', type: 'library', name: 'zlib', purl: 'pkg:apk/alpine/zlib@1.0' }],
      vulnerabilities: [
        { id: 'CVE-4', analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'compress only' }, affects: [{ ref: 'zlib-ref' }] },
        { id: 'GHSA-xxxx', analysis: { state: 'exploitable' }, affects: [{ ref: 'pkg:apk/alpine/musl@1.0' }] },
      ],
    }),
  );
  const c = applyGate(FINDINGS, { vex: cdx });
  assert.deepEqual(c.findings.filter((f) => f.suppressed).map((f) => f.id), ['CVE-4']);
  assert.equal(c.findings.find((f) => f.id === 'CVE-4')!.suppressed!.justification, 'code_not_reachable');
  assert.throws(() => parseVex('{"hello": 1}'), /neither an OpenVEX/);
});

test('ignore export: a valid OpenVEX document (required fields, not_affected with an impact statement)', () => {
  const file = parseIgnoreFile('ignore:\n  - id: CVE-1\n    purl: pkg:apk/alpine/openssl\n    reason: unused\n  - id: CVE-9\n    package: zlib\n    reason: r\n    expires: 2001-01-01\n', 'x');
  const doc = ignoreToOpenVex(file, { now: new Date('2025-01-01T00:00:00Z') }) as Record<string, unknown> & { statements: Record<string, unknown>[] };
  for (const k of ['@context', '@id', 'author', 'timestamp', 'version', 'statements']) assert.ok(doc[k] !== undefined, k);
  assert.equal(doc['@context'], 'https://openvex.dev/ns/v0.2.0');
  assert.equal(doc.statements.length, 1);
  const st = doc.statements[0]!;
  assert.deepEqual(st.vulnerability, { name: 'CVE-1' });
  assert.equal(st.status, 'not_affected');
  assert.equal(typeof st.impact_statement, 'string');
  // It round-trips through our own VEX reader.
  const back = parseVex(JSON.stringify(doc));
  assert.equal(back[0]!.status, 'not_affected');
});
