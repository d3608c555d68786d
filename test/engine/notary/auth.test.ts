/**
 * NotaryAuth answering a Notary server's challenge, against a token realm on
 * 127.0.0.1 (plain HTTP, allowed on loopback): where the credentials go and
 * where they do not (a realm on another host, plain HTTP to a remote
 * server), the scopes asked for, and the one-line errors.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpError } from '../../../src/http/index.js';
import { NotaryAuth, tokenScopes, type NotaryCredentials } from '../../../src/engine/notary/auth.js';

const ALICE: NotaryCredentials = { credentials: { username: 'alice', password: 'secret-pw' }, host: 'registry.example' };
const BASIC_ALICE = `Basic ${Buffer.from('alice:secret-pw').toString('base64')}`;
const GUN = 'registry.example/team/app';

let realm: Server;
let port = 0;
const seen: IncomingMessage[] = [];

before(async () => {
  realm = createServer((req, res) => {
    seen.push(req);
    if (req.headers.authorization !== undefined && req.headers.authorization !== BASIC_ALICE) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: req.headers.authorization ? 'token-with-creds' : 'anonymous-token' }));
  });
  await new Promise<void>((resolve) => realm.listen(0, '127.0.0.1', resolve));
  port = (realm.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => realm.close(() => resolve())));

function auth(server: string, credentials: NotaryCredentials | undefined, lookups: { count: number } = { count: 0 }): NotaryAuth {
  return new NotaryAuth({
    server: new URL(server),
    gun: GUN,
    actions: ['pull', 'push'],
    tls: { rejectUnauthorized: true },
    credentials: async () => {
      lookups.count++;
      return credentials;
    },
  });
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError, `expected an HttpError, got ${String(error)}`);
  assert.equal(error.code, 'UNAUTHORIZED');
  return error;
}

test('the token scopes: the repository path, then the whole GUN', () => {
  assert.deepEqual(tokenScopes(GUN, ['pull']), ['repository:team/app:pull', 'repository:registry.example/team/app:pull']);
  assert.deepEqual(tokenScopes('app', ['pull', 'push']), ['repository:app:pull,push']);
});

test('Basic: the credentials are sent; a second 401 is "refused the credentials" with portcullis login, without the password', async () => {
  const a = auth(`http://127.0.0.1:${port}`, { ...ALICE, host: `127.0.0.1:${port}` });
  await a.challenged(['Basic realm="notary"']);
  assert.deepEqual(a.headers(), { authorization: BASIC_ALICE });
  const error = await refusal(a.challenged(['Basic realm="notary"']));
  // The login to renew is the one used: stored for the Notary server's host here.
  assert.equal(error.message, `the Notary server 127.0.0.1:${port} refused the credentials for ${GUN}: run "portcullis login 127.0.0.1:${port}"`);
  assert.ok(!error.message.includes('secret-pw'));
  await a.close();
});

test('Basic without credentials: "none are configured", nothing sent', async () => {
  const a = auth(`https://127.0.0.1:${port}`, undefined);
  const error = await refusal(a.challenged(['Basic realm="notary"']));
  assert.equal(error.message, `the Notary server 127.0.0.1:${port} asks for credentials for ${GUN} and none are configured: run "portcullis login registry.example"`);
  assert.deepEqual(a.headers(), {});
});

test('plain HTTP to a host that is not loopback: the credentials are not even looked up', async () => {
  const lookups = { count: 0 };
  const a = auth('http://notary.example', ALICE, lookups);
  const error = await refusal(a.challenged(['Basic realm="notary"']));
  assert.match(error.message, /^the Notary server notary\.example asks for credentials for \S+ over plain HTTP: refusing to send them \(use https\)$/);
  assert.equal(lookups.count, 0);
});

test('Bearer with the realm on the Notary server\'s host: a token got with the credentials, for both scopes', async () => {
  seen.length = 0;
  const a = auth(`http://127.0.0.1:${port}`, ALICE);
  await a.challenged([`Bearer realm="http://127.0.0.1:${port}/token",service="notary"`]);
  assert.deepEqual(a.headers(), { authorization: 'Bearer token-with-creds' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.headers.authorization, BASIC_ALICE);
  const query = new URL(seen[0]!.url ?? '', 'http://x').searchParams;
  assert.deepEqual(query.getAll('scope'), ['repository:team/app:pull,push', 'repository:registry.example/team/app:pull,push']);
  assert.equal(query.get('service'), 'notary');
  await a.close();
});

test('Bearer with the realm on another host than the server\'s and the credentials\': asked anonymously; then a 401 says so', async () => {
  seen.length = 0;
  // The server is localhost:1, the credentials are for registry.example: 127.0.0.1:PORT is neither.
  const a = auth('http://localhost:1', ALICE);
  await a.challenged([`Bearer realm="http://127.0.0.1:${port}/token",service="notary"`]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.headers.authorization, undefined, 'the realm on another host was not sent the credentials');
  assert.deepEqual(a.headers(), { authorization: 'Bearer anonymous-token' });
  const error = await refusal(a.challenged([`Bearer realm="http://127.0.0.1:${port}/token"`]));
  assert.equal(error.message, `the Notary server localhost:1 asks for credentials for ${GUN}; its token realm is on another host, which was not sent the credentials for registry.example: run "portcullis login registry.example"`);
  await a.close();
});

test('Bearer with the realm on the credentials\' host: sent there', async () => {
  seen.length = 0;
  const a = auth('http://localhost:1', { ...ALICE, host: `127.0.0.1:${port}` });
  await a.challenged([`Bearer realm="http://127.0.0.1:${port}/token"`]);
  assert.equal(seen[0]!.headers.authorization, BASIC_ALICE);
  await a.close();
});

test('a realm refusing the credentials: "refused the credentials", one line', async () => {
  const a = auth(`http://127.0.0.1:${port}`, { credentials: { username: 'alice', password: 'wrong-pw' }, host: 'registry.example' });
  const error = await refusal(a.challenged([`Bearer realm="http://127.0.0.1:${port}/token"`]));
  assert.equal(error.message, `the Notary server 127.0.0.1:${port} refused the credentials for ${GUN}: run "portcullis login registry.example"`);
  assert.ok(!error.message.includes('wrong-pw'));
  await a.close();
});

test('a plain-HTTP realm on a remote host is refused before anything is sent; the error is an HttpError content trust weighs as a failure', async () => {
  const lookups = { count: 0 };
  const a = auth(`https://127.0.0.1:${port}`, ALICE, lookups);
  const error = await a.challenged(['Bearer realm="http://realm.example/token"']).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError);
  assert.equal(error.code, 'PROTOCOL');
  assert.match(error.message, /^the Notary server 127\.0\.0\.1:\d+: no token for registry\.example\/team\/app: refusing token realm http:\/\/realm\.example\/token: not https/);
  assert.deepEqual(a.headers(), {});
  await a.close();
});
