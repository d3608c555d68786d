/**
 * The test tiers, and the guard that keeps them honest. One convention, in
 * the file name:
 *
 * - `*.test.ts`: the fast tier (`npm run test:fast`, under a minute). These
 *   run in-process: loopback servers written in the test, our own CLI
 *   in-process or as `node bin/portcullis.js`; no external program, no peer
 *   image, no browser, no database server.
 * - `*.slow.test.ts`: in-process too, but slow by design (inputs of 100,000+
 *   items, login floods, timeouts that must elapse); only in `npm test`.
 * - `*.peer.test.ts`: the peer tier, only in `npm test`: real skopeo,
 *   docker-registry, umoci, notary, PostgreSQL, Swift's S3, Chromium, dpkg,
 *   rpm, Go, openssl, curl, zstd…, and the debootstrap images.
 *
 * Both scripts load this module first (`node --import`, scripts/run-tests.ts).
 * In a test file whose name is not `*.peer.test.js` it makes every way of
 * starting a program (`spawn`, `execFile`, `exec`, their sync forms) throw
 * unless the program is node itself, and `peerTierOnly` (called by the peer
 * helpers) and `missingPeer` throw too. So a test that needs a peer but is
 * not in a peer file fails loudly, in every run and in CI, with the fix in
 * the message: it can neither skip nor slip into `test:fast` unnoticed, and
 * the split cannot rot.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { promisify } from 'node:util';

const FILE = process.argv[1] ?? '';

/** True in a test file of the peer tier (or outside any test file: a script, the REPL). */
export function inPeerTier(file: string = FILE): boolean {
  return !/\.test\.js$/.test(file) || /\.peer\.test\.js$/.test(file);
}

function refusal(what: string): Error {
  return new Error(
    `${basename(FILE)} uses ${what}, a peer: a test file named *.test.ts runs in-process only (npm run test:fast). ` +
      `Move the test into a file named *.peer.test.ts (the peer tier, run by npm test).`,
  );
}

/** Throws in a fast-tier test file: `what` (a program, a peer image, a browser) belongs to the peer tier. */
export function peerTierOnly(what: string): void {
  if (!inPeerTier()) throw refusal(what);
}

function isNode(command: unknown): boolean {
  if (typeof command !== 'string') return false;
  const program = command.trim().split(/\s+/, 1)[0] ?? '';
  return program === process.execPath || basename(program) === 'node';
}

type AnyFunction = (...args: unknown[]) => unknown;

function install(): void {
  const cp = childProcess as unknown as Record<string, AnyFunction & { [promisify.custom]?: AnyFunction }>;
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork']) {
    const original = cp[name];
    if (typeof original !== 'function') continue;
    const check = (args: unknown[]): void => {
      // fork always starts node (a module path is its first argument).
      if (name !== 'fork' && !isNode(args[0])) throw refusal(`the program "${String(args[0]).split(/\s+/, 1)[0]}"`);
    };
    const guarded = function (this: unknown, ...args: unknown[]): unknown {
      check(args);
      return original.apply(this, args);
    } as AnyFunction & { [promisify.custom]?: AnyFunction };
    const custom = original[promisify.custom];
    if (typeof custom === 'function') {
      // promisify(execFile) resolves { stdout, stderr } through this symbol: keep it, guarded.
      guarded[promisify.custom] = (...args: unknown[]) => {
        check(args);
        return custom(...args);
      };
    }
    cp[name] = guarded;
  }
  syncBuiltinESMExports();
}

if (!inPeerTier()) install();
