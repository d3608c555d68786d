/**
 * The Amazon Linux source on updateinfo documents written here in Amazon's
 * format (fixtures/amazon/README.md): what each ALAS becomes (ecosystem,
 * binary package names, rpm EVRs with epochs, severity, CVE aliases, dates),
 * which records are skipped and why, and the reader's caps: a gzip bomb, a
 * huge text node, a record over its package cap, malformed XML and a
 * document that is not updateinfo, each with its one-line error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Advisory } from '../../../src/core/advisory.js';
import { detectFileFormat, importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { alasDate, importAmazonUpdateinfo, parseAlasId, type AmazonImportOptions } from '../../../src/vuln/sources/amazon-updateinfo.js';
import { SourceError } from '../../../src/vuln/sources/source.js';
import { DEFAULT_UPDATEINFO_LIMITS } from '../../../src/vuln/sources/updateinfo-xml.js';
import { REPO_ROOT } from '../../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/sources/fixtures/amazon');
const AL2023 = join(FIXTURES, 'al2023-updateinfo.xml');
const AL2 = join(FIXTURES, 'al2-updateinfo.xml');
const tmp = mkdtempSync(join(tmpdir(), 'portcullis-amazon-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(input: string, options: AmazonImportOptions = {}) {
  const advisories: Advisory[] = [];
  const skipped: { record: string; reason: string }[] = [];
  const warnings: { record: string; message: string }[] = [];
  const summary = await importAmazonUpdateinfo(
    input,
    {
      advisory: (a) => void advisories.push(a),
      skip: (record, reason) => void skipped.push({ record, reason }),
      warn: (record, message) => void warnings.push({ record, message }),
    },
    options,
  );
  return { advisories, skipped, warnings, summary, byId: new Map(advisories.map((a) => [a.id, a])) };
}

function write(name: string, data: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, data);
  return path;
}

const fixedOf = (a: Advisory | undefined): Record<string, string> => Object.fromEntries((a?.affected ?? []).map((x) => [x.name, x.fixed!]));

test('AL2023: each security update is one advisory with binary rpm names, EVRs (epoch kept), severity, CVE aliases and dates', async () => {
  const r = await collect(AL2023);
  assert.deepEqual(r.summary, { advisories: 5, skipped: 6 });
  assert.deepEqual([...r.byId.keys()], ['ALAS2023-2024-481', 'ALAS2023-2024-462', 'ALAS2023-2023-219', 'ALAS2023-2023-302', 'ALAS2023-2024-500']);

  const openssl = r.byId.get('ALAS2023-2024-481')!;
  assert.equal(openssl.feed, 'amazon-updateinfo');
  assert.equal(openssl.scope, '');
  assert.deepEqual(openssl.aliases, ['CVE-2023-5678', 'CVE-2023-6129']);
  assert.deepEqual(openssl.severities, [{ source: 'amazon', severity: 'HIGH' }]);
  assert.equal(openssl.published, '2024-01-11T22:36:00Z');
  assert.equal(openssl.modified, '2024-01-18T19:02:00Z');
  assert.equal(openssl.summary, 'Amazon Linux 2023 - ALAS2023-2024-481: Important priority package update for openssl');
  assert.match(openssl.details ?? '', /^Package updates are available for Amazon Linux 2023.*\nCVE-2023-6129:/s);
  assert.deepEqual(openssl.references, [{ type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2023/ALAS-2024-481.html' }]);
  // openssl-libs is listed for x86_64 and aarch64: one entry.
  assert.deepEqual(openssl.affected, ['openssl', 'openssl-libs', 'openssl-devel'].map((name) => ({
    ecosystem: 'Amazon Linux:2023',
    name,
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.8-1.amzn2023.0.12' }] }],
    fixed: '1:3.0.8-1.amzn2023.0.12',
    status: 'fixed',
    sourceRecord: 'ALAS2023-2024-481',
  })));

  // The src.rpm entry (curl) is dropped: only binary names are matched; epoch 0 is not written.
  assert.deepEqual(fixedOf(r.byId.get('ALAS2023-2024-462')), { 'curl-minimal': '8.5.0-1.amzn2023.0.1', 'libcurl-minimal': '8.5.0-1.amzn2023.0.1' });
  assert.deepEqual(r.byId.get('ALAS2023-2024-462')!.severities, [{ source: 'amazon', severity: 'MEDIUM' }]);
  assert.deepEqual(r.byId.get('ALAS2023-2023-219')!.severities, [{ source: 'amazon', severity: 'LOW' }]);
  // Critical, a CDATA description, a non-CVE reference that is no alias, and the lower of two builds of one name.
  const webp = r.byId.get('ALAS2023-2023-302')!;
  assert.deepEqual(webp.severities, [{ source: 'amazon', severity: 'CRITICAL' }]);
  assert.deepEqual(webp.aliases, ['CVE-2023-4863']);
  assert.match(webp.details ?? '', /Heap buffer overflow in libwebp/);
  assert.deepEqual(fixedOf(webp), { libwebp: '1.2.4-1.amzn2023.0.4' });
  // An unknown severity word: kept, not rated, warned; its bad package entries skipped, the good one kept.
  const expat = r.byId.get('ALAS2023-2024-500')!;
  assert.deepEqual(expat.severities, []);
  assert.deepEqual(fixedOf(expat), { expat: '2.5.0-1.amzn2023.0.4' });

  const base = AL2023;
  assert.deepEqual(r.skipped, [
    { record: `${base}:17`, reason: '<update> without an <id>' },
    { record: `${base}#RHSA-2024:0001`, reason: '"RHSA-2024:0001" is not an Amazon Linux advisory id (ALAS-, ALAS2…, ALAS2022-, ALAS2023-)' },
    { record: `${base}#ALAS2023-2024-500: package expat-devel`, reason: 'a package entry without name, version or release' },
    { record: `${base}#ALAS2023-2024-500: package expat-static`, reason: 'invalid epoch "x"' },
    { record: `${base}#ALAS2023-2024-501: package sudo`, reason: 'a package entry without name, version or release' },
    { record: `${base}#ALAS2023-2024-501`, reason: 'no package with a usable name, version and release' },
  ]);
  assert.deepEqual(r.warnings, [
    { record: `${base}#ALAS2023-2024-500`, message: 'unknown severity "urgent"; not rated' },
    { record: base, message: 'updates that are not security advisories were not imported: 1 bugfix' },
  ]);
});

test('AL2: epochs, and an Extras kernel line starts its range at the line (a 5.10 fix does not judge a 4.14 kernel)', async () => {
  const r = await collect(AL2);
  assert.deepEqual(r.summary, { advisories: 2, skipped: 0 });
  const vim = r.byId.get('ALAS2-2024-2431')!;
  assert.deepEqual(fixedOf(vim), { 'vim-minimal': '2:9.0.2153-1.amzn2.0.1', 'vim-filesystem': '2:9.0.2153-1.amzn2.0.1' });
  assert.equal(vim.affected[0]!.ecosystem, 'Amazon Linux:2');
  assert.deepEqual(vim.references, [{ type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2/ALAS-2024-2431.html' }]);
  const kernel = r.byId.get('ALAS2KERNEL-5.10-2024-045')!;
  const events = Object.fromEntries(kernel.affected.map((a) => [a.name, a.ranges[0]!.events]));
  assert.deepEqual(events, {
    kernel: [{ introduced: '5.10' }, { fixed: '5.10.205-219.864.amzn2' }],
    'kernel-headers': [{ introduced: '5.10' }, { fixed: '5.10.205-219.864.amzn2' }],
    // Versioned 1.0-x, not on the line: no lower bound.
    'kernel-livepatch-5.10.205-219.864': [{ introduced: '0' }, { fixed: '1.0-0.amzn2' }],
  });
  assert.equal(kernel.affected[0]!.ecosystem, 'Amazon Linux:2');
  assert.deepEqual(kernel.references, [{ type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2/ALASKERNEL-5.10-2024-045.html' }]);
});

test('ALAS ids name the release; dates are read as UTC', () => {
  assert.deepEqual(parseAlasId('ALAS-2018-1000'), { ecosystem: 'Amazon Linux:1', page: 'https://alas.aws.amazon.com/ALAS-2018-1000.html' });
  assert.deepEqual(parseAlasId('ALAS2022-2021-001'), { ecosystem: 'Amazon Linux:2022', page: 'https://alas.aws.amazon.com/AL2022/ALAS-2021-001.html' });
  assert.deepEqual(parseAlasId('ALAS2023-2023-001'), { ecosystem: 'Amazon Linux:2023', page: 'https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html' });
  assert.deepEqual(parseAlasId('ALAS2PHP8.0-2023-004'), { ecosystem: 'Amazon Linux:2', topic: 'PHP8.0', line: '8.0', page: 'https://alas.aws.amazon.com/AL2/ALASPHP8.0-2023-004.html' });
  assert.deepEqual(parseAlasId('ALAS2DOCKER-2023-001'), { ecosystem: 'Amazon Linux:2', topic: 'DOCKER', page: 'https://alas.aws.amazon.com/AL2/ALASDOCKER-2023-001.html' });
  assert.equal(parseAlasId('ALASKERNEL-5.4-2023-048'), undefined, 'an Extras topic without its release');
  assert.equal(parseAlasId('ELSA-2024-0001'), undefined);
  assert.equal(parseAlasId('ALAS2-2024'), undefined);
  assert.equal(alasDate('2018-01-11 21:05'), '2018-01-11T21:05:00Z');
  assert.equal(alasDate('2023-02-17 20:41:07'), '2023-02-17T20:41:07Z');
  assert.equal(alasDate('2023-02-17'), '2023-02-17T00:00:00Z');
  assert.equal(alasDate('yesterday'), undefined);
});

test('gzipped, the same document gives the same advisories; db import detects both forms', async () => {
  const gz = write('al2023-updateinfo.xml.gz', gzipSync(readFileSync(AL2023)));
  const plain = await collect(AL2023, { label: 'x' });
  const zipped = await collect(gz, { label: 'x' });
  assert.deepEqual(zipped.advisories, plain.advisories);
  assert.equal(await detectFileFormat(gz), 'amazon-updateinfo');
  assert.equal(await detectFileFormat(AL2), 'amazon-updateinfo');
  assert.equal(await detectFileFormat(join(FIXTURES, 'repomd.xml')), undefined);

  const db = join(tmp, 'import.sqlite');
  const result = await importPaths(db, [gz, AL2]);
  assert.deepEqual(result.inputs.map((i) => [i.format, i.advisories, i.skipped]), [['amazon-updateinfo', 5, 6], ['amazon-updateinfo', 2, 0]]);
  const store = openAdvisoryStore(db);
  try {
    const found = await store.findAffected('Amazon Linux:2023', 'openssl-libs');
    assert.deepEqual(found.map((m) => [m.advisory.id, m.affected.fixed]), [['ALAS2023-2024-481', '1:3.0.8-1.amzn2023.0.12']]);
    assert.deepEqual((await store.sources()).map((s) => s.feed), ['amazon-updateinfo']);
  } finally {
    await store.close();
  }
  // A directory: each updateinfo found by its content; another XML file (repomd.xml) is named as unrecognised, the README passed over.
  const fromDir = await importPaths(join(tmp, 'dir.sqlite'), [FIXTURES]);
  assert.deepEqual(fromDir.inputs.map((i) => [i.path.slice(FIXTURES.length + 1), i.format, i.advisories]), [
    ['README.md', 'unknown', 0],
    ['al2-updateinfo.xml', 'amazon-updateinfo', 2],
    ['al2023-updateinfo.xml', 'amazon-updateinfo', 5],
    ['repomd.xml', 'unknown', 0],
  ]);
  assert.deepEqual(fromDir.skipped.filter((k) => k.reason.startsWith('not a recognised')).map((k) => [k.record.slice(FIXTURES.length + 1), k.reason]), [
    ['repomd.xml', 'not a recognised advisory format (OSV, Alpine secdb, Debian tracker, NVD API 2.0, Photon CVE data, yum updateinfo, Oracle ELSA OVAL, CISA KEV, EPSS CSV)'],
  ]);
});

test('a gzip bomb stops at the decompressed cap with a one-line error (default cap 1 GiB)', async () => {
  assert.equal(DEFAULT_UPDATEINFO_LIMITS.maxBytes, 1 << 30);
  // 8 MiB of blanks inside a valid document: 8 KiB gzipped.
  const bomb = write('bomb.xml.gz', gzipSync(Buffer.concat([Buffer.from('<updates>'), Buffer.alloc(8 << 20, 0x20), Buffer.from('</updates>')])));
  await assert.rejects(collect(bomb, { limits: { maxBytes: 1 << 20 } }), (e: unknown) => {
    assert.ok(e instanceof SourceError && e.code === 'FEED_INVALID', String(e));
    assert.equal(e.message, `${bomb}: decompresses to over the cap of 1048576 bytes; not read`);
    return true;
  });
  // Under the cap, the same document reads (and is empty).
  assert.deepEqual((await collect(bomb)).summary, { advisories: 0, skipped: 0 });
  const corrupt = write('corrupt.xml.gz', gzipSync(readFileSync(AL2)).subarray(0, 200));
  await assert.rejects(collect(corrupt), (e: unknown) => e instanceof SourceError && e.code === 'FEED_INVALID' && /^.*corrupt\.xml\.gz: corrupt gzip: /.test(e.message));
});

test('huge text: a field is cut at its cap with a warning; a text node past the event gap fails the document', async () => {
  const record = (description: string) =>
    `<updates><update type="security"><id>ALAS2-2024-9001</id><severity>low</severity><description>${description}</description><pkglist><collection><package name="zlib" epoch="0" version="1.2.7" release="21.amzn2.0.3" arch="x86_64"/></collection></pkglist></update></updates>`;
  const long = write('long.xml', record('x'.repeat(200_000)));
  const r = await collect(long);
  assert.equal(r.advisories[0]!.details!.length, 64 << 10);
  assert.deepEqual(r.warnings, [{ record: `${long}#ALAS2-2024-9001`, message: '<description> longer than 65536 characters: cut at the cap' }]);
  await assert.rejects(collect(long, { limits: { maxEventGap: 100_000 } }), (e: unknown) => {
    assert.ok(e instanceof SourceError && e.code === 'FEED_INVALID', String(e));
    assert.equal(e.message, `${long}: a text node, comment or tag longer than 100000 characters at line 1; not read`);
    return true;
  });
});

test('an over-long attribute is dropped, not kept: its package entry is skipped and the record warned', async () => {
  const doc = `<updates><update type="security"><id>ALAS2-2024-9004</id><pkglist><collection><package name="${'n'.repeat(300)}" epoch="0" version="1.0" release="1.amzn2" arch="x86_64"/><package name="zlib" epoch="0" version="1.2.7" release="21.amzn2.0.3" arch="x86_64"/></collection></pkglist></update></updates>`;
  const path = write('long-attribute.xml', doc);
  const r = await collect(path);
  assert.deepEqual(fixedOf(r.advisories[0]), { zlib: '1.2.7-21.amzn2.0.3' });
  assert.deepEqual(r.skipped, [{ record: `${path}#ALAS2-2024-9004: package (no name)`, reason: 'a package entry without name, version or release' }]);
  assert.deepEqual(r.warnings, [{ record: `${path}#ALAS2-2024-9004`, message: 'a name attribute longer than 256 characters: dropped' }]);
});

test('a record over the package cap is skipped and named; the next one is read', async () => {
  const pkg = (n: number) => `<package name="p${n}" epoch="0" version="1.0" release="1.amzn2" arch="x86_64"/>`;
  const doc = `<updates><update type="security"><id>ALAS2-2024-9002</id><pkglist><collection>${[1, 2, 3].map(pkg).join('')}</collection></pkglist></update><update type="security"><id>ALAS2-2024-9003</id><pkglist><collection>${pkg(4)}</collection></pkglist></update></updates>`;
  const r = await collect(write('many.xml', doc), { limits: { maxPackages: 2 } });
  assert.deepEqual(r.advisories.map((a) => a.id), ['ALAS2-2024-9003']);
  assert.deepEqual(r.skipped.map((s) => s.reason), ['more than 2 packages: over the per-advisory cap']);
});

test('malformed XML and documents that are not updateinfo: one-line FEED_INVALID errors', async () => {
  const cases: [string, string, RegExp][] = [
    ['broken.xml', '<updates><update type="security"><id>ALAS2-2024-1</id></updat></updates>', /^.*broken\.xml: not well-formed XML: 1:\d+: unexpected close tag\.?$/],
    ['repomd-as-updateinfo.xml', readFileSync(join(FIXTURES, 'repomd.xml'), 'utf8'), /^.*repomd-as-updateinfo\.xml: not a yum updateinfo document \(the root element is <repomd>, not <updates>\)$/],
    ['empty.xml', '', /^.*empty\.xml: not well-formed XML: .*root element/],
    ['doctype.xml', '<!DOCTYPE updates [<!ENTITY a "aaaaaaaaaa">]><updates><update type="security"><id>&a;</id></update></updates>', /^.*doctype\.xml: not well-formed XML: .*undefined entity/i],
  ];
  for (const [name, text, expected] of cases) {
    await assert.rejects(collect(write(name, text)), (e: unknown) => {
      assert.ok(e instanceof SourceError && e.code === 'FEED_INVALID', `${name}: ${String(e)}`);
      assert.match(e.message, expected, name);
      assert.ok(!e.message.includes('\n'), `${name}: one line`);
      return true;
    });
  }
});
