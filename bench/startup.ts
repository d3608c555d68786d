/**
 * Start-up cost per command: how long `node bin/portcullis.js …` takes for
 * commands that do little work on the bundled example image, against
 * `node -e 0` in the same run (the floor any command pays), and how many of
 * our modules and of our dependencies' each one loads (counted with a
 * loader hook: deterministic, unlike the times). With BENCH_BASELINE set to
 * another built checkout (e.g. `git worktree add /tmp/base main && cd
 * /tmp/base && npm ci && npm run build`), both are run alternately and the
 * ratio printed: what a change of module boundaries costs each command.
 *
 * Times are medians of BENCH_RUNS (default 11) runs: wall time as seen from
 * here, and the process's CPU time (user + system, from process.cpuUsage at
 * exit), which moves less when other jobs share the machine.
 * Run: npm run build && npx tsx bench/startup.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../test/support/paths.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const TREES = [process.env.BENCH_BASELINE, REPO_ROOT].filter((t): t is string => t !== undefined && t !== '').map((t) => resolve(t));

const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const DB = join(work, 'advisories.sqlite');
const HOOKS = join(work, 'hooks.mjs');
const COUNT = join(work, 'count.mjs');
const CPU = join(work, 'cpu.mjs');
const LOADED = join(work, 'loaded.txt');
const TIMES = join(work, 'times.txt');

// One advisory (lodash, which the example image holds), so that `scan` runs to the end.
const OSV = { id: 'GHSA-p6mc-m468-83gw', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2020-8203'], affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.19' }] }] }], database_specific: { severity: 'HIGH' } };

const COMMANDS: ReadonlyArray<readonly [string, readonly string[] | undefined]> = [
  ['node -e 0', undefined],
  ['--version', ['--version']],
  ['--help', ['--help']],
  ['scan --help', ['scan', '--help']],
  ['inspect', ['inspect', 'oci:examples/hello:latest']],
  ['cat', ['cat', 'oci:examples/hello:latest', '/etc/os-release']],
  ['sbom', ['sbom', 'oci:examples/hello:latest']],
  ['scan', ['scan', 'oci:examples/hello:latest', '--db', DB]],
  ['lint', ['lint', 'oci:examples/hello:latest']],
  ['lint --explain', ['lint', '--explain', 'image/runs-as-root']],
  ['db status', ['db', 'status', '--db', DB]],
  ['key list', ['key', 'list']],
  ['cache info', ['cache', 'info']],
  ['verify (fails: not a registry image)', ['verify', 'oci:examples/hello:latest']],
  ['serve (fails: bad flag)', ['serve', '--metadata', 'nope']],
];


function run(tree: string, args: readonly string[] | undefined, preload: string, extraEnv: NodeJS.ProcessEnv = {}): number {
  const argv = args === undefined ? ['-e', '0'] : [join(tree, 'bin', 'portcullis.js'), ...args];
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, ['--import', preload, ...argv], { cwd: tree, stdio: 'ignore', env: { ...process.env, HOME: work, PORTCULLIS_DB: DB, ...extraEnv } });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
  writeFileSync(HOOKS, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(LOADED)}, url + '\\n'); return next(url, context); }\n`);
  writeFileSync(COUNT, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${HOOKS}`)});\n`);
  writeFileSync(CPU, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.cpuUsage(); writeFileSync(${JSON.stringify(TIMES)}, String((u.user + u.system) / 1000)); });\n`);
  const osvDir = join(work, 'osv');
  mkdirSync(osvDir);
  writeFileSync(join(osvDir, `${OSV.id}.json`), JSON.stringify(OSV));
  spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'portcullis.js'), 'db', 'import', '-q', osvDir, '--db', DB], { stdio: 'ignore' });

  const modules = new Map<string, string>();
  for (const tree of TREES) {
    for (const [name, args] of COMMANDS) {
      rmSync(LOADED, { force: true });
      run(tree, args, COUNT);
      const urls = existsSync(LOADED) ? readFileSync(LOADED, 'utf8').trim().split('\n') : []; // node -e 0 loads no module
      const own = urls.filter((u) => u.includes('/dist/src/')).length;
      const deps = urls.filter((u) => u.includes('/node_modules/')).length;
      modules.set(`${tree} ${name}`, `${own} + ${deps}`);
    }
  }
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of COMMANDS) {
      for (const tree of i % 2 === 0 ? TREES : [...TREES].reverse()) {
        const key = `${tree} ${name}`;
        (wall.get(key) ?? wall.set(key, []).get(key)!).push(run(tree, args, CPU));
        (cpu.get(key) ?? cpu.set(key, []).get(key)!).push(Number(readFileSync(TIMES, 'utf8')));
      }
    }
  }
  const floor = (tree: string) => median(cpu.get(`${tree} node -e 0`) ?? []);
  const heads = TREES.map((t, i) => (TREES.length > 1 ? (i === 0 ? 'baseline' : 'this checkout') : 'this checkout'));
  console.log(`| command | ${heads.map((h) => `${h}: wall ms, CPU ms, CPU vs node -e 0, modules (ours + deps)`).join(' | ')}${TREES.length > 1 ? ' | CPU vs baseline |' : ' |'}`);
  console.log(`|---|${heads.map(() => '---').join('|')}|${TREES.length > 1 ? '---|' : ''}`);
  for (const [name] of COMMANDS) {
    const cells = TREES.map((tree) => {
      const key = `${tree} ${name}`;
      const c = median(cpu.get(key) ?? []);
      return `${median(wall.get(key) ?? []).toFixed(0)}, ${c.toFixed(0)}, ${(c / floor(tree)).toFixed(2)}×, ${modules.get(key)}`;
    });
    const ratio = TREES.length > 1 ? ` ${(median(cpu.get(`${TREES[1]} ${name}`) ?? []) / median(cpu.get(`${TREES[0]} ${name}`) ?? [])).toFixed(3)} |` : '';
    console.log(`| ${name} | ${cells.join(' | ')} |${ratio}`);
  }
}

try {
  main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
