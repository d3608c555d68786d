/**
 * `portcullis scan`, `db` and `ignore export` as a user runs them: exit codes,
 * what is suppressed, the missing-DB message, db import/status/update (from
 * a loopback HTTP server) and db push/pull through the real docker-registry.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ScanResult } from '../../src/core/finding.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { VULNDATA } from '../support/paths.js';
import { startRegistry } from '../support/peers.js';

let dir: string;
let db: string;
let rootfs: string;
let baseline: ScanResult;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-scan-'));
  db = join(dir, 'db.sqlite');
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4')]);
  rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n');
  mkdirSync(join(rootfs, 'usr/lib/apk/db'), { recursive: true });
  writeFileSync(join(rootfs, 'usr/lib/apk/db/installed'), readFileSync(join(VULNDATA, 'pkgdb/apk/trivy-testdata/lib/apk/db/installed')));
  symlinkSync('usr/lib', join(rootfs, 'lib'));
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  baseline = JSON.parse(r.stdout) as ScanResult;
  assert.ok(baseline.findings.length > 10);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('scan --rootfs: table grouped by target with fixed versions and links; exit 0 without --exit-code', async () => {
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /OS packages \(Alpine Linux v3\.4\)/);
  assert.match(r.stdout, /SEVERITY\s+ID\s+PACKAGE\s+INSTALLED\s+FIXED IN\s+LINK/);
  assert.match(r.stdout, /CVE-2016-8859\s+musl\s+1\.1\.14-r10\s+1\.1\.\d+-r\d+\s+https:\/\/security\.alpinelinux\.org\/vuln\/CVE-2016-8859/);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'plain when piped');
});

test('--exit-code applies only when findings remain after --severity / --ignore-unfixed', async () => {
  const all = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '3', '--format', 'json']);
  assert.equal(all.code, 3);
  const levels = new Set(baseline.findings.map((f) => f.severity));
  const absent = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].filter((l) => !levels.has(l as never));
  assert.ok(absent.length > 0);
  const none = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '3', '--severity', absent.join(','), '--format', 'json']);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual((JSON.parse(none.stdout) as ScanResult).findings, []);
  const present = [...levels][0]!;
  const some = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '4', '--severity', present.toLowerCase(), '--format', 'json']);
  assert.equal(some.code, 4);
  assert.deepEqual((JSON.parse(some.stdout) as ScanResult).findings.map((f) => f.id), baseline.findings.filter((f) => f.severity === present).map((f) => f.id));
  const unfixed = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '5', '--ignore-unfixed', '--format', 'json']);
  assert.equal((JSON.parse(unfixed.stdout) as ScanResult).findings.length, baseline.findings.filter((f) => f.fixedVersion).length);
  const bad = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--severity', 'SEVERE']);
  assert.equal(bad.code, 2);
});

test('--ignorefile: ignoring every finding passes the gate; an expired entry warns and fails it again', async () => {
  const ids = [...new Set(baseline.findings.map((f) => f.id))];
  const entries = ids.map((id) => `  - id: ${id}\n    reason: accepted risk\n    owner: team\n`);
  const ok = join(dir, 'ok.ignore');
  writeFileSync(ok, `ignore:\n${entries.join('')}`);
  const pass = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '1', '--ignorefile', ok, '--format', 'json']);
  assert.equal(pass.code, 0, pass.stderr);
  const kept = (JSON.parse(pass.stdout) as ScanResult).findings;
  assert.equal(kept.length, baseline.findings.length);
  assert.ok(kept.every((f) => f.suppressed?.by === 'ignorefile' && f.suppressed.reason === 'accepted risk (owner: team)'));

  const expiredId = ids[0]!;
  const expired = join(dir, 'expired.ignore');
  writeFileSync(expired, `ignore:\n${entries.slice(1).join('')}  - id: ${expiredId}\n    reason: temporary\n    expires: 2020-01-31\n`);
  const fail = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--exit-code', '1', '--ignorefile', expired, '--format', 'json']);
  assert.equal(fail.code, 1);
  assert.match(fail.stderr, new RegExp(`${expiredId}.*expired on 2020-01-31`));
  const active = (JSON.parse(fail.stdout) as ScanResult).findings.filter((f) => !f.suppressed);
  assert.deepEqual([...new Set(active.map((f) => f.id))], [expiredId]);

  const broken = join(dir, 'broken.ignore');
  writeFileSync(broken, 'ignore: [ {id: CVE-1} ]\n');
  assert.equal((await runCli(['scan', '--rootfs', rootfs, '--db', db, '--ignorefile', broken])).code, 7);
});

test('--vex: OpenVEX and CycloneDX not_affected suppress exactly the named package and vulnerability', async () => {
  const target = baseline.findings.find((f) => f.package.name === 'musl')!;
  const openvex = join(dir, 'app.openvex.json');
  writeFileSync(
    openvex,
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.test/vex',
      author: 'test',
      timestamp: '2025-01-01T00:00:00Z',
      version: 1,
      statements: [{ vulnerability: { name: target.id }, products: [{ '@id': 'pkg:apk/alpine/musl' }], status: 'not_affected', justification: 'vulnerable_code_not_present' }],
    }),
  );
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--vex', openvex, '--format', 'json']);
  const suppressed = (JSON.parse(r.stdout) as ScanResult).findings.filter((f) => f.suppressed);
  assert.deepEqual(suppressed.map((f) => `${f.package.name} ${f.id} ${f.suppressed!.justification}`), [`musl ${target.id} vulnerable_code_not_present`]);

  const cdx = join(dir, 'app.cdx.json');
  const all = baseline.findings.map((f) => ({ id: f.id, analysis: { state: 'not_affected', justification: 'code_not_reachable' }, affects: [{ ref: f.package.purl }] }));
  writeFileSync(cdx, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', vulnerabilities: all }));
  const pass = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--vex', cdx, '--exit-code', '9', '--format', 'json']);
  assert.equal(pass.code, 0, pass.stderr);
  assert.ok((JSON.parse(pass.stdout) as ScanResult).findings.every((f) => f.suppressed?.by === 'vex' && f.suppressed.justification === 'code_not_reachable'));
});

test('a missing database: a clear message naming the command to run, exit 11', async () => {
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', join(dir, 'missing.sqlite')]);
  assert.equal(r.code, 11);
  assert.match(r.stderr, /no advisory database at .*missing\.sqlite.*portcullis db update/);
  const env = await runCli(['scan', '--rootfs', rootfs], { PORTCULLIS_DB: join(dir, 'env-missing.sqlite') });
  assert.equal(env.code, 11);
  assert.match(env.stderr, /env-missing\.sqlite/);
  const offline = await runCli(['scan', 'docker://127.0.0.1:1/x:y', '--db', db, '--offline']);
  assert.equal(offline.code, 2);
  assert.match(offline.stderr, /--offline/);
});

test('ignore export --format openvex: required fields, one not_affected statement per live entry', async () => {
  const file = join(dir, 'export.ignore');
  writeFileSync(file, 'ignore:\n  - id: CVE-2016-8859\n    purl: pkg:apk/alpine/musl\n    reason: static binary only\n  - id: CVE-2000-1\n    reason: old\n    expires: 2001-01-01\n');
  const r = await runCli(['ignore', 'export', '--ignorefile', file, '--format', 'openvex']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, unknown> & { statements: Record<string, unknown>[] };
  for (const k of ['@context', '@id', 'author', 'timestamp', 'version']) assert.ok(doc[k] !== undefined, k);
  assert.match(String(doc['@context']), /^https:\/\/openvex\.dev\/ns\/v0\.2\.0$/);
  assert.equal(typeof doc.version, 'number');
  assert.ok(!Number.isNaN(Date.parse(String(doc.timestamp))));
  assert.equal(doc.statements.length, 1);
  assert.deepEqual(doc.statements[0]!.vulnerability, { name: 'CVE-2016-8859' });
  assert.deepEqual(doc.statements[0]!.products, [{ '@id': 'pkg:apk/alpine/musl' }]);
  assert.equal(doc.statements[0]!.status, 'not_affected');
  // The exported document suppresses in a scan exactly as the ignore file does.
  const vexFile = join(dir, 'exported.openvex.json');
  writeFileSync(vexFile, r.stdout);
  const s = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--vex', vexFile, '--format', 'json']);
  assert.deepEqual((JSON.parse(s.stdout) as ScanResult).findings.filter((f) => f.suppressed).map((f) => `${f.package.name} ${f.id}`), ['musl CVE-2016-8859']);
});

test('db import, db status (with --max-age) and db update from a loopback server', async () => {
  const fresh = join(dir, 'fresh.sqlite');
  const imp = await runCli(['db', 'import', join(VULNDATA, 'debian-tracker/tracker-json'), '--db', fresh, '--format', 'json']);
  assert.equal(imp.code, 0, imp.stderr);
  assert.ok((JSON.parse(imp.stdout) as { inserted: number }).inserted > 0);
  const again = await runCli(['db', 'import', join(VULNDATA, 'debian-tracker/tracker-json'), '--db', fresh, '--format', 'json']);
  assert.deepEqual([(JSON.parse(again.stdout) as { inserted: number; updated: number }).inserted, (JSON.parse(again.stdout) as { updated: number }).updated], [0, 0]);
  const st = await runCli(['db', 'status', '--db', fresh, '--format', 'json']);
  const status = JSON.parse(st.stdout) as { exists: boolean; stale: boolean; sources: { feed: string }[] };
  assert.equal(status.exists, true);
  assert.equal(status.stale, false);
  assert.deepEqual(status.sources.map((s) => s.feed), ['debian-tracker']);
  assert.equal(st.stderr, '');
  const stale = await runCli(['db', 'status', '--db', fresh, '--max-age', '0d']);
  assert.match(stale.stderr, /older than 0d.*portcullis db update/);
  const none = await runCli(['db', 'status', '--db', join(dir, 'none.sqlite')]);
  assert.match(none.stderr, /no advisory database/);

  const tracker = readFileSync(join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json'));
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers['if-none-match'] ?? ''}`);
    if (req.url === '/tracker/json') {
      if (req.headers['if-none-match'] === '"t1"') return void res.writeHead(304, { etag: '"t1"' }).end();
      res.writeHead(200, { etag: '"t1"', 'content-length': tracker.length, 'last-modified': 'Wed, 20 Aug 2025 10:00:00 GMT' }).end(tracker);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tracker/json`;
    const updated = join(dir, 'updated.sqlite');
    const u1 = await runCli(['db', 'update', '--db', updated, '--feeds', 'debian', '--debian-url', url, '--format', 'json']);
    assert.equal(u1.code, 0, u1.stderr);
    assert.ok((JSON.parse(u1.stdout) as { inserted: number }).inserted > 0);
    const u2 = await runCli(['db', 'update', '--db', updated, '--feeds', 'debian', '--debian-url', url, '--format', 'json']);
    assert.deepEqual((JSON.parse(u2.stdout) as { notModified: string[] }).notModified, [url]);
    assert.deepEqual(seen, ['/tracker/json ', '/tracker/json "t1"']);
    const off = await runCli(['db', 'update', '--db', updated, '--offline']);
    assert.equal(off.code, 2);
    assert.equal(seen.length, 2, '--offline never touches the network');
    const broken = await runCli(['db', 'update', '--db', updated, '--feeds', 'debian', '--debian-url', url.replace('/json', '/missing')]);
    assert.equal(broken.code, 5);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('db push / db pull through the real docker-registry: same advisories, same findings', async () => {
  const registry = await startRegistry();
  try {
    const ref = `docker://${registry.host}/portcullis/advisory-db:latest`;
    const push = await runCli(['db', 'push', ref, '--db', db, '--tls-verify=false', '--format', 'json']);
    assert.equal(push.code, 0, push.stderr);
    const pushed = JSON.parse(push.stdout) as { manifestDigest: string; layer: { mediaType: string } };
    assert.equal(pushed.layer.mediaType, 'application/vnd.portcullis.advisory-db.v1.sqlite+gzip');
    // The manifest as the registry serves it.
    const res = await fetch(`${registry.url}/v2/portcullis/advisory-db/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = (await res.json()) as { artifactType: string; config: { mediaType: string }; annotations: Record<string, string> };
    assert.equal(manifest.artifactType, 'application/vnd.portcullis.advisory-db.v1');
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');
    assert.equal(manifest.annotations['io.portcullis.db.sources'], 'alpine-secdb');

    const pulledDb = join(dir, 'pulled', 'db.sqlite');
    writeFileSync(join(dir, 'placeholder'), '');
    const pull = await runCli(['db', 'pull', ref, '--db', pulledDb, '--tls-verify=false', '--insecure-skip-verify', '--format', 'json']); // signed pulls: db-signed.peer.test.ts
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal((JSON.parse(pull.stdout) as { manifestDigest: string }).manifestDigest, pushed.manifestDigest);
    const a = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'])).stdout) as { advisories: number; affected: number };
    const b = JSON.parse((await runCli(['db', 'status', '--db', pulledDb, '--format', 'json'])).stdout) as { advisories: number; affected: number };
    assert.deepEqual([b.advisories, b.affected], [a.advisories, a.affected]);
    const again = await runCli(['scan', '--rootfs', rootfs, '--db', pulledDb, '--format', 'json']);
    assert.deepEqual((JSON.parse(again.stdout) as ScanResult).findings.map((f) => `${f.package.name} ${f.id}`), baseline.findings.map((f) => `${f.package.name} ${f.id}`));
    // Pulling over an existing database swaps it (no stale WAL survives).
    const pull2 = await runCli(['db', 'pull', ref, '--db', pulledDb, '--tls-verify=false', '--insecure-skip-verify']);
    assert.equal(pull2.code, 0, pull2.stderr);
    // Not an advisory DB: refused, the existing database untouched.
    const notDb = await runCli(['db', 'pull', `docker://${registry.host}/nothing:here`, '--db', pulledDb, '--tls-verify=false', '--insecure-skip-verify']);
    assert.notEqual(notDb.code, 0);
    const c = JSON.parse((await runCli(['db', 'status', '--db', pulledDb, '--format', 'json'])).stdout) as { advisories: number };
    assert.equal(c.advisories, a.advisories);
  } finally {
    await registry.stop();
  }
});
