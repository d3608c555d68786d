/**
 * A real PostgreSQL for tests: a throwaway cluster made with Debian's
 * postgresql-15 binaries (initdb + pg_ctl) in a temp folder, listening on
 * 127.0.0.1 on a free port with trust auth, fsync off, deleted on stop. Why
 * not the packaged service: tests must not depend on or disturb a system
 * cluster, and files running in parallel each get their own. initdb refuses
 * to run as root, so as root the cluster is made and run as the `postgres`
 * user (`runuser`), owning the temp folder.
 *
 * `PORTCULLIS_TEST_PG_URL` (a role that may CREATE DATABASE) reuses a server
 * instead; `PORTCULLIS_TEST_PG_BIN` points at other binaries.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './peers.js';

const run = promisify(execFile);

export interface PostgresPeer {
  /** A URL to the cluster's `postgres` database. */
  readonly url: string;
  /**
   * Creates an empty database and returns its URL. `icuLocale` (e.g. `en-US`)
   * makes a natural-language default collation (where `a` < `B`), to prove
   * that ordering does not depend on the database's locale.
   */
  createDatabase(options?: { icuLocale?: string }): Promise<string>;
  /** Drops the databases it created; stops and deletes the cluster if it started one. */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresPeer> {
  const given = process.env.PORTCULLIS_TEST_PG_URL;
  const cluster = given ? undefined : await startCluster();
  const url = given ?? cluster?.url ?? '';
  const created: string[] = [];
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    async createDatabase(options = {}) {
      const name = `portcullis_test_${process.pid}_${created.length}_${Date.now().toString(36)}`;
      const icu = options.icuLocale;
      if (icu !== undefined && !/^[A-Za-z0-9-]+$/.test(icu)) throw new Error(`bad ICU locale ${icu}`);
      const locale = icu === undefined ? '' : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icu}' LOCALE 'C'`;
      await admin((client) => client.query(`CREATE DATABASE ${name}${locale}`));
      created.push(name);
      const target = new URL(url);
      target.pathname = `/${name}`;
      return target.toString();
    },
    async stop() {
      try {
        if (given) await admin(async (client) => {
          for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        });
      } finally {
        await cluster?.stop();
      }
    },
  };
}

interface Cluster {
  readonly url: string;
  stop(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const bin = process.env.PORTCULLIS_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  if (!existsSync(join(bin, 'initdb'))) {
    throw new Error(`PostgreSQL binaries not found in ${bin}: apt-get install -y --no-install-recommends postgresql (or set PORTCULLIS_TEST_PG_URL)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = async (file: string, args: string[]): Promise<void> => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, file), ...args]] : [join(bin, file), args];
    await run(cmd, argv, { maxBuffer: 1 << 22, timeout: 120_000 });
  };
  if (asRoot) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '-N']);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    try {
      await as('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        async stop() {
          await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error; // most likely the port was taken between freePort and the bind: try another
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`cannot start PostgreSQL in ${dir}: ${String(lastError)}`);
}

/** A database for a whole test file, and a fresh schema name for each store a test opens. */
export interface PostgresForFile {
  /** The database's URL (valid once the file's `before` hook has run). */
  url(): string;
  /** `t_<random>`: a schema no other test uses. */
  schema(): string;
}

/**
 * Registers the file's before/after hooks: a throwaway PostgreSQL (or
 * PORTCULLIS_TEST_PG_URL's) and one database in it, by default with an ICU
 * en-US collation so no test depends on byte order by accident; stopped after
 * the file. What every component store's contract file starts with.
 */
export function postgresForFile(options: { icuLocale?: string } = { icuLocale: 'en-US' }): PostgresForFile {
  let peer: PostgresPeer | undefined;
  let database = '';
  before(async () => {
    peer = await startPostgres();
    database = await peer.createDatabase(options);
  });
  after(async () => {
    await peer?.stop();
  });
  return { url: () => database, schema: () => `t_${randomBytes(5).toString('hex')}` };
}
