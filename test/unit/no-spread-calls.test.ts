/**
 * No call in src/ spreads an array into arguments (`a.push(...b)`,
 * `Math.max(...xs)`, `f(...list)`): V8 puts every element on the stack and
 * throws "Maximum call stack size exceeded" past ~100,000 of them, which a
 * hostile layer, SBOM or VEX file reaches easily (130,000 package.json files
 * once turned a scan into "0 packages"). Use `appendAll`/`maxOf`/`minOf` from
 * src/core/arrays.ts or a loop. Array and object literals (`[...a, ...b]`,
 * `{...o}`) are fine: they do not use the stack. The one exception is
 * forwarding a function's own rest parameter (`(...args) => run(mod,
 * ...args)`), whose length is whatever its caller passed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { appendAll, maxOf, minOf } from '../../src/core/arrays.js';
import { REPO_ROOT } from '../support/paths.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** True when `name` is a rest parameter of a function enclosing `node`. */
function isEnclosingRestParameter(node: ts.Node, name: string): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isFunctionLike(at)) {
      for (const p of at.parameters) if (p.dotDotDotToken && ts.isIdentifier(p.name) && p.name.text === name) return true;
    }
  }
  return false;
}

function spreadCalls(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const stack: ts.Node[] = [source];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ts.isSpreadElement(node) && (ts.isCallExpression(node.parent) || ts.isNewExpression(node.parent))) {
      const forwarded = ts.isIdentifier(node.expression) && isEnclosingRestParameter(node, node.expression.text);
      if (!forwarded) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${relative(REPO_ROOT, file)}:${line + 1}: ${node.parent.getText(source).split('\n')[0]!.slice(0, 100)}`);
      }
    }
    node.forEachChild((child) => {
      stack.push(child);
    });
  }
  return found;
}

test('no call in src/ spreads an array into its arguments', () => {
  const files = sourceFiles(join(REPO_ROOT, 'src'));
  assert.ok(files.length > 100, 'expected to find the source files');
  const found = files.flatMap(spreadCalls);
  assert.deepEqual(found, []);
});

test('the checker finds what it forbids (so the test above can fail)', () => {
  const probe = join(REPO_ROOT, 'test', 'unit', 'no-spread-calls.test.ts');
  const found = spreadCalls(probe).map((f) => f.replace(/^.*?:\d+: /, ''));
  assert.deepEqual(found.sort(), ['[0].push(...big)', 'target.push(...source)']);
});

// Parsed, never run: the checker must flag this call (and the deliberate one in the next test).
export function SPREAD_PROBE(target: number[], source: number[]): void {
  target.push(...source);
}

test('appendAll, maxOf and minOf hold input-sized arrays that a spread cannot', () => {
  const big = Array.from({ length: 500_000 }, (_v, i) => i);
  assert.throws(() => [0].push(...big), RangeError);
  const target = [-1];
  assert.equal(appendAll(target, big), target);
  assert.equal(target.length, 500_001);
  assert.equal(target[500_000], 499_999);
  assert.equal(maxOf(big, -1), 499_999);
  assert.equal(minOf(big, -1), 0);
  assert.equal(maxOf([], -1), -1);
  assert.equal(minOf([], Infinity), Infinity);
});
