/**
 * The body of one password-pool thread (password-pool.ts): compares a
 * password with a bcrypt hash, synchronously — this thread has nothing else
 * to do — and answers `{ id, ok }`. Anything that throws (a malformed hash)
 * answers false: a check that could not run is a failed check.
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

interface Job {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
}

const port = parentPort;
if (port) {
  port.on('message', (job: Job) => {
    let ok = false;
    try {
      ok = bcrypt.compareSync(job.password, job.hash);
    } catch {
      ok = false;
    }
    port.postMessage({ id: job.id, ok });
  });
}
