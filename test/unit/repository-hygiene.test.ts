/**
 * What a reviewer would otherwise have to notice by eye, checked on every
 * tracked kind of file the project writes (README, docs/, bench/, examples/,
 * scripts/, src/, test/):
 * - no merge-conflict markers left behind (a merge once left one in
 *   bench/README.md for a day);
 * - no TypeScript file over 400 lines (the project's rule for modules with
 *   one job; split by job, not by line count);
 * - no path of this machine (the workspace or the peers' image cache): tests
 *   and docs say `../shared/…` or ask the peer scripts for paths.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

const ROOTS = ['README.md', 'docs', 'bench', 'examples', 'scripts', 'src', 'test'];
const TEXT = /\.(ts|md|json|yaml|yml|sh|txt|html|css)$/;
const MAX_TS_LINES = 400;

function files(path: string): string[] {
  const out: string[] = [];
  const stack = [path];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (statSync(at).isDirectory()) {
      for (const name of readdirSync(at)) if (name !== 'node_modules' && !name.startsWith('.')) stack.push(join(at, name));
    } else if (TEXT.test(at)) {
      out.push(at);
    }
  }
  return out;
}

const ALL = ROOTS.flatMap((root) => files(join(REPO_ROOT, root)));

test('no merge-conflict markers', () => {
  const found: string[] = [];
  for (const file of ALL) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^(<{7}|>{7}) /.test(line)) found.push(`${relative(REPO_ROOT, file)}:${i + 1}`);
    });
  }
  assert.deepEqual(found, []);
});

test(`no TypeScript file over ${MAX_TS_LINES} lines`, () => {
  const long = ALL.filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: relative(REPO_ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_TS_LINES)
    .map((f) => `${f.file}: ${f.lines}`);
  assert.deepEqual(long, []);
});

test('no path of this machine', () => {
  // Written so that this file does not contain the paths it looks for.
  const machine = new RegExp(`\\/(${['work\\/', 'tmp\\/peers-'].join('|')})`);
  const found = ALL.filter((f) => machine.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO_ROOT, f));
  assert.deepEqual(found, []);
});
