/**
 * The import direction of docs/architecture.md, checked on every source file:
 * an arrow that points up (core importing image, the engine importing the
 * CLI, catalog and vuln importing each other, trust reaching the network or
 * the fetcher) fails here. After go-containerregistry's depcheck test.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

const RANK: Record<string, number> = {
  core: 0,
  // The fetcher every downloader uses: above core, below everything that downloads; never trust.
  http: 0.5,
  image: 1,
  vuln: 1,
  trust: 1,
  sbom: 1,
  layers: 2,
  report: 2,
  catalog: 3,
  hygiene: 3,
  engine: 4,
  server: 5,
  // The CLI is the outermost layer: `serve` starts the server; nothing imports the CLI.
  cli: 6,
};
const FORBIDDEN_PAIRS: ReadonlyArray<[string, string]> = [
  ['catalog', 'vuln'],
  ['vuln', 'catalog'],
  ['server', 'cli'],
  ['trust', 'http'],
  ['sbom', 'http'],
];
const NETWORK_MODULES = ['node:http', 'node:https', 'node:net', 'node:tls', 'node:dgram', 'undici'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) specifiers.push((match[1] ?? match[2]) as string);
  return specifiers;
}

const SRC = join(REPO_ROOT, 'src');
const topFolder = (file: string): string => relative(SRC, file).split(sep)[0] ?? '';

test('every internal import points down the layer order', () => {
  const violations: string[] = [];
  const files = sourceFiles(SRC);
  assert.ok(files.length > 10, 'expected to find the source files');
  for (const file of files) {
    const from = topFolder(file);
    const fromRank = RANK[from];
    if (fromRank === undefined) {
      violations.push(`${relative(REPO_ROOT, file)}: folder "${from}" is not in the layer table`);
      continue;
    }
    for (const specifier of importsOf(file)) {
      if (from === 'trust' && NETWORK_MODULES.includes(specifier)) {
        violations.push(`${relative(REPO_ROOT, file)} imports ${specifier}: trust does no network I/O`);
      }
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(SRC + sep)) continue;
      const to = topFolder(target);
      if (to === from) continue;
      const toRank = RANK[to];
      if (toRank === undefined || toRank >= fromRank || FORBIDDEN_PAIRS.some(([a, b]) => a === from && b === to)) {
        violations.push(`${relative(REPO_ROOT, file)} imports ${specifier} (${from} → ${to})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
