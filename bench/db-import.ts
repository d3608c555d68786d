/**
 * Advisory import benchmark: all of ../shared/vulndata (OSV, Alpine secdb,
 * Debian tracker, NVD) plus a generated OSV corpus (default 200,000 records
 * in per-ecosystem all.zip files, as osv.dev publishes them), into a fresh
 * database. Prints records/s, DB size and peak RSS, and writes them into the
 * `## Advisory import` section of bench/README.md.
 *
 *   npx tsx bench/db-import.ts [--records 200000] [--no-readme]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { importPaths } from '../src/vuln/db.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const vulndata = process.env.PORTCULLIS_SHARED ? join(process.env.PORTCULLIS_SHARED, 'vulndata') : resolve(root, '..', 'shared', 'vulndata');
const argRecords = process.argv.indexOf('--records');
const total = argRecords > 0 ? Number(process.argv[argRecords + 1]) : 200_000;
const writeReadme = !process.argv.includes('--no-readme');

// deterministic PRNG
let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const ver = (): string => `${Math.floor(rnd() * 5)}.${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 30)}`;

const ECOSYSTEMS = [
  { name: 'npm', prefix: 'GHSA', pkg: () => `pkg-${Math.floor(rnd() * 50000)}`, type: 'SEMVER', v: ver },
  { name: 'PyPI', prefix: 'PYSEC', pkg: () => `py_pkg.${Math.floor(rnd() * 30000)}`, type: 'ECOSYSTEM', v: ver },
  { name: 'Go', prefix: 'GO', pkg: () => `github.com/org${Math.floor(rnd() * 3000)}/mod${Math.floor(rnd() * 10)}`, type: 'SEMVER', v: ver },
  { name: 'Maven', prefix: 'GHSA', pkg: () => `org.example${Math.floor(rnd() * 2000)}:artifact-${Math.floor(rnd() * 20)}`, type: 'ECOSYSTEM', v: ver },
  { name: 'Debian:12', prefix: 'DEBIAN-CVE', pkg: () => `src${Math.floor(rnd() * 20000)}`, type: 'ECOSYSTEM', v: () => `${ver()}-${1 + Math.floor(rnd() * 5)}+deb12u1` },
  { name: 'Alpine:v3.19', prefix: 'ALPINE-CVE', pkg: () => `apk${Math.floor(rnd() * 8000)}`, type: 'ECOSYSTEM', v: () => `${ver()}-r${Math.floor(rnd() * 5)}` },
] as const;

function record(i: number, eco: (typeof ECOSYSTEMS)[number]): object {
  const id = `${eco.prefix}-BENCH-${i}`;
  const cve = `CVE-20${10 + (i % 15)}-${100000 + i}`;
  const affected = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
    package: { ecosystem: eco.name, name: eco.pkg() },
    ranges: [{ type: eco.type, events: [{ introduced: '0' }, { fixed: eco.v() }] }],
  }));
  return {
    schema_version: '1.6.0',
    id,
    aliases: [cve],
    summary: `Generated advisory ${i} for the import benchmark`,
    details: 'A realistic-length description. '.repeat(6),
    severity: [{ type: 'CVSS_V3', score: pick(['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N']) }],
    affected,
    references: [{ type: 'ADVISORY', url: `https://example.invalid/${id}` }, { type: 'WEB', url: `https://nvd.nist.gov/vuln/detail/${cve}` }],
    published: '2024-01-01T00:00:00Z',
    modified: `2025-0${1 + (i % 9)}-01T00:00:00Z`,
    ...(i % 97 === 0 ? { withdrawn: '2025-01-02T00:00:00Z' } : {}),
  };
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
try {
  const per = Math.ceil(total / ECOSYSTEMS.length);
  let made = 0;
  const t0 = Date.now();
  for (const [k, eco] of ECOSYSTEMS.entries()) {
    const files: Record<string, Uint8Array> = {};
    for (let j = 0; j < per && made < total; j++, made++) files[`${eco.prefix}-BENCH-${made}.json`] = new TextEncoder().encode(JSON.stringify(record(made, eco)));
    writeFileSync(join(dir, `gen-${k}-all.zip`), zipSync(files, { level: 6 }));
  }
  const genMs = Date.now() - t0;
  peakRss = 0;
  const db = join(dir, 'bench.sqlite');
  const inputs = [join(vulndata, 'osv'), join(vulndata, 'alpine-secdb'), join(vulndata, 'debian-tracker/tracker-json'), join(vulndata, 'nvd'), ...ECOSYSTEMS.map((_, k) => join(dir, `gen-${k}-all.zip`))];
  const t1 = Date.now();
  const r = await importPaths(db, inputs);
  const ms = Date.now() - t1;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const records = r.inserted + r.updated + r.unchanged;
  const size = statSync(db).size + (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0);
  const line = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus()[0]?.model ?? 'unknown cpu'} ×${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
    records,
    generated: made,
    seconds: +(ms / 1000).toFixed(1),
    perSecond: Math.round(records / (ms / 1000)),
    dbMiB: +(size / 2 ** 20).toFixed(1),
    peakRssMiB: +(peakRss / 2 ** 20).toFixed(0),
    skipped: r.skipped.length,
  };
  console.log(`generated ${made} records in ${(genMs / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(line, null, 2));
  if (writeReadme) {
    const readme = join(root, 'bench/README.md');
    const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n';
    const section = [
      '## Advisory import',
      '',
      '`npx tsx bench/db-import.ts`: all of `../shared/vulndata` (OSV, Alpine secdb, Debian tracker, NVD) plus a generated',
      `OSV corpus (${made.toLocaleString('en')} records in per-ecosystem \`all.zip\` files) imported into a fresh SQLite database in one transaction.`,
      'Targets: 200k records < 60 s, peak RSS < 500 MB.',
      '',
      '| date | machine | records | time | records/s | DB size | peak RSS |',
      '|---|---|---|---|---|---|---|',
      `| ${line.date} | ${line.machine} | ${records.toLocaleString('en')} | ${line.seconds} s | ${line.perSecond.toLocaleString('en')} | ${line.dbMiB} MiB | ${line.peakRssMiB} MiB |`,
      '',
    ].join('\n');
    const re = /## Advisory import\n[\s\S]*?(?=\n## |$)/;
    writeFileSync(readme, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}`);
  }
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
