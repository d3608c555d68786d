/**
 * SBOM serialisation: 10,000 packages to CycloneDX 1.6 JSON (through
 * @cyclonedx/cyclonedx-library) and SPDX 2.3 JSON (by hand), each against a
 * reference measured in the same run — `JSON.stringify` of the same inventory
 * with the same indentation — so the figure says how much the format costs
 * over writing the data at all. Median of ROUNDS runs after one warm-up.
 * Writes the result into the `## SBOM serialisation` section of bench/README.md
 * (other sections are left as they are).
 * Run: npx tsx bench/sbom.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toCycloneDxJson } from '../src/sbom/cyclonedx.js';
import { toSpdxJson } from '../src/sbom/spdx.js';
import { DEBIAN_IMAGE, largeInventory } from '../test/sbom/fixtures.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { median } from './stats.js';

const PACKAGES = 10_000;
const ROUNDS = 5;
const SECTION = '## SBOM serialisation';


function measure(run: () => string): { ms: number; bytes: number } {
  let bytes = run().length; // warm-up
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    bytes = run().length;
    times.push(performance.now() - start);
  }
  return { ms: median(times), bytes };
}

function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node.js ${process.version}`;
}

/** Replaces (or adds) our section, leaving the rest of the file as it is. */
function writeSection(body: string): string {
  const path = join(REPO_ROOT, 'bench', 'README.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const section = `${SECTION}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${SECTION}\n`);
  let out: string;
  if (start < 0) {
    out = `${text.replace(/\s*$/, '')}\n\n${section}`;
  } else {
    const rest = text.slice(start + SECTION.length);
    const next = rest.search(/\n## /);
    out = text.slice(0, start) + section + (next < 0 ? '' : `\n${rest.slice(next + 1)}`);
  }
  writeFileSync(path, out);
  return path;
}

function main(): void {
  const inventory = largeInventory(PACKAGES);
  const options = { image: DEBIAN_IMAGE, space: 2 };
  const reference = measure(() => JSON.stringify(inventory, null, 2));
  const cdx = measure(() => toCycloneDxJson(inventory, { ...options, serialNumber: 'urn:uuid:00000000-0000-4000-8000-000000000000', timestamp: new Date(0) }));
  const spdx = measure(() => toSpdxJson(inventory, { ...options, created: new Date(0), documentNamespace: 'https://spdx.org/spdxdocs/bench' }));
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
  const row = (name: string, r: { ms: number; bytes: number }): string =>
    `| ${name} | ${r.ms.toFixed(0)} ms | ${mb(r.bytes)} MiB | ${(r.ms / reference.ms).toFixed(1)}× |`;
  const table = [
    '| output | median time | size | vs reference |',
    '|---|---|---|---|',
    row('`JSON.stringify(inventory)` (reference)', reference),
    row('CycloneDX 1.6 JSON', cdx),
    row('SPDX 2.3 JSON', spdx),
  ].join('\n');
  console.log(table);
  const date = new Date().toISOString().slice(0, 10);
  const body = [
    `${PACKAGES.toLocaleString('en')} packages (Debian and npm alternately, with layers, licences, source packages, npm dependencies), serialised with 2-space indentation; median of ${ROUNDS} runs after a warm-up; the reference is \`JSON.stringify\` of the same inventory in the same run. \`npx tsx bench/sbom.ts\`.`,
    '',
    table,
    '',
    `Measured ${date} on ${machine()}.`,
  ].join('\n');
  console.log(`written to ${writeSection(body)}`);
}

main();
