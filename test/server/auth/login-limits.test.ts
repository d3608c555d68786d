/**
 * Password checks that cannot take the registry down: bcrypt runs on worker
 * threads, failed logins are limited per user name and per client before
 * any password is checked, and verified credentials are remembered only for
 * a while. The last test floods a real listening registry (cost-12 hashes,
 * real sockets from another loopback address) while a signed-in client keeps
 * working.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { PasswordWorkerPool, PasswordPoolBusy, type PasswordVerifier } from '../../../src/server/auth/password-pool.js';
import { VerifiedCache } from '../../../src/server/auth/verified-cache.js';
import { clientKey } from '../../../src/server/client-address.js';
import { CountingVerifier } from './counting-verifier.js';

const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const login = (user: string, password: string, ip = '192.0.2.1') => ({ headers: { authorization: basicHeader(user, password) }, ip });

describe('password pool', () => {
  test('a cost-12 check runs on another thread: the main thread never calls bcrypt, and its event loop keeps turning', async () => {
    const hash = bcrypt.hashSync('right horse battery', 12);
    const pool = new PasswordWorkerPool({ size: 1 });
    // This thread's bcryptjs now throws: a check that ran here would fail the test.
    const original = { compare: bcrypt.compare, compareSync: bcrypt.compareSync };
    const refuse = (): never => {
      throw new Error('bcrypt ran on the main thread');
    };
    Object.assign(bcrypt, { compare: refuse, compareSync: refuse });
    try {
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const [right, wrong] = await Promise.all([pool.verify('right horse battery', hash), pool.verify('wrong horse', hash)]);
      spinning = false;
      assert.equal(right, true);
      assert.equal(wrong, false);
      // Two cost-12 checks in a row: on this thread the loop could not have turned at all meanwhile.
      assert.ok(turns >= 100, `the event loop turned ${turns} times during the checks`);
    } finally {
      Object.assign(bcrypt, original);
      await pool.close();
    }
  });

  test('a malformed hash is a failed check, not an error; a full queue refuses at once; a closed pool refuses', async () => {
    const pool = new PasswordWorkerPool({ size: 1, maxQueued: 1 });
    try {
      assert.equal(await pool.verify('x', 'not a bcrypt hash'), false);
      const hash = bcrypt.hashSync('pw', 10);
      const first = pool.verify('pw', hash); // runs
      const second = pool.verify('pw', hash); // waits
      await assert.rejects(pool.verify('pw', hash), (e: unknown) => e instanceof PasswordPoolBusy);
      assert.deepEqual(await Promise.all([first, second]), [true, true]);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.verify('pw', 'x'), /closed/);
  });
});

describe('failed-login limits and the verified cache', () => {
  const users = new Map([
    ['alice', bcrypt.hashSync('alice-pw', 4)],
    ['bob', bcrypt.hashSync('bob-pw', 4)],
  ]);
  const pools: PasswordVerifier[] = [];
  after(async () => {
    for (const p of pools) await p.close();
  });
  function make(failures: { perUser?: number; perAddress?: number; windowMs?: number }, clock: { now: number }, ttl?: number) {
    const verifier = new CountingVerifier(new PasswordWorkerPool({ size: 1 }));
    pools.push(verifier);
    const auth = new HtpasswdAuthenticator(users, { failures, verifier, now: () => clock.now, ...(ttl !== undefined ? { verifiedTtlMs: ttl } : {}) });
    return { auth, verifier };
  }

  test('per user: past the limit, 429-worthy answers with Retry-After and no password check, the right password included; the window frees it', async () => {
    const clock = { now: 1_000_000 };
    const { auth, verifier } = make({ perUser: 3, perAddress: 100, windowMs: 60_000 }, clock);
    for (let i = 0; i < 3; i++) assert.equal((await auth.authorize(login('alice', `guess-${i}`, `192.0.2.${i + 1}`), 'pull')).ok, false);
    assert.equal(verifier.checks, 3);
    clock.now += 10_000;
    const limited = await auth.authorize(login('alice', 'alice-pw', '198.51.100.7'), 'pull');
    assert.deepEqual(limited, { ok: false, challenge: 'Basic realm="portcullis"', reason: 'rate-limited', user: 'alice', retryAfterSeconds: 50 });
    assert.equal(verifier.checks, 3, 'no check was run for the limited attempt');
    assert.deepEqual(await auth.authorize(login('bob', 'bob-pw'), 'pull'), { ok: true, user: 'bob' }, 'other users are not limited');
    clock.now += 50_000;
    assert.deepEqual(await auth.authorize(login('alice', 'alice-pw'), 'pull'), { ok: true, user: 'alice' }, 'the window passed');
  });

  test('a pair that was right within the last day is re-checked outside the limits once the cache forgot it; guesses stay limited', async () => {
    const clock = { now: 2_000_000 };
    const { auth, verifier } = make({ perUser: 3, perAddress: 100, windowMs: 3_600_000 }, clock, 60_000);
    assert.deepEqual(await auth.authorize(login('alice', 'alice-pw'), 'pull'), { ok: true, user: 'alice' });
    for (let i = 0; i < 3; i++) assert.equal((await auth.authorize(login('alice', `guess-${i}`, '203.0.113.50'), 'pull')).ok, false);
    clock.now += 120_000; // the verified cache (60 s) has forgotten alice's pair
    const checks = verifier.checks;
    assert.deepEqual(await auth.authorize(login('alice', 'alice-pw'), 'pull'), { ok: true, user: 'alice' }, "alice's own client is not locked out");
    assert.equal(verifier.checks, checks + 1, 'it was checked with bcrypt again');
    const guess = await auth.authorize(login('alice', 'guess-4', '203.0.113.50'), 'pull');
    assert.equal(guess.ok === false && guess.reason, 'rate-limited');
    const newcomer = await auth.authorize(login('alice', 'alice-pw-2'), 'pull');
    assert.equal(newcomer.ok === false && newcomer.reason, 'rate-limited', 'a pair never seen right is limited like any guess');
  });

  test('per client: failures on many names from one address limit it, a success for one user does not reset it; IPv6 counts per /64', async () => {
    const clock = { now: 5_000_000 };
    const { auth, verifier } = make({ perUser: 100, perAddress: 4, windowMs: 300_000 }, clock);
    for (const name of ['carol', 'dave', 'erin']) assert.equal((await auth.authorize(login(name, 'x', '203.0.113.9'), 'pull')).ok, false);
    // The attacker's own valid login from the same address: allowed, and it resets nothing.
    assert.deepEqual(await auth.authorize(login('bob', 'bob-pw', '203.0.113.9'), 'pull'), { ok: true, user: 'bob' });
    assert.equal((await auth.authorize(login('frank', 'x', '203.0.113.9'), 'pull')).ok, false);
    const limited = await auth.authorize(login('grace', 'x', '203.0.113.9'), 'pull');
    assert.equal(limited.ok === false && limited.reason, 'rate-limited');
    assert.equal(limited.ok === false && limited.retryAfterSeconds, 300);
    const checks = verifier.checks;
    assert.equal((await auth.authorize(login('alice', 'alice-pw', '203.0.113.9'), 'pull')).ok, false, 'even a right password is not checked from a limited address');
    assert.equal(verifier.checks, checks);
    assert.deepEqual(await auth.authorize(login('bob', 'bob-pw', '203.0.113.9'), 'pull'), { ok: true, user: 'bob' }, 'a remembered pair is not a guess');
    assert.deepEqual(await auth.authorize(login('alice', 'alice-pw', '203.0.113.10'), 'pull'), { ok: true, user: 'alice' }, 'other addresses are not limited');

    for (let i = 1; i <= 4; i++) await auth.authorize(login(`v6-${i}`, 'x', `2001:db8:1:2::${i}`), 'pull');
    const v6 = await auth.authorize(login('v6-5', 'x', '2001:db8:1:2:ffff:0:0:99'), 'pull');
    assert.equal(v6.ok === false && v6.reason, 'rate-limited', 'another address in the same /64');
    const otherPrefix = await auth.authorize(login('v6-6', 'x', '2001:db8:1:3::1'), 'pull');
    assert.equal(otherPrefix.ok === false && otherPrefix.reason, 'invalid', 'the next /64 is checked');
    assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:0db8:0001:0002:ffff::'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
    assert.equal(clientKey('::ffff:192.0.2.5'), '192.0.2.5');
  });

  test('concurrent guesses: only as many checks as the limit start; the rest are refused at once', async () => {
    const clock = { now: 9_000_000 };
    const { auth, verifier } = make({ perUser: 5, perAddress: 1000, windowMs: 300_000 }, clock);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => auth.authorize(login('alice', `guess-${i}`), 'push', 'app')));
    const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
    assert.equal(reasons.filter((r) => r === 'invalid').length, 5);
    assert.equal(reasons.filter((r) => r === 'rate-limited').length, 35);
    assert.equal(verifier.checks, 5);
    // One pair sent many times at once is one check.
    const { auth: fresh, verifier: counted } = make({}, clock);
    const same = await Promise.all(Array.from({ length: 20 }, () => fresh.authorize(login('bob', 'bob-pw'), 'pull')));
    assert.ok(same.every((r) => r.ok));
    assert.equal(counted.checks, 1);
  });

  test('verified pairs are remembered until the TTL, then checked again; the cache is bounded and keyed by an HMAC', async () => {
    const clock = { now: 0 };
    const { auth, verifier } = make({}, clock, 60_000);
    assert.equal((await auth.authorize(login('alice', 'alice-pw'), 'pull')).ok, true);
    clock.now = 59_999;
    assert.equal((await auth.authorize(login('alice', 'alice-pw'), 'pull')).ok, true);
    assert.equal(verifier.checks, 1);
    clock.now = 60_000;
    assert.equal((await auth.authorize(login('alice', 'alice-pw'), 'pull')).ok, true);
    assert.equal(verifier.checks, 2, 'expired: checked again');

    const cache = new VerifiedCache({ maxEntries: 3, ttlMs: 1000 });
    const keys = ['a', 'b', 'c', 'd'].map((u) => cache.keyOf(u, 'pw'));
    keys.forEach((k, i) => cache.add(k, `user${i}`, 0));
    assert.equal(cache.size, 3);
    assert.equal(cache.get(keys[0]!, 1), undefined, 'the oldest was dropped');
    assert.equal(cache.get(keys[3]!, 1), 'user3');
    assert.notEqual(new VerifiedCache().keyOf('a', 'pw'), new VerifiedCache().keyOf('a', 'pw'), 'a per-process key');
    assert.notEqual(cache.keyOf('a:b', 'c'), cache.keyOf('a', 'b:c'));
  });
});
