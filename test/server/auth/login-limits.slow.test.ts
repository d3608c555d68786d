/**
 * Password checks that cannot take the registry down: bcrypt runs on worker
 * threads, failed logins are limited per user name and per client before
 * any password is checked, and verified credentials are remembered only for
 * a while. The last test floods a real listening registry (cost-12 hashes,
 * real sockets from another loopback address) while a signed-in client keeps
 * working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { PasswordWorkerPool } from '../../../src/server/auth/password-pool.js';
import { CountingVerifier } from './counting-verifier.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { captureLog, type CapturedLog } from '../../support/registry-log.js';

const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('a login flood against a listening registry', () => {
  const COST = 12;
  let registry: PortcullisRegistry;
  let captured: CapturedLog;
  let verifier: CountingVerifier;
  let auth: HtpasswdAuthenticator;

  before(async () => {
    captured = captureLog('info');
    verifier = new CountingVerifier(new PasswordWorkerPool());
    auth = new HtpasswdAuthenticator(
      new Map([
        ['alice', bcrypt.hashSync('alice-long-secret', COST)],
        ['bob', bcrypt.hashSync('bob-long-secret', COST)],
      ]),
      { verifier },
    );
    registry = await startPortcullisRegistry({ auth, log: captured.log });
  });
  after(async () => {
    await registry?.close();
    await auth?.close();
  });

  test('100 concurrent wrong logins at cost 12: a signed-in client keeps working, a new user signs in, 90 guesses get 429 with Retry-After and cost nothing', async () => {
    // Real sockets: the guesser from 127.0.0.2, the clients from 127.0.0.1.
    const guesser = new Agent({ connections: 50, localAddress: '127.0.0.2' });
    const clients = new Agent({ connections: 4, localAddress: '127.0.0.1' });
    try {
      const get = async (agent: Agent, user: string, password: string) => {
        const res = await request(`${registry.url}/v2/`, { dispatcher: agent, headers: { authorization: basicHeader(user, password) } });
        return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.text() };
      };
      // Alice signed in before the flood (her client is in the middle of a push, say).
      assert.equal((await get(clients, 'alice', 'alice-long-secret')).status, 200);
      const checksBefore = verifier.checks;

      let flooding = true;
      const aliceAnswers: number[] = [];
      const alice = (async () => {
        while (flooding || aliceAnswers.length < 5) aliceAnswers.push((await get(clients, 'alice', 'alice-long-secret')).status);
      })();
      const guesses = Promise.all(Array.from({ length: 100 }, (_, i) => get(guesser, 'alice', `guess-${i}`)));
      // Bob signs in for the first time while the guesses are being answered.
      const bob = get(clients, 'bob', 'bob-long-secret');
      const answers = await guesses;
      flooding = false;
      await alice;

      assert.equal((await bob).status, 200, 'a first login during the flood succeeds');
      assert.ok(aliceAnswers.length >= 5);
      assert.deepEqual([...new Set(aliceAnswers)], [200], 'every request of the signed-in client succeeded');
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(answers.filter((a) => a.status === 401).length, 10, 'the per-user limit (10) of guesses were checked');
      assert.equal(refused.length, 90);
      for (const r of refused) {
        assert.match(String(r.retryAfter), /^\d+$/);
        assert.ok(Number(r.retryAfter) >= 1 && Number(r.retryAfter) <= 300, String(r.retryAfter));
        assert.equal((JSON.parse(r.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'TOOMANYREQUESTS');
      }
      assert.equal(verifier.checks - checksBefore, 10 + 1, 'bcrypt ran for the 10 checked guesses and bob, not for the refused ones');
      const limitedLines = captured.events('auth.failed').filter((l) => l.reason === 'rate-limited');
      assert.equal(limitedLines.length, 90);
      assert.equal(limitedLines[0]?.user, 'alice');
      assert.equal(limitedLines[0]?.ip, '127.0.0.2');
      assert.equal(captured.events('auth.failed').filter((l) => l.reason === 'invalid').length, 10);
    } finally {
      await guesser.close();
      await clients.close();
    }
  });
});
