/**
 * A login flood against a listening registry: 100 concurrent wrong logins at
 * bcrypt cost 12 (from 127.0.0.2) while a signed-in client (127.0.0.1, its
 * credentials already verified) keeps sending `GET /v2/` one after another.
 * Reports the signed-in client's median and worst latency during the flood,
 * against the same client's latency with no flood in the same run, for:
 *   - "main thread": bcryptjs's async compare on the event loop, no limits
 *     (what `serve` did before);
 *   - "worker pool + limits": what it does now (defaults: 10 per user).
 * `npm run build && node dist/bench/login-flood.js` (compiled, not through
 * tsx: the pool's worker thread loads its compiled file beside the pool).
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { HtpasswdAuthenticator } from '../src/server/auth/htpasswd.js';
import type { PasswordVerifier } from '../src/server/auth/password-pool.js';
import { startPortcullisRegistry } from '../test/support/registry-server.js';
import { median } from './stats.js';

const COST = 12;
const GUESSES = 100;
const header = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const mainThread: PasswordVerifier = { verify: (password, hash) => bcrypt.compare(password, hash), close: async () => undefined };


async function scenario(name: string, options: { verifier?: PasswordVerifier; failures?: { perUser: number; perAddress: number } }): Promise<void> {
  const users = new Map([['alice', bcrypt.hashSync('alice-long-secret', COST)]]);
  const auth = new HtpasswdAuthenticator(users, options);
  const registry = await startPortcullisRegistry({ auth });
  const guesser = new Agent({ connections: 50, localAddress: '127.0.0.2' });
  // Below the server's 1,000 requests per connection, so the client reconnects before the server closes on it.
  const client = new Agent({ connections: 1, localAddress: '127.0.0.1', maxRequestsPerClient: 500 });
  const ask = async (agent: Agent, password: string): Promise<number> => {
    const started = performance.now();
    const res = await request(`${registry.url}/v2/`, { dispatcher: agent, headers: { authorization: header('alice', password) } });
    await res.body.dump();
    if (agent === client && res.statusCode !== 200) throw new Error(`the signed-in client got ${res.statusCode}`);
    return performance.now() - started;
  };
  try {
    // Warm-up (JIT, connection), then the quiet reference.
    for (let i = 0; i < 3000; i++) await ask(client, 'alice-long-secret');
    const quiet: number[] = [];
    for (let i = 0; i < 1000; i++) quiet.push(await ask(client, 'alice-long-secret'));
    let flooding = true;
    const during: number[] = [];
    const floodStart = performance.now();
    const flood = Promise.all(Array.from({ length: GUESSES }, (_, i) => ask(guesser, `guess-${i}`))).then(() => {
      flooding = false;
    });
    while (flooding) during.push(await ask(client, 'alice-long-secret'));
    await flood;
    const floodMs = performance.now() - floodStart;
    const q = median(quiet);
    const d = median(during);
    console.log(
      `| ${name} | ${q.toFixed(2)} ms | ${d.toFixed(2)} ms | ${Math.max(...during).toFixed(0)} ms | ${(d / q).toFixed(1)}× | ${during.length} | ${(floodMs / 1000).toFixed(1)} s |`,
    );
  } finally {
    await guesser.close();
    await client.close();
    await registry.close();
    await auth.close();
  }
}

console.log(`${GUESSES} wrong logins at cost ${COST}; ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`);
console.log('| checks | signed-in median, quiet | median during flood | worst during flood | ratio | requests answered during flood | flood answered in |');
console.log('|---|---|---|---|---|---|---|');
if (process.env.BENCH_ONLY !== 'now') await scenario('main thread (before)', { verifier: mainThread, failures: { perUser: 1_000_000, perAddress: 1_000_000 } });
await scenario('worker pool + limits (now)', {});
