/**
 * Oracle's ELSA OVAL source on fixtures written in its format
 * (fixtures/oracle/README.md): definitions become ELSA advisories with the
 * fixed EVRs, flavours and architectures kept apart, Oracle's severity and
 * the CVEs; plain, gzip and bzip2 read alike; hostile files are bounded
 * (bomb, depth, long text) and a broken or foreign file is one line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Advisory } from '../../../src/core/index.js';
import { oracleOvalSource, type OracleOvalOptions } from '../../../src/vuln/sources/oracle-oval.js';
import { MAX_CRITERIA_DEPTH, MAX_ELEMENT_DEPTH } from '../../../src/vuln/sources/oval-reader.js';
import { SourceError } from '../../../src/vuln/sources/source.js';
import { detectFileFormat } from '../../../src/vuln/db/import.js';
import { REPO_ROOT } from '../../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/sources/fixtures/oracle');
const SAMPLE = join(FIXTURES, 'elsa-sample.xml');
const tmp = mkdtempSync(join(tmpdir(), 'portcullis-oracle-oval-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Read {
  readonly advisories: Advisory[];
  readonly skipped: { record: string; reason: string }[];
  readonly warnings: string[];
}

async function read(path: string, options: OracleOvalOptions = {}): Promise<Read> {
  const out: Read = { advisories: [], skipped: [], warnings: [] };
  const summary = await oracleOvalSource.import(
    path,
    { advisory: (a) => void out.advisories.push(a), skip: (record, reason) => void out.skipped.push({ record, reason }), warn: (r, m) => void out.warnings.push(`${r}: ${m}`) },
    options,
  );
  assert.equal(summary.advisories, out.advisories.length);
  assert.equal(summary.skipped, out.skipped.length);
  return out;
}

const entries = (a: Advisory | undefined): string[] => (a?.affected ?? []).map((x) => `${x.ecosystem} ${x.name} ${x.fixed ?? ''}`);
const byId = (r: Read, id: string): Advisory | undefined => r.advisories.find((a) => a.id === id);

function writeOval(name: string, definitions: string, rest = ''): string {
  const path = join(tmp, name);
  writeFileSync(path, `<?xml version="1.0"?>\n<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"><generator><product_name>Oracle Errata System</product_name></generator><definitions>${definitions}</definitions>${rest}</oval_definitions>\n`);
  return path;
}

/** One OL8 definition for package `name` fixed in `evr`, its criteria nested `depth` deep, with its tests, objects and states. */
function oneFix(num: string, name: string, evr: string, depth = 1, title = `ELSA-2024-${num}:  ${name} security update (LOW)`): { def: string; rest: string; tests: string; objects: string; states: string } {
  const open = '<criteria operator="AND">'.repeat(depth);
  const close = '</criteria>'.repeat(depth);
  const def = `<definition id="oval:com.oracle.elsa:def:2024${num}" version="501" class="patch"><metadata><title>${title}</title><reference source="elsa" ref_id="ELSA-2024-${num}" ref_url="https://linux.oracle.com/errata/ELSA-2024-${num}.html"/><advisory><severity>LOW</severity><issued date="2024-05-01"/></advisory></metadata>${open}<criterion test_ref="t:${num}:1" comment="Oracle Linux 8 is installed"/><criterion test_ref="t:${num}:2" comment="${name} is earlier than ${evr}"/>${close}</definition>`;
  const tests = `<rpminfo_test id="t:${num}:1"><object object_ref="o:${num}:1"/><state state_ref="s:${num}:1"/></rpminfo_test><rpminfo_test id="t:${num}:2"><object object_ref="o:${num}:2"/><state state_ref="s:${num}:2"/></rpminfo_test>`;
  const objects = `<rpminfo_object id="o:${num}:1"><name>oraclelinux-release</name></rpminfo_object><rpminfo_object id="o:${num}:2"><name>${name}</name></rpminfo_object>`;
  const states = `<rpminfo_state id="s:${num}:1"><version operation="pattern match">^8</version></rpminfo_state><rpminfo_state id="s:${num}:2"><evr datatype="evr_string" operation="less than">${evr}</evr></rpminfo_state>`;
  return { def, tests, objects, states, rest: `<tests>${tests}</tests><objects>${objects}</objects><states>${states}</states>` };
}

test('ELSA definitions become advisories: fixed EVRs with epochs, Oracle severity, CVEs, dates and references', async () => {
  const r = await read(SAMPLE);
  assert.deepEqual(r.advisories.map((a) => a.id).sort(), ['ELSA-2024-1001', 'ELSA-2024-1002', 'ELSA-2024-1003', 'ELSA-2024-1004', 'ELSA-2024-9001']);
  const openssl = byId(r, 'ELSA-2024-1001')!;
  assert.equal(openssl.feed, 'oracle-oval');
  // The same fix on aarch64 and x86_64: one entry without an architecture; the epoch stays.
  assert.deepEqual(entries(openssl), ['Oracle Linux:8 openssl 1:1.1.1k-12.el8_9', 'Oracle Linux:8 openssl-devel 1:1.1.1k-12.el8_9', 'Oracle Linux:8 openssl-libs 1:1.1.1k-12.el8_9']);
  assert.deepEqual(openssl.affected[0]!.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.1.1k-12.el8_9' }] }]);
  assert.equal(openssl.affected[0]!.sourceRecord, 'ELSA-2024-1001');
  assert.deepEqual(openssl.severities, [{ source: 'oracle', severity: 'HIGH' }]);
  assert.deepEqual(openssl.upstream, ['CVE-2023-5678', 'CVE-2024-0727']);
  assert.deepEqual(openssl.aliases, []);
  assert.equal(openssl.summary, 'openssl security update (IMPORTANT)');
  assert.equal(openssl.published, '2024-02-12T00:00:00Z');
  assert.match(openssl.details ?? '', /^\[1:1\.1\.1k-12\]\n- Fix CVE-2023-5678/);
  assert.deepEqual(openssl.references[0], { type: 'ADVISORY', url: 'https://linux.oracle.com/errata/ELSA-2024-1001.html' });
  // MODERATE → MEDIUM, LOW → LOW, N/A → no rating.
  assert.deepEqual(byId(r, 'ELSA-2024-1002')!.severities, [{ source: 'oracle', severity: 'MEDIUM' }]);
  assert.deepEqual(byId(r, 'ELSA-2024-1003')!.severities, [{ source: 'oracle', severity: 'LOW' }]);
  assert.deepEqual(byId(r, 'ELSA-2024-1004')!.severities, []);
  // A `0:` epoch is dropped; one ELSA for two releases gives one entry per release.
  assert.deepEqual(entries(byId(r, 'ELSA-2024-1003')), ['Oracle Linux:8 zlib 1.2.11-25.el8', 'Oracle Linux:9 zlib 1.2.11-40.el9']);
});

test('flavours and architectures are kept apart: ksplice and fips builds, an aarch64 respin', async () => {
  const r = await read(SAMPLE);
  assert.deepEqual(entries(byId(r, 'ELSA-2024-9001')), ['Oracle Linux:8:ksplice openssl 1:1.1.1k-12.ksplice1.el8_9', 'Oracle Linux:8:ksplice openssl-libs 1:1.1.1k-12.ksplice1.el8_9']);
  assert.deepEqual(entries(byId(r, 'ELSA-2024-1004')), ['Oracle Linux:8:fips gnutls 3.6.16-8.0.1.el8_fips']);
  assert.deepEqual(entries(byId(r, 'ELSA-2024-1002')), [
    'Oracle Linux:8:aarch64 rsyslog 8.2102.0-15.el8_9.2',
    'Oracle Linux:8:aarch64 rsyslog-gnutls 8.2102.0-15.el8_9.2',
    'Oracle Linux:8:x86_64 rsyslog 8.2102.0-15.el8_9.1',
    'Oracle Linux:8:x86_64 rsyslog-gnutls 8.2102.0-15.el8_9.1',
  ]);
});

test('a test that is not in the file skips its definition, named; the others are kept', async () => {
  const r = await read(SAMPLE, { label: 'elsa.xml' });
  assert.deepEqual(r.skipped, [{ record: 'elsa.xml#ELSA-2024-1005', reason: 'test oval:com.oracle.elsa:tst:20241005999 is not in the file' }]);
});

test('bzip2 and gzip copies read exactly as the plain file', async () => {
  const plain = await read(SAMPLE);
  for (const ext of ['.bz2', '.gz']) assert.deepEqual((await read(`${SAMPLE}${ext}`)).advisories, plain.advisories, ext);
});

test('a bzip2 bomb (64 MiB of zeros in 79 bytes) stops at the uncompressed cap with one line', async () => {
  const bomb = join(FIXTURES, 'bomb.xml.bz2');
  assert.ok(readFileSync(bomb).length < 100);
  await assert.rejects(read(bomb, { maxBytes: 1 << 20, label: 'bomb.xml.bz2' }), (e: unknown) => {
    assert.ok(e instanceof SourceError);
    assert.equal(e.code, 'FEED_INVALID');
    assert.equal(e.message, 'bomb.xml.bz2: over the 1048576-byte cap once uncompressed (bzip2); not read');
    return true;
  });
});

test('criteria nested deeper than the cap skip that definition only; elements past the document cap refuse the file', async () => {
  const deep = oneFix('2001', 'curl', '0:7.61.1-34.el8', MAX_CRITERIA_DEPTH + 8);
  const fine = oneFix('2002', 'bash', '0:4.4.20-5.el8', MAX_CRITERIA_DEPTH - 2);
  const rest = `<tests>${deep.tests}${fine.tests}</tests><objects>${deep.objects}${fine.objects}</objects><states>${deep.states}${fine.states}</states>`;
  const r = await read(writeOval('deep.xml', deep.def + fine.def, rest), { label: 'deep.xml' });
  assert.deepEqual(r.skipped, [{ record: 'deep.xml#ELSA-2024-2001', reason: `criteria nested deeper than ${MAX_CRITERIA_DEPTH}` }]);
  assert.deepEqual(entries(byId(r, 'ELSA-2024-2002')), ['Oracle Linux:8 bash 4.4.20-5.el8']);

  const hostile = writeOval('hostile.xml', `<definition id="x">${'<criteria>'.repeat(MAX_ELEMENT_DEPTH + 10)}`);
  await assert.rejects(read(hostile, { label: 'hostile.xml' }), (e: unknown) => e instanceof SourceError && e.code === 'FEED_INVALID' && e.message === `hostile.xml: elements nested deeper than ${MAX_ELEMENT_DEPTH}; not read`);
});

test('a release test on another product\'s release package (Oracle VM Server) names no Oracle Linux release: dropped, named', async () => {
  const ovm = oneFix('4001', 'xen', '0:4.4.4-222.0.1.el6', 1);
  const r = await read(writeOval('ovm.xml', ovm.def, ovm.rest.replace('<name>oraclelinux-release</name>', '<name>ovs-release</name>')), { label: 'ovm.xml' });
  assert.deepEqual(r.advisories, []);
  assert.deepEqual(r.warnings, ['ovm.xml#ELSA-2024-4001: xen 0:4.4.4-222.0.1.el6: no Oracle Linux release for this fix; dropped']);
  assert.deepEqual(r.skipped, [{ record: 'ovm.xml#ELSA-2024-4001', reason: 'names no Oracle Linux package fix' }]);
});

test('a huge title is cut, not kept whole; a dangling state or object is named', async () => {
  const long = oneFix('3001', 'vim', '2:8.0.1763-19.el8', 1, `ELSA-2024-3001:  ${'x'.repeat(200_000)}`);
  const r = await read(writeOval('long.xml', long.def, long.rest));
  assert.equal(r.advisories.length, 1);
  assert.ok(r.advisories[0]!.summary!.length <= 520, String(r.advisories[0]!.summary!.length));
  assert.ok(r.advisories[0]!.summary!.endsWith('…'));

  const noState = oneFix('3002', 'vim', '2:8.0.1763-19.el8');
  const r2 = await read(writeOval('nostate.xml', noState.def, noState.rest.replace(/<rpminfo_state id="s:3002:2">.*?<\/rpminfo_state>/, '')), { label: 'n.xml' });
  assert.deepEqual(r2.skipped, [{ record: 'n.xml#ELSA-2024-3002', reason: 'state s:3002:2 of test t:3002:2 is not in the file' }]);
  const noObject = oneFix('3003', 'vim', '2:8.0.1763-19.el8');
  const r3 = await read(writeOval('noobject.xml', noObject.def, noObject.rest.replace(/<rpminfo_object id="o:3003:2">.*?<\/rpminfo_object>/, '')), { label: 'o.xml' });
  assert.deepEqual(r3.skipped, [{ record: 'o.xml#ELSA-2024-3003', reason: 'object o:3003:2 of test t:3003:2 is not in the file' }]);
});

test('malformed XML, a truncated file, a truncated bzip2 stream and a foreign document are one-line FEED_INVALID errors', async () => {
  const text = readFileSync(SAMPLE, 'utf8');
  const truncated = join(tmp, 'truncated.xml');
  writeFileSync(truncated, text.slice(0, Math.floor(text.length / 2)));
  const broken = join(tmp, 'broken.xml');
  writeFileSync(broken, text.replace('</metadata>', '</metadataX>'));
  const cutBz2 = join(tmp, 'cut.xml.bz2');
  const bz2 = readFileSync(`${SAMPLE}.bz2`);
  writeFileSync(cutBz2, bz2.subarray(0, Math.floor(bz2.length / 2)));
  const foreign = join(tmp, 'feed.xml');
  writeFileSync(foreign, '<?xml version="1.0"?><rss version="2.0"><channel/></rss>');
  const cases: [string, RegExp][] = [
    [truncated, /^t: not well-formed XML at \d+:\d+: .+$/],
    [broken, /^t: not well-formed XML at \d+:\d+: .+$/],
    [foreign, /^t: not an OVAL definitions document \(the root element is <rss>\)$/],
    [cutBz2, /^t: corrupt bzip2 data: the data ends in the middle of a block$/],
  ];
  for (const [path, message] of cases) {
    await assert.rejects(read(path, { label: 't' }), (e: unknown) => {
      assert.ok(e instanceof SourceError, String(e));
      assert.equal(e.code, 'FEED_INVALID');
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
  }
});

test('db import recognises the feed by its decompressed start, whatever the compression; other XML and a bomb are not it', async () => {
  for (const ext of ['', '.bz2', '.gz']) assert.equal(await detectFileFormat(`${SAMPLE}${ext}`), 'oracle-oval', ext);
  const rss = join(tmp, 'news.xml');
  writeFileSync(rss, '<?xml version="1.0"?><rss version="2.0"><channel><title>Oracle news</title></channel></rss>');
  const otherOval = join(tmp, 'other-oval.xml');
  writeFileSync(otherOval, '<?xml version="1.0"?><oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"><generator><product_name>Another vendor</product_name></generator></oval_definitions>');
  assert.equal(await detectFileFormat(rss), undefined);
  assert.equal(await detectFileFormat(otherOval), undefined);
  assert.equal(await detectFileFormat(join(FIXTURES, 'bomb.xml.bz2')), undefined);
});
