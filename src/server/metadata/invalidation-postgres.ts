/**
 * The invalidation bus (invalidation.ts) of several processes on one
 * PostgreSQL database: `LISTEN`/`NOTIFY` on a channel of the registry's
 * schema (`portcullis_cache_<hash of the schema>`, so registries in other
 * schemas of the database never hear each other), on one connection of its
 * own that nothing else borrows (a pooled connection would stop listening
 * when returned). PostgreSQL delivers a notification to every session
 * listening when the notifying statement commits, in order; a session that
 * was not connected then never gets it.
 *
 * Hence what a lost connection means: changes may have been missed. The bus
 * then tells its listeners `everything` at once (they drop their caches),
 * stops `listening` (caches neither answer nor keep anything), reconnects
 * with a growing delay (100 ms to 5 s), and once it listens again tells them
 * `everything` again (what came between was not heard). A change published
 * while the connection is down waits (at most MAX_PENDING, beyond which they
 * collapse into one `everything`) and is sent once connected.
 *
 * Messages from this process come back too (NOTIFY reaches its own session):
 * each carries a random origin id, and this process's own are skipped, its
 * listeners having been told when it published.
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { ServeError } from '../errors.js';
import { decodeInvalidation, encodeInvalidation, InvalidationListeners, type Invalidation, type InvalidationBus, type InvalidationListener } from '../invalidation.js';
import type { RegistryLog } from '../log.js';
import { DEFAULT_SCHEMA, quoteSchema, type PostgresOptions } from './component-postgres.js';

/** Changes kept while disconnected; past this they are one `everything` (the others forget all anyway). */
const MAX_PENDING = 256;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;
const EVERYTHING: Invalidation = { kind: 'everything' };
/** What a cached answer may outlive a change by when that change's notification was lost (its publisher died before sending it). */
export const KEEP_AT_MOST_MS = 30_000;

/** The channel of a schema: lower-case and short, so it needs no quoting and fits PostgreSQL's 63-byte names. */
export function invalidationChannel(schema: string): string {
  return `portcullis_cache_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
}

export class PostgresInvalidationBus implements InvalidationBus {
  readonly #options: PostgresOptions;
  readonly #log: RegistryLog;
  readonly #channel: string;
  readonly #origin = randomUUID();
  readonly #listeners: InvalidationListeners;
  #client: pg.Client | undefined;
  #pending: string[] = [];
  #flushing = false;
  #closed = false;
  #retryMs = FIRST_RETRY_MS;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: PostgresOptions, log: RegistryLog) {
    this.#options = options;
    this.#log = log;
    const schema = options.schema ?? DEFAULT_SCHEMA;
    quoteSchema(schema);
    this.#channel = invalidationChannel(schema);
    this.#listeners = new InvalidationListeners((error) => log.error({ event: 'error', err: error }, 'cache invalidation listener failed'));
  }

  /** Connects and listens; a database that cannot be reached now is a start-up error (CONFIG_INVALID). */
  static async open(target: PostgresOptions | string, log: RegistryLog): Promise<PostgresInvalidationBus> {
    const bus = new PostgresInvalidationBus(typeof target === 'string' ? { connectionString: target } : target, log);
    try {
      await bus.#connect();
    } catch (error) {
      throw new ServeError('CONFIG_INVALID', `cache invalidation (PostgreSQL): cannot listen: ${(error as Error).message}`);
    }
    return bus;
  }

  readonly keepAtMostMs = KEEP_AT_MOST_MS;

  get listening(): boolean {
    return this.#client !== undefined;
  }

  publish(change: Invalidation): void {
    this.#listeners.tell(change);
    if (this.#closed) return;
    if (this.#pending.length >= MAX_PENDING) this.#pending = [encodeInvalidation(EVERYTHING, this.#origin)];
    this.#pending.push(encodeInvalidation(change, this.#origin));
    void this.#flush();
  }

  subscribe(listener: InvalidationListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    // What is still pending is sent first when the connection is up: the last changes of a stopping process count too.
    if (client) {
      await this.#send(client).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ ...this.#options.pool, application_name: 'portcullis-invalidation', ...(this.#options.connectionString ? { connectionString: this.#options.connectionString } : {}) });
    client.on('notification', (message) => {
      if (message.channel !== this.#channel || this.#client !== client) return;
      const { origin, change } = decodeInvalidation(message.payload ?? '');
      if (origin === this.#origin) return;
      this.#listeners.tell(change);
      this.#log.debug({ event: 'invalidation', ...change }, 'cache invalidation from another process');
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#retryMs = FIRST_RETRY_MS;
    // Whatever was published elsewhere before this LISTEN is unknown here.
    this.#listeners.tell(EVERYTHING);
    void this.#flush();
  }

  #lost(client: pg.Client, error: Error | undefined): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#listeners.tell(EVERYTHING);
    if (this.#closed) return;
    this.#log.warn({ event: 'invalidation', state: 'disconnected', ...(error ? { err: error } : {}) }, 'cache invalidation: lost the PostgreSQL connection; caches are off until it is back');
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    if (this.#closed || this.#timer) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect().then(
        () => this.#log.info({ event: 'invalidation', state: 'connected' }, 'cache invalidation: listening again'),
        () => this.#reconnectLater(),
      );
    }, delay);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      // Looked at again after each round: a change published while one was being sent is sent too.
      for (;;) {
        const client = this.#client;
        if (!client || this.#pending.length === 0) return;
        await this.#send(client);
      }
    } catch {
      // The connection's own error handler reconnects; what was not sent stays pending.
    } finally {
      this.#flushing = false;
    }
  }

  /** Sends pending messages in order, each removed once PostgreSQL took it. */
  async #send(client: pg.Client): Promise<void> {
    while (this.#pending.length > 0) {
      await client.query('SELECT pg_notify($1, $2)', [this.#channel, this.#pending[0]]);
      this.#pending.shift();
    }
  }
}
