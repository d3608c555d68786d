/**
 * Zip reading: our two readers against yauzl (a devDependency kept for this
 * figure), in the same run.
 *
 * 1. An OSV-like `all.zip`: every OSV record of ../shared/vulndata/osv, five
 *    times over under different folders (≈41,000 small entries, as the
 *    larger OSV ecosystems have), every entry read whole:
 *    src/vuln/sources/zip.ts (central directory read once, one native
 *    inflateRawSync per entry) vs yauzl (openReadStream per entry), and the
 *    central directory alone.
 * 2. A jar-like archive in memory (20,000 class-file-sized entries plus a
 *    pom.properties and a manifest), of which only those two are read:
 *    src/catalog/lang/java.ts (`parseJavaArchive`: fflate unzipSync with a
 *    filter) vs yauzl.fromBuffer reading the same two entries.
 *
 *   npx tsx bench/zip.ts           # BENCH_RUNS (default 3, best kept)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { zipSync } from 'fflate';
import yauzl from 'yauzl';
import { parseJavaArchive } from '../src/catalog/lang/java.js';
import { openZip, zipEntries } from '../src/vuln/sources/zip.js';
import { VULNDATA } from '../test/support/paths.js';
import { fastestOf } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const best = (fn: () => Promise<unknown> | unknown): Promise<number> => fastestOf(RUNS, fn);

function records(dir: string, out: Record<string, Uint8Array>, prefix = ''): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) records(path, out, `${prefix}${name}/`);
    else if (/\.(json|ya?ml)$/.test(name)) out[`${prefix}${name}`] = readFileSync(path);
  }
}

function yauzlOpen(open: (cb: (err: Error | null, zip: yauzl.ZipFile) => void) => void): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => open((err, zip) => (err ? reject(err) : resolve(zip))));
}

/** Every entry (or only those `want` accepts) read whole with yauzl; resolves to the bytes read. */
async function yauzlRead(zip: yauzl.ZipFile, want: (name: string) => boolean, directoryOnly = false): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    zip.on('entry', (entry: yauzl.Entry) => {
      if (directoryOnly || !want(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        stream.on('data', (c: Buffer) => (bytes += c.length));
        stream.on('end', () => zip.readEntry());
        stream.on('error', reject);
      });
    });
    zip.on('end', () => {
      zip.close();
      resolve(bytes);
    });
    zip.on('error', reject);
    zip.readEntry();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-zip-'));
try {
  const osv: Record<string, Uint8Array> = {};
  records(join(VULNDATA, 'osv'), osv);
  const all: Record<string, Uint8Array> = {};
  for (let k = 0; k < 5; k++) for (const [name, data] of Object.entries(osv)) all[`${k}/${name}`] = data;
  const path = join(dir, 'all.zip');
  writeFileSync(path, zipSync(all, { level: 6 }));
  const entries = Object.keys(all).length;
  const ours = await best(async () => {
    let n = 0;
    for await (const e of zipEntries(path, () => true)) if ('data' in e) n += e.data.length;
    return n;
  });
  const theirs = await best(async () => yauzlRead(await yauzlOpen((cb) => yauzl.open(path, { lazyEntries: true }, cb)), () => true));
  const oursDir = await best(async () => openZip(path)?.close());
  const theirsDir = await best(async () => yauzlRead(await yauzlOpen((cb) => yauzl.open(path, { lazyEntries: true }, cb)), () => true, true));

  const jar: Record<string, Uint8Array> = {
    'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\r\nImplementation-Title: bench\r\nImplementation-Version: 1.0\r\n\r\n'),
    'META-INF/maven/org.example/bench/pom.properties': new TextEncoder().encode('groupId=org.example\nartifactId=bench\nversion=1.0\n'),
  };
  for (let i = 0; i < 20_000; i++) jar[`org/example/bench/C${i}.class`] = randomBytes(600);
  const jarBytes = zipSync(jar, { level: 6 });
  const wanted = (name: string): boolean => name === 'META-INF/MANIFEST.MF' || name.endsWith('pom.properties');
  const oursJar = await best(async () => parseJavaArchive(jarBytes, 'bench.jar'));
  const theirsJar = await best(async () => yauzlRead(await yauzlOpen((cb) => yauzl.fromBuffer(Buffer.from(jarBytes), { lazyEntries: true }, cb)), wanted));

  const row = (what: string, a: number, b: number): string => `| ${what} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b / a).toFixed(1)}× |`;
  console.log(`| case | ours | yauzl 3.4 | yauzl / ours |`);
  console.log('| --- | --- | --- | --- |');
  console.log(row(`all.zip, ${entries.toLocaleString('en')} entries (${(statSync(path).size / 2 ** 20).toFixed(1)} MiB), every entry read`, ours, theirs));
  console.log(row('all.zip, central directory only', oursDir, theirsDir));
  console.log(row(`jar in memory, 20,002 entries (${(jarBytes.length / 2 ** 20).toFixed(1)} MiB), pom.properties + manifest read`, oursJar, theirsJar));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
