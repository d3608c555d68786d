/**
 * The module boundaries of docs/architecture.md, checked on every source
 * file. The "Modules" table there is the one source: for each module its
 * public entries and the modules it may import. An import of a module not in
 * the importer's list fails here, and so does an import (type-only included)
 * of a file of another module that is not one of that module's entries.
 * The table itself must keep the fixed rules: catalog and vuln never import
 * each other, trust and sbom never import `http` (nor, file by file, a
 * network module), nothing imports the CLI, and the allowed imports form no
 * cycle. After go-containerregistry's pkg/registry/depcheck_test.go.
 *
 * Imports are read with TypeScript's own pre-processor (static and dynamic
 * imports, `export … from`, `import('…')` types), not a regular expression,
 * so comments and strings cannot hide or fake one.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from '../support/paths.js';

interface ModuleRule {
  /** Paths inside the module, e.g. `index.ts`, `auth/index.ts`. */
  readonly entries: readonly string[];
  readonly mayImport: readonly string[];
}

type ModuleTable = ReadonlyMap<string, ModuleRule>;

const NETWORK_MODULES = ['node:http', 'node:https', 'node:net', 'node:tls', 'node:dgram', 'node:http2', 'undici'];
/** Modules that never do network I/O: they may not import `http` nor a network module. */
const OFFLINE_MODULES = ['trust', 'sbom'];
const FORBIDDEN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['catalog', 'vuln'],
  ['vuln', 'catalog'],
];

/**
 * The rows of the table under "## Modules": `| \`name/\` | job | entries | may import |`.
 * In the entries cell every backticked token is an entry path; in the last
 * cell every backticked token is a module name, or the cell says "nothing".
 */
export function parseModuleTable(markdown: string): ModuleTable {
  const section = /^## Modules\n([\s\S]*?)(?=^## )/m.exec(markdown)?.[1];
  assert.ok(section, 'docs/architecture.md has a "## Modules" section');
  const table = new Map<string, ModuleRule>();
  for (const line of section.split('\n')) {
    const row = /^\|\s*`([a-z-]+)\/`\s*\|(.*)\|\s*$/.exec(line);
    if (!row) continue;
    const cells = row[2]!.split(/(?<!\\)\|/);
    assert.equal(cells.length, 3, `row ${row[1]}: expected the columns job | public entries | may import`);
    const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const entries = ticks(cells[1]!);
    for (const entry of entries) assert.match(entry, /^[a-z0-9/-]+\.ts$/, `row ${row[1]}: "${entry}" in the entries column is not an entry path`);
    const mayImport = ticks(cells[2]!);
    if (mayImport.length === 0) assert.match(cells[2]!, /^\s*nothing\b/, `row ${row[1]}: the may-import column lists modules in backticks, or says "nothing"`);
    assert.ok(!table.has(row[1]!), `row ${row[1]} appears twice`);
    table.set(row[1]!, { entries, mayImport });
  }
  return table;
}

/** The problems with the table itself: unknown names, the fixed rules, cycles. */
export function tableProblems(table: ModuleTable): string[] {
  const problems: string[] = [];
  for (const [name, rule] of table) {
    for (const target of rule.mayImport) {
      if (!table.has(target)) problems.push(`${name} may import "${target}", which is not a module of the table`);
      if (target === name) problems.push(`${name} lists itself`);
      if (target === 'cli') problems.push(`${name} may import cli: nothing imports the CLI`);
      if (FORBIDDEN_PAIRS.some(([a, b]) => a === name && b === target)) problems.push(`${name} may import ${target}: catalog and vuln meet in core types only`);
      if (OFFLINE_MODULES.includes(name) && target === 'http') problems.push(`${name} may import http: ${name} does no network I/O`);
    }
  }
  // No cycle in the allowed imports (depth-first, iterative; the table has a dozen rows).
  const state = new Map<string, 'open' | 'done'>();
  for (const start of table.keys()) {
    if (state.has(start)) continue;
    const stack: Array<{ name: string; next: number }> = [{ name: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const targets = table.get(top.name)?.mayImport ?? [];
      if (top.next >= targets.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const target = targets[top.next++]!;
      if (!table.has(target)) continue;
      if (state.get(target) === 'open') problems.push(`the allowed imports have a cycle: ${[...stack.map((s) => s.name), target].join(' → ')}`);
      else if (!state.has(target)) {
        state.set(target, 'open');
        stack.push({ name: target, next: 0 });
      }
    }
  }
  return problems;
}

export interface SourceFile {
  /** Path inside src/, with `/`, e.g. `engine/scan.ts`. */
  readonly path: string;
  readonly text: string;
}

/** Every import, export-from, dynamic import and import type of a file. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The problems with the code: imports of modules not allowed, of other modules' internals, of the network where it must not be. */
export function importViolations(files: readonly SourceFile[], table: ModuleTable): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const from = file.path.split('/')[0]!;
    const rule = table.get(from);
    if (!rule) {
      violations.push(`${file.path}: folder "${from}" has no row in the Modules table`);
      continue;
    }
    for (const specifier of importsOf(file.text)) {
      if (OFFLINE_MODULES.includes(from) && NETWORK_MODULES.includes(specifier)) {
        violations.push(`${file.path} imports ${specifier}: ${from} does no network I/O`);
      }
      if (!specifier.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(file.path), specifier)).replace(/\.js$/, '.ts');
      if (target.startsWith('../')) continue; // outside src/ (package.json, data files)
      const to = target.split('/')[0]!;
      if (to === from) continue;
      if (!rule.mayImport.includes(to)) {
        violations.push(`${file.path} imports ${specifier}: ${from} may not import ${to}`);
        continue;
      }
      const inside = target.slice(to.length + 1);
      const entries = table.get(to)?.entries ?? [];
      if (!entries.includes(inside)) {
        violations.push(`${file.path} imports ${specifier}: ${target} is not a public entry of ${to} (${entries.join(', ')})`);
      }
    }
  }
  return violations;
}

const SRC = join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const TABLE = parseModuleTable(readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8'));

describe('the Modules table of docs/architecture.md', () => {
  test('has a row for every folder of src/ and a folder for every row', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory()).sort();
    assert.deepEqual([...TABLE.keys()].sort(), folders);
  });

  test('names entries that exist, index.ts first, and an entry for every module but the CLI', () => {
    const problems: string[] = [];
    for (const [name, rule] of TABLE) {
      if (name === 'cli') {
        if (rule.entries.length > 0) problems.push('cli lists entries: nothing imports the CLI');
        continue;
      }
      if (rule.entries[0] !== 'index.ts') problems.push(`${name}: the first entry must be index.ts, not ${rule.entries[0] ?? 'none'}`);
      for (const entry of rule.entries) if (!existsSync(join(SRC, name, entry))) problems.push(`${name}/${entry} is listed but does not exist`);
    }
    assert.deepEqual(problems, []);
  });

  test('keeps the fixed rules and allows no cycle', () => {
    assert.deepEqual(tableProblems(TABLE), []);
  });
});

describe('imports across modules', () => {
  test('every module imports only the modules its row allows, and only their public entries', () => {
    const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }));
    assert.ok(files.length > 100, 'expected to find the source files');
    assert.deepEqual(importViolations(files, TABLE), []);
  });

  test('every allowed import is used (a row lists what its module imports, no more)', () => {
    const used = new Map<string, Set<string>>();
    for (const path of sourceFiles(SRC)) {
      const from = relative(SRC, path).split(sep)[0]!;
      for (const specifier of importsOf(readFileSync(path, 'utf8'))) {
        if (!specifier.startsWith('.')) continue;
        const target = resolve(dirname(path), specifier);
        if (!target.startsWith(SRC + sep)) continue;
        const to = relative(SRC, target).split(sep)[0]!;
        if (to !== from) (used.get(from) ?? used.set(from, new Set()).get(from)!).add(to);
      }
    }
    const unused = [...TABLE].flatMap(([name, rule]) => rule.mayImport.filter((m) => !used.get(name)?.has(m)).map((m) => `${name} → ${m}`));
    assert.deepEqual(unused, []);
  });
});

describe('the checker itself', () => {
  const table = parseModuleTable(`## Modules

| folder | job | public entries | may import |
|---|---|---|---|
| \`core/\` | vocabulary | \`index.ts\`, \`errors.ts\` (the base class) | nothing |
| \`http/\` | fetcher | \`index.ts\` | \`core\` |
| \`image/\` | images | \`index.ts\`, \`all.ts\` | \`core\`, \`http\` |
| \`trust/\` | keys | \`index.ts\` | \`core\` |
| \`layers/\` | tar | \`index.ts\` | \`core\`, \`image\` |
| \`catalog/\` | packages | \`index.ts\` | \`core\` |
| \`vuln/\` | advisories | \`index.ts\` | \`core\`, \`http\` |
| \`cli/\` | commands | none | \`core\`, \`image\`, \`trust\` |

## Next
`);

  test('reads entries and allowed imports from the table', () => {
    assert.deepEqual(table.get('core'), { entries: ['index.ts', 'errors.ts'], mayImport: [] });
    assert.deepEqual(table.get('layers'), { entries: ['index.ts'], mayImport: ['core', 'image'] });
    assert.equal(table.size, 8);
    assert.deepEqual(tableProblems(table), []);
  });

  test('fails on a module the row does not allow (layers importing trust), in any import form', () => {
    const forms = [
      `import { KeyStore } from '../trust/index.js';`,
      `import type { KeyStore } from '../trust/index.js';`,
      `export { KeyStore } from '../trust/index.js';`,
      `const m = await import('../trust/index.js');`,
      `let s: import('../trust/index.js').KeyStore;`,
    ];
    for (const text of forms) {
      assert.deepEqual(importViolations([{ path: 'layers/walk.ts', text }], table), [`layers/walk.ts imports ../trust/index.js: layers may not import trust`], text);
    }
  });

  test('fails on a file of another module that is not an entry, type-only imports included', () => {
    const text = `import type { RegistryClient } from '../../image/transports/docker/client.js';\nimport { defaultTransports } from '../../image/all.js';\nimport { CoreError } from '../../core/errors.js';`;
    assert.deepEqual(importViolations([{ path: 'layers/x/y.ts', text }], table), [
      'layers/x/y.ts imports ../../image/transports/docker/client.js: image/transports/docker/client.ts is not a public entry of image (index.ts, all.ts)',
    ]);
  });

  test('lets files of one module import each other, and ignores comments and strings', () => {
    const text = `import { walk } from './walk.js';\nimport { x } from '../layers/merge.js';\n// import { k } from '../trust/keys/store.js';\nconst s = "import('../trust/index.js')";`;
    assert.deepEqual(importViolations([{ path: 'layers/view.ts', text }], table), []);
  });

  test('fails on a network module in trust, and on a folder without a row', () => {
    const table2 = new Map([...table, ['sbom', { entries: ['index.ts'], mayImport: ['core'] }]]);
    assert.deepEqual(importViolations([{ path: 'trust/tuf/fetch.ts', text: `import { request } from 'undici';` }], table2), ['trust/tuf/fetch.ts imports undici: trust does no network I/O']);
    assert.deepEqual(importViolations([{ path: 'sbom/x.ts', text: `import { get } from 'node:https';` }], table2), ['sbom/x.ts imports node:https: sbom does no network I/O']);
    assert.deepEqual(importViolations([{ path: 'gc/run.ts', text: '' }], table), ['gc/run.ts: folder "gc" has no row in the Modules table']);
  });

  test('finds the fixed rules broken and cycles in a table', () => {
    const bad = new Map<string, ModuleRule>([
      ['core', { entries: ['index.ts'], mayImport: [] }],
      ['http', { entries: ['index.ts'], mayImport: ['core'] }],
      ['trust', { entries: ['index.ts'], mayImport: ['core', 'http'] }],
      ['catalog', { entries: ['index.ts'], mayImport: ['core', 'vuln'] }],
      ['vuln', { entries: ['index.ts'], mayImport: ['core', 'engine'] }],
      ['engine', { entries: ['index.ts'], mayImport: ['vuln', 'cli'] }],
      ['cli', { entries: [], mayImport: ['engine'] }],
    ]);
    assert.deepEqual(tableProblems(bad).sort(), [
      'catalog may import vuln: catalog and vuln meet in core types only',
      'engine may import cli: nothing imports the CLI',
      'the allowed imports have a cycle: catalog → vuln → engine → cli → engine',
      'the allowed imports have a cycle: catalog → vuln → engine → vuln',
      'trust may import http: trust does no network I/O',
    ]);
  });
});
