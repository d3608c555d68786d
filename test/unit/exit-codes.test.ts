/**
 * Every error code a module can throw maps to a documented exit code, and
 * docs/exit-codes.md names it: a new code that falls through to 70
 * ("internal error, please report") is a bug in the table, caught here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode, exitCodeFor } from '../../src/cli/exit-codes.js';
import { REPO_ROOT } from '../support/paths.js';

/** Programming errors (a duplicate registration, a nested transaction): a bug, so 70 is right. */
const INTERNAL_BY_DESIGN = new Set([
  'CATALOGER_DUPLICATE',
  'CATALOGER_UNKNOWN',
  'SCHEME_DUPLICATE',
  'TRANSACTION_NESTED',
  'RULE_DUPLICATE',
  'REPORT_FORMAT_DUPLICATE',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function declaredCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sourceFiles(join(REPO_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/export type (\w*ErrorCode)\s*=([^;]+);/g)) {
      for (const literal of (match[2] ?? '').matchAll(/'([A-Z][A-Z0-9_]+)'/g)) codes.set(literal[1] as string, file.slice(REPO_ROOT.length + 1));
    }
  }
  return codes;
}

test('every declared error code has an exit code and a line in docs/exit-codes.md', () => {
  const codes = declaredCodes();
  assert.ok(codes.size > 50, `found only ${codes.size} codes`);
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'exit-codes.md'), 'utf8');
  const unmapped: string[] = [];
  const undocumented: string[] = [];
  for (const [code, file] of codes) {
    if (INTERNAL_BY_DESIGN.has(code)) continue;
    if (exitCodeFor(code) === ExitCode.Internal) unmapped.push(`${code} (${file})`);
    else if (!docs.includes(`\`${code}\``) && !(code.startsWith('LAYER_') && docs.includes('`LAYER_*`'))) undocumented.push(code);
  }
  assert.deepEqual(unmapped, [], 'codes that would exit 70');
  assert.deepEqual(undocumented, [], 'codes missing from docs/exit-codes.md');
});

test('every exit code has its row in docs/exit-codes.md and its number in the top-level --help', () => {
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'exit-codes.md'), 'utf8');
  const help = readFileSync(join(REPO_ROOT, 'src', 'cli', 'program.ts'), 'utf8');
  for (const [name, code] of Object.entries(ExitCode)) {
    assert.match(docs, new RegExp(`^\\| ${code} \\| `, 'm'), `${name} (${code}) has no row`);
    if (code > 1) assert.match(help, new RegExp(`\\b${code} [a-z]`), `${name} (${code}) is not in the --help exit code line`);
  }
  assert.equal(ExitCode.Incomplete, 12);
});
