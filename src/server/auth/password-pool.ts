/**
 * Password checks (bcrypt from htpasswd files, argon2id for accounts: see
 * password-worker.ts) and argon2id hashing on worker threads, so that a flood
 * of logins cannot stall the event loop: a bcrypt cost-12 check is ~0.3–0.5 s of pure CPU, and on the
 * main thread 100 wrong logins delayed every other request (pulls included)
 * by 7–8 s.
 *
 * Why bcryptjs on `worker_threads` rather than a native library: the native
 * candidate that installs from the npm registry alone (@node-rs/bcrypt, a
 * prebuilt Rust binding) was measured at 1.04–1.35× bcryptjs 3's speed at
 * cost 12 on this project's 2-core machine (`verifySync` 336–413 ms vs
 * `compareSync` 348–524 ms, same run, interleaved) — not worth a platform-
 * specific binary — and its async API runs on libuv's thread pool, which it
 * would then share with every file-system call of the blob store (4 threads
 * by default): a login flood would stall storage instead of the event loop.
 * Our own threads keep both free.
 *
 * Bounded: `size` threads (default: cores − 1, at least 1, at most 4), one
 * check each at a time, and at most `maxQueued` checks waiting; past that
 * `verify` throws PasswordPoolBusy at once (the authenticator answers 429),
 * so a distributed flood costs memory for `maxQueued` jobs, not for every
 * request. Threads start on first use, are unref'd while idle (they never
 * keep a process alive) and are replaced if one dies; a job whose thread died
 * fails (the caller treats that as an error, never as a match).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Verifies a password against a stored hash (bcrypt or argon2id); the authenticators' only view of hashing. */
export interface PasswordVerifier {
  verify(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A verifier that also makes new hashes (argon2id), for accounts. */
export interface PasswordHasher extends PasswordVerifier {
  hash(password: string): Promise<string>;
}

export class PasswordPoolBusy extends Error {
  constructor(readonly queued: number) {
    super(`${queued} password checks are already waiting`);
  }
}

export interface PasswordPoolOptions {
  /** Threads (default: available cores − 1, from 1 to 4). */
  readonly size?: number;
  /** Checks allowed to wait for a thread (default 256). */
  readonly maxQueued?: number;
}

interface Job {
  readonly id: number;
  readonly op: 'verify' | 'hash';
  readonly password: string;
  readonly hash?: string;
  resolve(answer: { ok?: unknown; hash?: unknown; error?: unknown }): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job?: Job;
}

const WORKER_URL = new URL('./password-worker.js', import.meta.url);

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class PasswordWorkerPool implements PasswordHasher {
  readonly #size: number;
  readonly #maxQueued: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: PasswordPoolOptions = {}) {
    this.#size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
    this.#maxQueued = Math.max(0, Math.floor(options.maxQueued ?? 256));
  }

  async verify(password: string, hash: string): Promise<boolean> {
    return (await this.#run('verify', password, hash)).ok === true;
  }

  /** A new argon2id hash (PHC string) of `password`. */
  async hash(password: string): Promise<string> {
    const answer = await this.#run('hash', password);
    if (typeof answer.hash !== 'string') throw new Error(`hashing failed: ${String(answer.error ?? 'no hash')}`);
    return answer.hash;
  }

  #run(op: Job['op'], password: string, hash?: string): Promise<{ ok?: unknown; hash?: unknown; error?: unknown }> {
    if (this.#closed) return Promise.reject(new Error('the password pool is closed'));
    if (this.#queue.length >= this.#maxQueued && !this.#idleSlot()) return Promise.reject(new PasswordPoolBusy(this.#queue.length));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, op, password, ...(hash !== undefined ? { hash } : {}), resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the password pool is closed'));
    await Promise.all(this.#slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  #idleSlot(): Slot | undefined {
    const idle = this.#slots.find((slot) => slot.job === undefined);
    if (idle) return idle;
    return this.#slots.length < this.#size ? this.#spawn() : undefined;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#idleSlot();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, op: job.op, password: job.password, hash: job.hash });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (message: { id?: unknown; ok?: unknown; hash?: unknown; error?: unknown }) => {
      const job = slot.job;
      if (!job || message.id !== job.id) return;
      slot.job = undefined;
      worker.unref();
      job.resolve(message);
      this.#pump();
    });
    const lost = (error: Error): void => {
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      const job = slot.job;
      slot.job = undefined;
      job?.reject(error);
      if (!this.#closed) this.#pump();
    };
    worker.on('error', (error: Error) => lost(error));
    worker.on('exit', (code) => lost(new Error(`a password-check thread exited (code ${code})`)));
    this.#slots.push(slot);
    return slot;
  }
}
