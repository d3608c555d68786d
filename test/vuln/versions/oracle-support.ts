/**
 * Helpers for the property tests against the real tools: a seeded PRNG,
 * realistic random version pairs for dpkg and rpm, and runners that feed
 * pairs to the oracles in ../shared/peers (vercmp.sh) in batches.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PEERS } from '../../support/paths.js';

export type Rng = () => number;

/** mulberry32: small, fast, good enough to spread test inputs; same seed → same pairs. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PORTCULLIS_SEED when set (to replay a failure), otherwise a fresh one. */
export function pickSeed(): number {
  const env = process.env.PORTCULLIS_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;

const WORDS = ['rc', 'beta', 'alpha', 'pre', 'dfsg', 'ds', 'git', 'svn', 'b', 'a', 'p', 'build', 'nmu', 'deb', 'ubuntu', 'el', 'fc', 'Z', 'XYZ'];

function number(r: Rng): string {
  const n = pick(r, ['0', '1', '2', '9', '10', '11', '01', '007', '20240101', '100', '3', '4', '12', '99']);
  return chance(r, 0.8) ? n : String(int(r, 1000));
}
function word(r: Rng): string {
  return chance(r, 0.8) ? pick(r, WORDS) : String.fromCharCode(97 + int(r, 26)) + (chance(r, 0.3) ? String.fromCharCode(65 + int(r, 26)) : '');
}

// A run of segments: numbers and words joined by separators from `seps`.
function segments(r: Rng, seps: readonly string[], max: number): string {
  let out = number(r);
  const n = int(r, max);
  for (let i = 0; i < n; i++) {
    const sep = pick(r, seps);
    out += sep + (chance(r, 0.6) ? number(r) : word(r));
    if (chance(r, 0.2)) out += number(r);
  }
  return out;
}

// Change one small thing, so that pairs share prefixes and comparisons go deep.
function mutate(r: Rng, v: string, alphabet: readonly string[]): string {
  const i = int(r, v.length + 1);
  switch (int(r, 6)) {
    case 0:
      return v.slice(0, i) + pick(r, alphabet) + v.slice(i);
    case 1:
      return v.length > 1 ? v.slice(0, i) + v.slice(i + 1) : v + pick(r, alphabet);
    case 2:
      return v + pick(r, alphabet) + number(r);
    case 3:
      return v.replace(/[0-9]+/, (d) => (chance(r, 0.5) ? `0${d}` : String(Number(d) + 1)));
    case 4:
      return v.replace(/[a-zA-Z]+/, (w) => word(r) || w);
    default:
      return v;
  }
}

export function dpkgVersion(r: Rng): string {
  const epoch = chance(r, 0.2) ? `${pick(r, ['0', '1', '2', '10', '01'])}:` : '';
  let upstream = segments(r, ['.', '.', '.', '+', '~', '~', ''], 5);
  if (chance(r, 0.15)) upstream += `~${word(r)}${number(r)}`;
  if (chance(r, 0.1)) upstream += `+${word(r)}${number(r)}`;
  const revision = chance(r, 0.6) ? segments(r, ['.', '+', '~', ''], 3) : '';
  // A hyphen inside the upstream version is allowed only when there is a revision.
  if (revision && chance(r, 0.1)) upstream += `-${number(r)}`;
  return `${epoch}${upstream}${revision ? `-${revision}` : ''}`;
}

const DPKG_ALPHABET = ['~', '+', '.', 'a', 'Z', '0', '1', '9'];
export function dpkgPair(r: Rng): [string, string] {
  const a = dpkgVersion(r);
  if (chance(r, 0.3)) return [a, dpkgVersion(r)];
  if (chance(r, 0.05)) return [a, a];
  const [head, rev] = a.includes('-') ? [a.slice(0, a.lastIndexOf('-')), a.slice(a.lastIndexOf('-'))] : [a, ''];
  // Mutate the revision or the version part, keeping the pair valid.
  let b = chance(r, 0.3) && rev ? head + '-' + mutate(r, rev.slice(1), DPKG_ALPHABET).replace(/-/g, '') : mutate(r, head, DPKG_ALPHABET) + rev;
  if (chance(r, 0.1)) b = b.replace(/^[0-9]+:/, '') === b ? `1:${b}` : b.replace(/^[0-9]+:/, '');
  return [a, sanitizeDpkg(b) ?? a];
}

// Keep only versions dpkg accepts without warnings (Policy's syntax).
function sanitizeDpkg(v: string): string | undefined {
  const m = /^(?:([0-9]+):)?(.+?)(?:-([^-]+))?$/.exec(v);
  if (!m) return undefined;
  const upstream = m[2]!;
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(upstream) || (upstream.includes('-') && m[3] === undefined)) return undefined;
  if (m[3] !== undefined && !/^[A-Za-z0-9.+~]+$/.test(m[3])) return undefined;
  return v;
}

export function rpmVersion(r: Rng): string {
  const epoch = chance(r, 0.15) ? `${pick(r, ['0', '1', '2', '01', ''])}:` : '';
  let version = segments(r, ['.', '.', '.', '_', '+', '~', '^', ''], 5);
  if (chance(r, 0.15)) version += `~${word(r)}${number(r)}`;
  if (chance(r, 0.15)) version += `^${pick(r, ['git', '', '2024'])}${number(r)}`;
  const release = chance(r, 0.7) ? `${segments(r, ['.', '_', '~', '^', '+', ''], 3)}${chance(r, 0.3) ? `.el${int(r, 10)}${chance(r, 0.3) ? `_${int(r, 5)}` : ''}` : ''}` : '';
  return `${epoch}${version}${release ? `-${release}` : ''}`;
}

const RPM_ALPHABET = ['~', '^', '.', '_', '+', 'a', 'Z', '0', '1', '-', '%'];
export function rpmPair(r: Rng): [string, string] {
  const a = rpmVersion(r);
  if (chance(r, 0.3)) return [a, rpmVersion(r)];
  if (chance(r, 0.05)) return [a, a];
  let b = mutate(r, a, RPM_ALPHABET);
  if (chance(r, 0.1)) b = /^[0-9]*:/.test(b) ? b.replace(/^[0-9]*:/, '') : `0:${b}`;
  if (chance(r, 0.1)) b = b.includes('-') ? b.slice(0, b.lastIndexOf('-')) : `${b}-1`;
  return [a, b === '' ? '0' : b];
}

/** Runs a command with `input` on stdin; resolves with stdout, rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(0, 2000)}`))));
    child.stdin.end(input);
  });
}

function parseResults(out: string, expected: number, who: string): number[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== expected) throw new Error(`${who} printed ${lines.length} results for ${expected} pairs`);
  return lines.map((l) => Number(l.trim()));
}

const pairsText = (pairs: readonly (readonly [string, string])[]): string => pairs.map(([a, b]) => `${a} ${b}\n`).join('');

/**
 * `vercmp.sh KIND -` over all pairs, split into `batches` processes run in
 * parallel (the dpkg oracle spawns dpkg per pair; rpm uses one process).
 */
export async function vercmp(kind: 'dpkg' | 'rpm', pairs: readonly (readonly [string, string])[], batches = 1): Promise<number[]> {
  const script = join(PEERS, 'vercmp.sh');
  const size = Math.ceil(pairs.length / batches);
  const chunks: (readonly (readonly [string, string])[])[] = [];
  for (let i = 0; i < pairs.length; i += size) chunks.push(pairs.slice(i, i + size));
  const outs = await Promise.all(chunks.map((c) => run('bash', [script, kind, '-'], pairsText(c)).then((o) => parseResults(o, c.length, `vercmp.sh ${kind}`))));
  return outs.flat();
}

export const parallelism = (): number => Math.max(2, availableParallelism());

/**
 * Debian's Dpkg::Version (libdpkg-perl, built from the dpkg source package
 * and used by dpkg-dev's tools): one process for any number of pairs.
 */
export async function dpkgPerl(pairs: readonly (readonly [string, string])[]): Promise<number[]> {
  const script = 'use Dpkg::Version qw(version_compare); while (<STDIN>) { my ($a, $b) = split; print version_compare($a, $b) <=> 0, "\\n"; }';
  return parseResults(await run('perl', ['-e', script], pairsText(pairs)), pairs.length, 'perl Dpkg::Version');
}
