/**
 * Oracle's ELSA OVAL feed: reading it (src/vuln/sources/oracle-oval.ts)
 * against the `bzip2` program on the same file in the same run.
 *
 * A feed of Oracle's shape is generated in a temp dir (BENCH_ELSAS
 * definitions, default 8,000; each one release, 15 packages fixed on aarch64
 * and x86_64, the "signed with" tests, a changelog; the tests, objects and
 * states after every definition, as Oracle writes them) and compressed with
 * `bzip2 -9`. Measured, best of BENCH_RUNS (default 2):
 * - `bzip2 -dc FILE > /dev/null` (the floor for decompression);
 * - `decompressedChunks` alone on the .bz2 (src/vuln/sources/bzip2.ts);
 * - the whole source (decompress, parse, resolve, convert) on the plain
 *   file and on the .bz2, each in a child process of its own (`node --import
 *   tsx`, so the loader's memory is in it too) whose peak RSS is reported.
 *
 *   npx tsx bench/oracle-oval.ts
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { decompressedChunks } from '../src/vuln/sources/compressed-input.js';
import { oracleOvalSource } from '../src/vuln/sources/oracle-oval.js';
import { fastestOf } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const ELSAS = Number(process.env.BENCH_ELSAS ?? 8000);
const NS = 'oval:com.oracle.elsa';
const ARCHES = ['aarch64', 'x86_64'];

/** Writes the feed: the definitions, tests, objects and states go to four files as generated (nothing held), then joined. */
async function generate(path: string): Promise<void> {
  const parts = ['definitions', 'tests', 'objects', 'states'].map((p) => join(dir, `${p}.part`));
  const streams = parts.map((p) => createWriteStream(p));
  const writer =
    (i: number) =>
    async (text: string): Promise<void> => {
      if (!streams[i]!.write(text)) await once(streams[i]!, 'drain');
    };
  const [write, writeTest, writeObject, writeState] = [writer(0), writer(1), writer(2), writer(3)];
  await write(`<?xml version="1.0"?>\n<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5">\n<generator><oval:product_name>Oracle Errata System</oval:product_name></generator>\n<definitions>\n`);
  await writeTest('<tests>\n');
  await writeObject('<objects>\n');
  await writeState('<states>\n');
  for (let d = 0; d < ELSAS; d++) {
    const num = `2024${String(d).padStart(5, '0')}`;
    const rel = String(7 + (d % 3));
    const evr = `0:${d % 50}.${d % 7}.${d % 3}-${d % 40}.el${rel}`;
    const pkgs = Array.from({ length: 15 }, (_, i) => `pkg${d % 900}-sub${i}`);
    const crit = [`<criterion test_ref="${NS}:tst:${num}001" comment="Oracle Linux ${rel} is installed"/>`, '<criteria operator="OR">'];
    ARCHES.forEach((arch, a) => {
      crit.push(`<criteria operator="AND">\n<criterion test_ref="${NS}:tst:${num}${900 + a}" comment="Oracle Linux arch is ${arch}"/>\n<criteria operator="OR">`);
      pkgs.forEach((p, i) => {
        crit.push(`<criteria operator="AND">\n<criterion test_ref="${NS}:tst:${num}${100 + 2 * i}" comment="${p} is earlier than ${evr}"/>\n<criterion test_ref="${NS}:tst:${num}${101 + 2 * i}" comment="${p} is signed with the Oracle Linux ${rel} key"/>\n</criteria>`);
      });
      crit.push('</criteria>\n</criteria>');
    });
    crit.push('</criteria>');
    const changelog = pkgs.slice(0, 8).map((p, i) => `- fix CVE-2024-${10_000 + ((d * 8 + i) % 89_999)} in ${p} (Orabug: ${30_000_000 + d * 8 + i})`).join('\n');
    const cves = [0, 1, 2].map((i) => `<cve href="https://linux.oracle.com/cve/CVE-2024-${d}${i}.html">CVE-2024-${d}${i}</cve>`).join('\n');
    await write(
      `<definition id="${NS}:def:${num}" version="501" class="patch">\n<metadata>\n<title>\nELSA-2024-${String(d).padStart(5, '0')}:  pkg${d % 900} security update (IMPORTANT)\n</title>\n<affected family="unix">\n<platform>Oracle Linux ${rel}</platform>\n</affected>\n` +
        `<reference source="elsa" ref_id="ELSA-2024-${String(d).padStart(5, '0')}" ref_url="https://linux.oracle.com/errata/ELSA-2024-${String(d).padStart(5, '0')}.html"/>\n<description>\n${changelog}\n</description>\n` +
        `<advisory>\n<severity>IMPORTANT</severity>\n<issued date="2024-01-01"/>\n${cves}\n</advisory>\n</metadata>\n<criteria operator="AND">\n${crit.join('\n')}\n</criteria>\n</definition>\n`,
    );
    const test = (id: string, obj: string, ste: string): string => `<rpminfo_test id="${NS}:tst:${id}" version="501" check="at least one" xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">\n<object object_ref="${NS}:obj:${obj}"/>\n<state state_ref="${NS}:ste:${ste}"/>\n</rpminfo_test>`;
    const object = (id: string, name: string): string => `<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="${NS}:obj:${id}" version="501">\n<name>${name}</name>\n</rpminfo_object>`;
    const state = (id: string, body: string): string => `<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="${NS}:ste:${id}" version="501">\n${body}\n</rpminfo_state>`;
    await writeTest(`${test(`${num}001`, `${num}001`, `${num}001`)}\n${test(`${num}900`, `${num}001`, `${num}900`)}\n${test(`${num}901`, `${num}001`, `${num}901`)}\n`);
    await writeObject(`${object(`${num}001`, 'oraclelinux-release')}\n`);
    await writeState(
      [
        state(`${num}001`, `<version operation="pattern match">^${rel}</version>`),
        state(`${num}900`, '<arch operation="pattern match">aarch64</arch>'),
        state(`${num}901`, '<arch operation="pattern match">x86_64</arch>'),
        state(`${num}002`, `<evr datatype="evr_string" operation="less than">${evr}</evr>`),
        state(`${num}003`, '<signature_keyid operation="equals">82562ea9ad986da3</signature_keyid>'),
      ].join('\n') + '\n',
    );
    for (const [i, p] of pkgs.entries()) {
      await writeObject(`${object(`${num}${100 + i}`, p)}\n`);
      await writeTest(`${test(`${num}${100 + 2 * i}`, `${num}${100 + i}`, `${num}002`)}\n${test(`${num}${101 + 2 * i}`, `${num}${100 + i}`, `${num}003`)}\n`);
    }
  }
  await write('</definitions>\n');
  await writeTest('</tests>\n');
  await writeObject('</objects>\n');
  await writeState('</states>\n</oval_definitions>\n');
  for (const st of streams) {
    st.end();
    await once(st, 'finish');
  }
  execFileSync('sh', ['-c', `cat ${parts.map((p) => `'${p}'`).join(' ')} > '${path}' && rm ${parts.map((p) => `'${p}'`).join(' ')}`]);
}

const best = (fn: () => Promise<unknown> | unknown): Promise<number> => fastestOf(RUNS, fn);

interface ChildRun {
  readonly ms: number;
  readonly peakRss: number;
  readonly advisories: number;
  readonly entries: number;
}

/** The child: one import, timed, with its peak RSS (sampled every 20 ms and at the end). */
async function child(path: string): Promise<void> {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let entries = 0;
  const t0 = performance.now();
  const summary = await oracleOvalSource.import(path, { advisory: (a) => void (entries += a.affected.length), skip: () => undefined, warn: () => undefined });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const run: ChildRun = { ms, peakRss: peak, advisories: summary.advisories, entries };
  process.stdout.write(JSON.stringify(run));
}

function inChild(path: string): ChildRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'child', path], { encoding: 'utf8' });
  return JSON.parse(out) as ChildRun;
}

function bestChild(path: string): ChildRun {
  let fastest: ChildRun | undefined;
  for (let i = 0; i < RUNS; i++) {
    const run = inChild(path);
    if (!fastest || run.ms < fastest.ms) fastest = run;
  }
  return fastest!;
}

if (process.argv[2] === 'child') {
  await child(process.argv[3]!);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-oval-'));
try {
  const plain = join(dir, 'com.oracle.elsa-all.xml');
  await generate(plain);
  execFileSync('bzip2', ['-9', '-k', plain]);
  const bz2 = `${plain}.bz2`;
  const mb = (p: string): string => `${(statSync(p).size / 1e6).toFixed(1)} MB`;
  const floor = await best(() => execFileSync('sh', ['-c', `bzip2 -dc '${bz2}' > /dev/null`]));
  const decode = await best(async () => {
    for await (const chunk of decompressedChunks(bz2)) void chunk;
  });
  const fromPlain = bestChild(plain);
  const fromBz2 = bestChild(bz2);
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(`feed: ${ELSAS} ELSAs, ${fromPlain.advisories} advisories, ${fromPlain.entries} affected entries; ${mb(plain)} plain, ${mb(bz2)} bzip2`);
  console.log('| step | wall | vs bzip2 -dc |');
  console.log('| --- | --- | --- |');
  console.log(`| bzip2 -dc (floor) | ${s(floor)} | 1.0× |`);
  console.log(`| decompressedChunks (bzip2.ts) | ${s(decode)} | ${(decode / floor).toFixed(1)}× |`);
  console.log(`| import from the .bz2 (child, peak RSS ${Math.round(fromBz2.peakRss / 1e6)} MB) | ${s(fromBz2.ms)} | ${(fromBz2.ms / floor).toFixed(1)}× |`);
  console.log(`| import from the plain .xml (child, peak RSS ${Math.round(fromPlain.peakRss / 1e6)} MB) | ${s(fromPlain.ms)} | ${(fromPlain.ms / floor).toFixed(1)}× |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
