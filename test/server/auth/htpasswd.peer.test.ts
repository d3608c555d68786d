import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { HtpasswdAuthenticator, parseHtpasswd } from '../../../src/server/auth/htpasswd.js';
import { ServeError } from '../../../src/server/errors.js';
import { runCommand } from '../../support/peers.js';

const IP = '127.0.0.1';
const basic = (user: string, password: string, ip = IP) => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, ip });
const headers = (h: Record<string, string>, ip = IP) => ({ headers: h, ip });

describe('htpasswd authenticator', () => {
  let file: string;
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-htpasswd-'));
    file = join(dir, 'htpasswd');
    // The real tool, as an operator would make the file.
    for (const [i, [user, password]] of [['alice', 'alice-secret'], ['bob', 'b:o:b']].entries()) {
      const made = await runCommand('htpasswd', ['-B', '-C', '4', '-b', ...(i === 0 ? ['-c'] : []), file, user!, password!]);
      assert.equal(made.code, 0, made.stderr);
    }
  });

  test('htpasswd -B entries: right password passes, wrong password and unknown user get the challenge', async () => {
    const auth = await HtpasswdAuthenticator.load(file);
    assert.deepEqual(await auth.authorize(basic('alice', 'alice-secret'), 'push', 'app'), { ok: true, user: 'alice' });
    assert.deepEqual(await auth.authorize(basic('alice', 'alice-secret'), 'push', 'app'), { ok: true, user: 'alice' }, 'remembered');
    assert.deepEqual(await auth.authorize(basic('bob', 'b:o:b'), 'delete', 'app'), { ok: true, user: 'bob' }, 'colons in passwords');
    for (const [request, user] of [[basic('alice', 'wrong'), 'alice'], [basic('mallory', 'alice-secret'), 'mallory']] as const) {
      assert.deepEqual(await auth.authorize(request, 'pull', 'app'), { ok: false, challenge: 'Basic realm="portcullis"', reason: 'invalid', user }, JSON.stringify(request));
    }
    for (const request of [basic('', ''), headers({ authorization: 'Bearer abc' }), headers({ authorization: 'Basic !!!' }), headers({})]) {
      assert.deepEqual(await auth.authorize(request, 'pull', 'app'), { ok: false, challenge: 'Basic realm="portcullis"', reason: 'missing' }, JSON.stringify(request));
    }
    await auth.close();
  });

  test('anonymous pull: only pull without credentials; wrong credentials still refused', async () => {
    const auth = await HtpasswdAuthenticator.load(file, { anonymousPull: true });
    assert.deepEqual(await auth.authorize(headers({}), 'pull', 'app'), { ok: true });
    assert.deepEqual(await auth.authorize(basic('', ''), 'pull', 'app'), { ok: true }, 'skopeo without credentials sends an empty Basic pair');
    assert.equal((await auth.authorize(headers({}), 'pull')).ok, false, '/v2/ still challenges, so clients learn to send credentials');
    assert.deepEqual(await auth.authorize(basic('alice', 'alice-secret'), 'pull'), { ok: true, user: 'alice' });
    assert.equal((await auth.authorize(headers({}), 'push', 'app')).ok, false);
    assert.equal((await auth.authorize(headers({}), 'delete', 'app')).ok, false);
    assert.equal((await auth.authorize(basic('alice', 'nope'), 'pull', 'app')).ok, false);
    await auth.close();
  });

  test('non-bcrypt entries are refused with the line and user named', async () => {
    const md5 = await runCommand('htpasswd', ['-n', '-b', '-m', 'carol', 'pw']);
    assert.throws(
      () => parseHtpasswd(`# operators\n\n${md5.stdout.trim()}\n`, 'users.htpasswd'),
      (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /users\.htpasswd line 3 \(user "carol"\).*bcrypt/.test(e.message),
    );
    assert.throws(() => parseHtpasswd('dave:{SHA}abc='), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
    assert.throws(() => parseHtpasswd('no-colon-here'), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
    await assert.rejects(HtpasswdAuthenticator.load('/nonexistent/htpasswd'), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
  });
});
