/**
 * What keeps the OpenAPI document true for /token, /api/v1/gc and the
 * document itself, in each authentication mode: real requests for each
 * success and refusal, each answer checked against the document the server
 * serves in that mode (status, body schema, headers), and every response
 * that document lists for these operations produced at least once.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AuthMode } from '../../../../src/server/api/v1/openapi/types.js';
import { GcService, type GcReport } from '../../../../src/server/gc/index.js';
import { silentLog } from '../../../../src/server/log.js';
import { ADMIN_PASSWORD, basic } from '../../auth/accounts-registry.js';
import { pushBlob } from '../helpers.js';
import { adminRegistry, HTPASSWD_CHALLENGE, HTPASSWD_USER, type AdminRegistry } from './admin-registry.js';
import { checkedCalls, DocumentChecker } from './openapi-check.js';

/** A gc service that can be told to fail its next run the way a broken store would (500). */
class BreakableGc extends GcService {
  failNext = false;

  override async run(options: { readonly dryRun?: boolean } = {}): Promise<GcReport> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the disk is on fire');
    }
    return super.run(options);
  }
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const LOCKED = basic('locked-out', 'not-the-password');
const open: AdminRegistry[] = [];
after(async () => {
  for (const r of open) await r.close();
});

async function setUp(mode: AuthMode) {
  let gc: BreakableGc | undefined;
  const r = await adminRegistry(mode, {
    loginLimits: { perUser: 3 },
    // Its clock runs 10 s ahead, so what the test just pushed is past the grace (0) whatever the millisecond.
    gc: (stores) => (gc = new BreakableGc({ stores, log: silentLog(), intervalMs: 0, defaults: { graceMs: 0, now: () => new Date(Date.now() + 10_000) } })),
  });
  open.push(r);
  const checker = new DocumentChecker(r.doc);
  return { r, gc: gc!, checker, call: checkedCalls(r.app, checker) };
}

/** /api/v1/gc and the document, as `admin` (credentials of an administrator, none without authentication) sees them. */
async function exerciseGc(mode: AuthMode, admin: string | undefined): Promise<DocumentChecker> {
  const { r, gc, checker, call } = await setUp(mode);
  const auth = admin !== undefined ? { auth: admin } : {};
  await call(200, 'GET', '/api/v1/openapi.json');
  const before = await call(200, 'GET', '/api/v1/gc', auth);
  assert.deepEqual(JSON.parse(before.body), { running: false });
  const garbage = await pushBlob(r.app, 'team/app', 'garbage for the document test', admin !== undefined ? { authorization: admin } : {});
  const dry = await call(200, 'POST', '/api/v1/gc?dryRun=true', auth);
  assert.deepEqual((JSON.parse(dry.body) as GcReport).deleted.blobs, [{ digest: garbage, size: 29 }]);
  await call(200, 'POST', '/api/v1/gc', auth);
  const last = await call(200, 'GET', '/api/v1/gc', auth);
  assert.equal((JSON.parse(last.body) as { last: GcReport }).last.blobsDeleted, 1);
  await call(400, 'POST', '/api/v1/gc?dryRun=maybe', auth);
  gc.failNext = true;
  await call(500, 'POST', '/api/v1/gc', auth);
  assert.ok(await r.services.metadata.acquireLease('gc', 'elsewhere', new Date().toISOString(), 60_000));
  const busy = await call(503, 'POST', '/api/v1/gc', auth);
  assert.equal(busy.headers['retry-after'], '60');
  await r.services.metadata.releaseLease('gc', 'elsewhere');
  if (mode === 'none') return checker;
  const challenge = mode === 'accounts' ? 'Bearer realm="http://registry.test/token",service="registry.test"' : HTPASSWD_CHALLENGE;
  for (let i = 0; i < 3; i++) await call(401, 'GET', '/api/v1/gc', { auth: LOCKED });
  for (const method of ['GET', 'POST'] as const) {
    const none = await call(401, method, '/api/v1/gc');
    assert.equal(none.headers['www-authenticate'], challenge);
    await call(401, method, '/api/v1/gc', { auth: basic(`wrong-${method}`, 'not-the-password') });
    await call(429, method, '/api/v1/gc', { auth: LOCKED });
  }
  return checker;
}

function assertAllProduced(checker: DocumentChecker, tags: readonly string[]): void {
  assert.deepEqual(checker.documented(tags).filter((x) => !checker.seen.has(x)), [], 'documented responses no request produced');
}

describe('without authentication', () => {
  test('/api/v1/gc and the document answer as documented; every documented response is produced', async () => {
    assertAllProduced(await exerciseGc('none', undefined), ['gc', 'openapi']);
  });
});

describe('with --htpasswd', () => {
  test('/api/v1/gc and the document answer as documented (Basic challenge); every documented response is produced', async () => {
    assertAllProduced(await exerciseGc('htpasswd', basic(HTPASSWD_USER.name, HTPASSWD_USER.password)), ['gc', 'openapi']);
  });
});

describe('with --accounts', () => {
  const ADMIN = basic('admin', ADMIN_PASSWORD);

  test('/api/v1/gc: an administrator runs it, a signed-in user who is none is 403; every documented response is produced', async () => {
    const checker = await exerciseGc('accounts', ADMIN);
    // A second registry (the first one's gc lease and limits are spent); its answers are counted for the first's document, which is the same.
    const { call } = await setUp('accounts');
    await call(201, 'POST', '/api/v1/users', { auth: ADMIN, body: { name: 'bob', password: 'bob-password-0001' } });
    for (const method of ['GET', 'POST'] as const) {
      const res = await call(403, method, '/api/v1/gc', { auth: basic('bob', 'bob-password-0001') });
      checker.response(method, '/api/v1/gc', res);
    }
    assertAllProduced(checker, ['gc', 'openapi']);
  });

  test('/token: GET (anonymous, Basic, refresh token) and the OAuth2 POST (password and refresh_token grants), with their refusals', async () => {
    const { checker, call } = await setUp('accounts');
    const form = (status: number, fields: Record<string, string>) => call(status, 'POST', '/token', { raw: new URLSearchParams(fields).toString(), headers: FORM });
    const scope = 'scope=repository:team/app:pull';
    const anonymous = await call(200, 'GET', `/token?service=registry.test&${scope}`);
    assert.equal((JSON.parse(anonymous.body) as { refresh_token?: string }).refresh_token, undefined);
    await call(200, 'GET', `/token?${scope}`, { auth: 'Bearer ignored-here' });
    const full = await call(200, 'GET', `/token?service=registry.test&${scope}&scope=registry:catalog:*&offline_token=true`, { auth: ADMIN });
    assert.equal(typeof (JSON.parse(full.body) as { refresh_token?: string }).refresh_token, 'string');
    await call(400, 'GET', '/token?service=elsewhere');
    const wrong = await call(401, 'GET', '/token', { auth: basic('admin', 'not-the-password') });
    assert.match(String(wrong.headers['www-authenticate']), /^Bearer realm=/);
    for (let i = 0; i < 3; i++) await call(401, 'GET', '/token', { auth: LOCKED });
    await call(429, 'GET', '/token', { auth: LOCKED });

    const password = { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, service: 'registry.test', scope: 'repository:team/app:pull registry:catalog:*', client_id: 'test', access_type: 'offline' };
    assert.ok(checker.requestMatches('POST', '/token', 'application/x-www-form-urlencoded', password));
    const granted = JSON.parse((await form(200, password)).body) as { refresh_token: string; scope: string };
    assert.equal(granted.scope, 'repository:team/app:pull registry:catalog:*', 'an administrator is granted what was asked');
    await form(200, { grant_type: 'refresh_token', refresh_token: granted.refresh_token });
    await form(400, { grant_type: 'password', username: 'admin', password: 'not-the-password' });
    await form(400, { grant_type: 'refresh_token', refresh_token: 'forged' });
    await form(400, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, service: 'elsewhere' });
    const unsupported = { grant_type: 'client_credentials' };
    assert.equal(checker.requestMatches('POST', '/token', 'application/x-www-form-urlencoded', unsupported), false);
    const refused = await form(400, unsupported);
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'unsupported_grant_type');
    await call(400, 'POST', '/token', { body: { grant_type: 'password' } });
    const slow = await form(429, { grant_type: 'password', username: 'locked-out', password: 'x' });
    assert.equal((JSON.parse(slow.body) as { error: string }).error, 'slow_down');
    await call(413, 'POST', '/token', { raw: `grant_type=password&password=${'x'.repeat(17_000)}`, headers: FORM });
    await call(415, 'POST', '/token', { raw: '<token/>', headers: { 'content-type': 'application/xml' } });
    assertAllProduced(checker, ['token']);
  });
});
