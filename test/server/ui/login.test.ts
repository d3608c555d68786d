/**
 * The UI's sign-in form over a real HtpasswdAuthenticator (the same
 * `authenticate` the API uses, with its failure limits), driven with
 * `inject`: the form token (double submit) is checked before any password,
 * wrong then right passwords, the lockout after too many failures, a new
 * session id at every sign-in (a planted or previous id is worth nothing),
 * cookie attributes (HttpOnly, SameSite=Strict, Path=/ui, Secure over TLS),
 * sign-out with its own token, idle expiry, and the `next` parameter never
 * leaving the UI. The browser flow is in login.peer.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import type { PasswordVerifier } from '../../../src/server/auth/password-pool.js';
import type { AccessControl } from '../../../src/server/services.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { FORMS_CONTENT_SECURITY_POLICY, uiPlugin } from '../../../src/server/ui/plugin.js';
import type { SessionOptions } from '../../../src/server/ui/session.js';

const HASH = bcrypt.hashSync('s3cret', 4);
let work: string;
let store: SqliteMetadataStore;

/** bcrypt on this thread, counted: a refused form never reaches it. */
class Verifier implements PasswordVerifier {
  checks = 0;
  async verify(password: string, hash: string): Promise<boolean> {
    this.checks++;
    return bcrypt.compareSync(password, hash);
  }
  async close(): Promise<void> {}
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-ui-login-'));
  store = new SqliteMetadataStore(join(work, 'metadata.db'));
});

after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

async function app(options: { sessions?: SessionOptions; trustProxy?: boolean; perUser?: number } = {}): Promise<{ app: FastifyInstance; verifier: Verifier }> {
  const verifier = new Verifier();
  const auth = new HtpasswdAuthenticator(new Map([['alice', HASH]]), { verifier, failures: { perUser: options.perUser ?? 100, perAddress: 1000, windowMs: 60_000 } });
  const fastify = Fastify({ trustProxy: options.trustProxy ?? false });
  await fastify.register(uiPlugin({ metadata: store, auth, ...(options.sessions ? { sessions: options.sessions } : {}) }));
  return { app: fastify, verifier };
}

/** `name=value` of a Set-Cookie line, and its attributes. */
function cookie(response: LightMyRequestResponse, name: string): { value: string; attributes: string } | undefined {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const line = lines.find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split('; ');
  return { value: pair!.slice(name.length + 1), attributes: attributes.join('; ') };
}

/** The sign-in form's token: from the page, and the cookie set with it. */
async function formToken(fastify: FastifyInstance): Promise<string> {
  const page = await fastify.inject({ method: 'GET', url: '/ui/login' });
  assert.equal(page.statusCode, 200);
  const token = cookie(page, 'portcullis_login')!.value;
  assert.match(page.body, new RegExp(`name="csrf" value="${token}"`));
  return token;
}

function post(fastify: FastifyInstance, url: string, fields: Record<string, string>, cookies: Record<string, string>, headers: Record<string, string> = {}) {
  return fastify.inject({
    method: 'POST',
    url,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; '), ...headers },
  });
}

test('a page that needs a sign-in sends the browser to the form and back; the form allows posting to this origin only', async () => {
  const { app: fastify } = await app();
  const list = await fastify.inject({ method: 'GET', url: '/ui/' });
  assert.equal(list.statusCode, 303);
  assert.equal(list.headers.location, '/ui/login');
  const repo = await fastify.inject({ method: 'GET', url: '/ui/r/team/web' });
  assert.equal(repo.headers.location, '/ui/login?next=%2Fui%2Fr%2Fteam%2Fweb');
  const page = await fastify.inject({ method: 'GET', url: '/ui/login?next=/ui/r/team/web' });
  assert.equal(page.headers['content-security-policy'], FORMS_CONTENT_SECURITY_POLICY);
  assert.match(FORMS_CONTENT_SECURITY_POLICY, /form-action 'self'/);
  assert.match(page.body, /name="next" value="\/ui\/r\/team\/web"/);
  assert.equal(cookie(page, 'portcullis_login')!.attributes, 'Max-Age=3600; Path=/ui; HttpOnly; SameSite=Strict');
  assert.equal((await fastify.inject({ method: 'GET', url: '/' })).headers.location, '/ui/');
  await fastify.close();
});

test('a post without the form token, with another one, or from another site is refused before any password is checked', async () => {
  const { app: fastify, verifier } = await app();
  const token = await formToken(fastify);
  const right = { username: 'alice', password: 's3cret' };
  const cases = [
    post(fastify, '/ui/login', right, { portcullis_login: token }),
    post(fastify, '/ui/login', { ...right, csrf: token }, {}),
    post(fastify, '/ui/login', { ...right, csrf: 'x'.repeat(43) }, { portcullis_login: token }),
    post(fastify, '/ui/login', { ...right, csrf: token }, { portcullis_login: token }, { 'sec-fetch-site': 'cross-site' }),
  ];
  for (const response of await Promise.all(cases)) {
    assert.equal(response.statusCode, 403);
    assert.match(response.body, /The sign-in form expired or did not come from this page/);
    assert.equal(cookie(response, 'portcullis_session'), undefined);
  }
  assert.equal(verifier.checks, 0);
  const json = await fastify.inject({ method: 'POST', url: '/ui/login', payload: { ...right, csrf: token }, headers: { cookie: `portcullis_login=${token}` } });
  assert.equal(json.statusCode, 415);
  assert.match(json.body, /<h1>Bad request<\/h1>/);
  const huge = await post(fastify, '/ui/login', { ...right, csrf: token, pad: 'x'.repeat(9000) }, { portcullis_login: token });
  assert.equal(huge.statusCode, 413);
  assert.equal(verifier.checks, 0);
  await fastify.close();
});

test('wrong then right password; the session id is new at every sign-in, so a planted or previous one is worth nothing', async () => {
  const { app: fastify } = await app();
  const token = await formToken(fastify);
  const wrong = await post(fastify, '/ui/login', { username: 'alice', password: 'nope', csrf: token, next: '/ui/r/team/web' }, { portcullis_login: token });
  assert.equal(wrong.statusCode, 401);
  assert.match(wrong.body, /Wrong user name or password\./);
  assert.match(wrong.body, /name="username"[^>]*value="alice"/);
  assert.doesNotMatch(wrong.body, /nope/, 'the password is never echoed');

  const planted = 'A'.repeat(43);
  const signed = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token, next: '/ui/r/team/web' }, { portcullis_login: token, portcullis_session: planted });
  assert.equal(signed.statusCode, 303);
  assert.equal(signed.headers.location, '/ui/r/team/web');
  const session = cookie(signed, 'portcullis_session')!;
  assert.notEqual(session.value, planted);
  assert.match(session.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(session.attributes, 'Max-Age=43200; Path=/ui; HttpOnly; SameSite=Strict');
  assert.equal(cookie(signed, 'portcullis_login')!.attributes.startsWith('Max-Age=0'), true, 'the form token is spent');

  const home = await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${session.value}` } });
  assert.equal(home.statusCode, 200);
  assert.match(home.body, /<span id="signed-in-as">alice<\/span>/);
  assert.equal(home.headers['content-security-policy'], FORMS_CONTENT_SECURITY_POLICY, 'the sign-out button is a form');
  const withPlanted = await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${planted}` } });
  assert.equal(withPlanted.statusCode, 303);

  // Signing in again (say, as someone else on a shared browser) replaces the session: the first id ends.
  const again = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token }, { portcullis_login: token, portcullis_session: session.value });
  const second = cookie(again, 'portcullis_session')!.value;
  assert.notEqual(second, session.value);
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${session.value}` } })).statusCode, 303);
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${second}` } })).statusCode, 200);
  await fastify.close();
});

test('sign-out needs the session token; afterwards the cookie opens nothing', async () => {
  const { app: fastify } = await app();
  const token = await formToken(fastify);
  const signed = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token }, { portcullis_login: token });
  const id = cookie(signed, 'portcullis_session')!.value;
  const home = await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(home.body)![1]!;
  const forged = await post(fastify, '/ui/logout', {}, { portcullis_session: id });
  assert.equal(forged.statusCode, 403);
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 200, 'still signed in');
  const out = await post(fastify, '/ui/logout', { csrf }, { portcullis_session: id });
  assert.equal(out.statusCode, 303);
  assert.equal(out.headers.location, '/ui/login');
  assert.match(cookie(out, 'portcullis_session')!.attributes, /^Max-Age=0; Path=\/ui/);
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 303);
  await fastify.close();
});

test('a user taken out of the htpasswd file (and the file reloaded) is signed out at the next request', async () => {
  const verifier = new Verifier();
  const withAlice = new HtpasswdAuthenticator(new Map([['alice', HASH]]), { verifier });
  const withoutAlice = new HtpasswdAuthenticator(new Map([['bob', HASH]]), { verifier });
  let current = withAlice;
  // What live-config.ts hands the UI: every call goes to the current file's users.
  const auth: AccessControl = {
    authenticate: (request) => current.authenticate(request),
    can: (principal, action, repository) => current.can(principal, action, repository),
    readableProjects: (principal) => current.readableProjects(principal),
    challenge: () => current.challenge(),
    authorize: (request, access, repository) => current.authorize(request, access, repository),
    knowsUser: (name) => current.knowsUser(name),
  };
  const fastify = Fastify();
  await fastify.register(uiPlugin({ metadata: store, auth }));
  const token = await formToken(fastify);
  const signed = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token }, { portcullis_login: token });
  const id = cookie(signed, 'portcullis_session')!.value;
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 200);
  current = withoutAlice;
  const after = await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } });
  assert.equal(after.statusCode, 303, 'the session no longer opens the UI');
  assert.match(String(after.headers.location), /^\/ui\/login/);
  current = withAlice;
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 303, 'the ended session stays ended');
  await fastify.close();
  await withAlice.close();
  await withoutAlice.close();
});

test('the login limits apply to the form: past them even the right password gets 429 with Retry-After', async () => {
  const { app: fastify, verifier } = await app({ perUser: 3 });
  const token = await formToken(fastify);
  for (let i = 0; i < 3; i++) assert.equal((await post(fastify, '/ui/login', { username: 'alice', password: `guess${i}`, csrf: token }, { portcullis_login: token })).statusCode, 401);
  const checks = verifier.checks;
  const locked = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token }, { portcullis_login: token });
  assert.equal(locked.statusCode, 429);
  assert.match(String(locked.headers['retry-after']), /^\d+$/);
  assert.match(locked.body, /Too many failed sign-ins/);
  assert.equal(cookie(locked, 'portcullis_session'), undefined);
  assert.equal(verifier.checks, checks, 'no password was checked once locked');
  await fastify.close();
});

test('sessions end after their idle time; cookies are Secure over TLS; `next` never leaves the UI', async () => {
  let now = 1_000_000;
  const { app: fastify } = await app({ sessions: { idleMs: 60_000, now: () => now }, trustProxy: true });
  const tls = { 'x-forwarded-proto': 'https' };
  const page = await fastify.inject({ method: 'GET', url: '/ui/login', headers: tls });
  const token = cookie(page, 'portcullis_login')!;
  assert.match(token.attributes, /; Secure(;|$)/);
  for (const [next, location] of [
    ['https://evil.example/', '/ui/'],
    ['//evil.example/ui/', '/ui/'],
    ['/ui/\\\\evil.example', '/ui/'],
    ['/ui/r/a\r\nSet-Cookie: x=1', '/ui/'],
    ['/v2/_catalog', '/ui/'],
    ['/ui/login?next=/ui/', '/ui/'],
    ['/ui/r/team/web?severity=HIGH', '/ui/r/team/web?severity=HIGH'],
  ] as const) {
    const signed = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token.value, next }, { portcullis_login: token.value }, tls);
    assert.equal(signed.statusCode, 303, next);
    assert.equal(signed.headers.location, location, next);
    assert.match(cookie(signed, 'portcullis_session')!.attributes, /; Secure(;|$)/);
  }
  const signed = await post(fastify, '/ui/login', { username: 'alice', password: 's3cret', csrf: token.value }, { portcullis_login: token.value }, tls);
  const id = cookie(signed, 'portcullis_session')!.value;
  now += 59_000;
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 200);
  now += 59_000;
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 200, 'each request restarts the idle clock');
  now += 61_000;
  assert.equal((await fastify.inject({ method: 'GET', url: '/ui/', headers: { cookie: `portcullis_session=${id}` } })).statusCode, 303, 'idle too long');
  await fastify.close();
});
