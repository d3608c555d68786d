/**
 * The test runner behind `npm test` and `npm run test:fast` (run after the
 * build, from the repository root):
 *
 *   node dist/scripts/run-tests.js --fast        # every test/**\/*.test.ts but *.peer.test.ts and *.slow.test.ts
 *   node dist/scripts/run-tests.js --all         # every test file, the peer tier included
 *   node dist/scripts/run-tests.js --all --coverage   # the same under c8; then the coverage floor
 *   node dist/scripts/run-tests.js --fast test/http   # only the files under these paths
 *
 * The files come from the sources (test/), not from dist/, so a test renamed
 * or deleted since the last build never runs from a stale compiled copy. Every
 * file runs with `--import dist/test/support/tier-guard.js`, which makes a
 * fast-tier file that starts a peer fail (see that module). With --coverage,
 * the run is wrapped in c8 (V8 coverage, mapped back to src/*.ts through the
 * source maps); the figure is lines % of src/, and scripts/coverage-floor.ts
 * fails the run when it drops below the floor in coverage-floor.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCoverageFloor } from './coverage-floor.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function testSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testSources(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

function usage(message: string): never {
  process.stderr.write(`run-tests: ${message}\nusage: node dist/scripts/run-tests.js --fast|--all [--coverage] [test paths…]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const tier = args.includes('--fast') ? 'fast' : args.includes('--all') ? 'all' : usage('say --fast or --all');
const coverage = args.includes('--coverage');
const paths = args.filter((a) => !a.startsWith('--'));
const roots = paths.length > 0 ? paths.map((p) => resolve(ROOT, p)) : [join(ROOT, 'test')];

const sources = roots
  .flatMap((r) => (r.endsWith('.test.ts') ? [r] : testSources(r)))
  .filter((f) => tier === 'all' || !/\.(peer|slow)\.test\.ts$/.test(f))
  .sort();
if (sources.length === 0) usage(`no test files under ${paths.join(', ') || 'test/'}`);
const compiled = sources.map((f) => join(ROOT, 'dist', relative(ROOT, f)).replace(/\.ts$/, '.js'));
const missing = compiled.filter((f) => !existsSync(f));
if (missing.length > 0) usage(`not built (run npm run build): ${missing.slice(0, 3).map((f) => relative(ROOT, f)).join(', ')}${missing.length > 3 ? ', …' : ''}`);

const nodeArgs = ['--import', join(ROOT, 'dist', 'test', 'support', 'tier-guard.js'), '--test', '--test-concurrency=2', ...compiled];
const command = coverage ? [join(ROOT, 'node_modules', 'c8', 'bin', 'c8.js'), '--config', join(ROOT, '.c8rc.json'), process.execPath, ...nodeArgs] : nodeArgs;
process.stderr.write(`run-tests: ${sources.length} files (${tier === 'fast' ? 'fast tier: in-process, neither *.peer nor *.slow' : 'all tiers'}${coverage ? ', with coverage' : ''})\n`);
const started = Date.now();
const run = spawnSync(process.execPath, command, { cwd: ROOT, stdio: 'inherit' });
const seconds = ((Date.now() - started) / 1000).toFixed(0);
let status = run.status ?? 1;
process.stderr.write(`run-tests: ${tier} tier, ${sources.length} files, ${seconds} s${coverage ? ' (with coverage)' : ''}, exit ${status}\n`);
if (coverage && status === 0) status = checkCoverageFloor(ROOT) ? 0 : 1;
process.exit(status);
