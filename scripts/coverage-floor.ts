/**
 * The coverage floor: after a run under c8 (`node dist/scripts/run-tests.js
 * --all --coverage`, what .ci/run does), prints the lines % of src/ and fails
 * when it is below the floor stored in coverage-floor.json. The floor only
 * goes up: when the figure rises, raise the file to a little under it in the
 * same change (the message says so), and never lower it to let a change
 * through — add the tests instead.
 *
 *   node dist/scripts/coverage-floor.js      # reads coverage/coverage-summary.json
 */
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Summary {
  readonly total: { readonly lines: { readonly pct: number; readonly covered: number; readonly total: number } };
}

/** True when the figure is at or above the floor; prints both. */
export function checkCoverageFloor(root: string): boolean {
  const summary = JSON.parse(readFileSync(join(root, 'coverage', 'coverage-summary.json'), 'utf8')) as Summary;
  const floor = (JSON.parse(readFileSync(join(root, 'coverage-floor.json'), 'utf8')) as { lines: number }).lines;
  const { pct, covered, total } = summary.total.lines;
  process.stderr.write(`coverage: src/ lines ${pct.toFixed(2)} % (${covered} of ${total}); floor ${floor.toFixed(2)} % (coverage-floor.json)\n`);
  if (pct < floor) {
    process.stderr.write(`coverage: below the floor by ${(floor - pct).toFixed(2)} points: add tests for what changed (the floor is never lowered)\n`);
    return false;
  }
  if (pct - floor >= 1) process.stderr.write(`coverage: ${(pct - floor).toFixed(2)} points above the floor: raise coverage-floor.json to ${Math.floor(pct * 2) / 2 - 0.5} in this change\n`);
  return true;
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.exit(checkCoverageFloor(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')) ? 0 : 1);
}
