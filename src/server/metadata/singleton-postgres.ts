/**
 * The singleton jobs' locks (singletons.ts) on PostgreSQL: session-level
 * advisory locks (`pg_try_advisory_lock`) on one connection of their own,
 * never a pooled one: a session lock lives as long as the session, so it
 * must be held by a connection nothing else borrows, and it is released by
 * the server when that connection ends — a clean stop, or a process killed
 * with `kill -9` whose socket the kernel closes. Keyed like every lock we
 * take (component-postgres.ts): the class "port" and a hash of
 * `singleton:<job>:<schema>`, so registries in different schemas of one
 * database do not exclude each other.
 *
 * A connection that drops while a job runs loses its locks with it: another
 * process may start the job before this one notices. The jobs are made to
 * bear that (garbage collection deletes only under its own lease, gc/lease.ts;
 * purging and pulling are idempotent); the next lock is taken on a new
 * connection.
 */
import pg from 'pg';
import type { ExclusiveLocks } from '../singletons.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, quoteSchema, type PostgresOptions } from './component-postgres.js';

export class PostgresLocks implements ExclusiveLocks {
  readonly #options: PostgresOptions;
  readonly #schema: string;
  #client: Promise<pg.Client> | undefined;

  constructor(target: PostgresOptions | string) {
    this.#options = typeof target === 'string' ? { connectionString: target } : target;
    this.#schema = this.#options.schema ?? DEFAULT_SCHEMA;
    quoteSchema(this.#schema);
  }

  async tryLock(name: string): Promise<boolean> {
    const client = await this.#connection();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [LOCK_CLASS, this.#key(name)]);
    return rows[0]?.locked === true;
  }

  async unlock(name: string): Promise<void> {
    const client = await this.#connection();
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, this.#key(name)]);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }

  #key(name: string): string {
    return `singleton:${name}:${this.#schema}`;
  }

  /** The locks' own connection, made again after it failed or ended. */
  #connection(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const client = new pg.Client({ ...this.#options.pool, ...(this.#options.connectionString ? { connectionString: this.#options.connectionString } : {}) });
      const forget = (): void => {
        if (this.#client === made) this.#client = undefined;
      };
      client.on('error', forget);
      client.on('end', forget);
      await client.connect();
      return client;
    })();
    const made = this.#client;
    made.catch(() => {
      if (this.#client === made) this.#client = undefined;
    });
    return made;
  }
}
