/**
 * Tokens of an account that is gone must not come back with its name. A
 * robot's refresh token lasts 30 days and outlives its project: deleting
 * the project (robots go with it) and making a robot of the same name again
 * — a new secret, maybe other actions — must not let the old token in (it is
 * the token of a credential the administrator meant to end). The same for a
 * user deleted and made again, and for access tokens (5 minutes). Tokens
 * issued to the new account work.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountsRegistry, ADMIN_PASSWORD, api, basic, SERVICE, type AccountsRegistry } from './accounts-registry.js';

const ADMIN = basic('admin', ADMIN_PASSWORD);
const PW = 'carol-password-123';
let r: AccountsRegistry;

before(async () => {
  r = await accountsRegistry();
});
after(() => r?.close());

async function offlineToken(credentials: string, scope: string): Promise<{ access: string; refresh: string }> {
  const res = await r.app.inject({ method: 'GET', url: `/token?service=${SERVICE}&offline_token=true&scope=${encodeURIComponent(scope)}`, headers: { authorization: credentials } });
  assert.equal(res.statusCode, 200, res.body);
  const body = JSON.parse(res.body) as { token: string; refresh_token: string };
  return { access: body.token, refresh: body.refresh_token };
}

function refresh(token: string, scope: string) {
  return r.app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, service: SERVICE, scope }).toString(),
  });
}

const tags = (token: string, repo: string) => r.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list`, headers: { authorization: `Bearer ${token}` } });
/** Token iat is in whole seconds and the check allows a second of skew: wait past both. */
const pastTheSecond = () => new Promise((resolve) => setTimeout(resolve, 2100));

test("a robot's tokens die with it: a robot made again under the same name (project deleted and re-created) does not take them", async () => {
  assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name: 'team', public: false })).statusCode, 201);
  const first = JSON.parse((await api(r.app, 'POST', '/projects/team/robots', ADMIN, { name: 'ci', actions: ['pull', 'push'] })).body) as { secret: string };
  const old = await offlineToken(basic('robot$team+ci', first.secret), 'repository:team/app:pull,push');
  assert.equal((await refresh(old.refresh, 'repository:team/app:pull')).statusCode, 200, 'the refresh token works while the robot lives');
  // The administrator ends the robot the way the docs allow for a whole project: delete it (robots go with it).
  assert.equal((await api(r.app, 'DELETE', '/projects/team', ADMIN)).statusCode, 204);
  assert.equal((await refresh(old.refresh, 'repository:team/app:pull')).statusCode, 400, 'refused while no robot has the name');
  await pastTheSecond();
  assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name: 'team', public: false })).statusCode, 201);
  const second = JSON.parse((await api(r.app, 'POST', '/projects/team/robots', ADMIN, { name: 'ci', actions: ['pull', 'push'] })).body) as { secret: string };
  const stale = await refresh(old.refresh, 'repository:team/app:pull,push');
  assert.equal(stale.statusCode, 400, `the old robot's refresh token is not the new robot's: ${stale.body}`);
  assert.equal(JSON.parse(stale.body).error, 'invalid_grant');
  const staleAccess = await tags(old.access, 'team/app');
  assert.equal(staleAccess.statusCode, 401, "the old robot's access token is refused too");
  assert.match(String(staleAccess.headers['www-authenticate']), /error="invalid_token"/);
  // The new robot's own tokens work.
  const fresh = await offlineToken(basic('robot$team+ci', second.secret), 'repository:team/app:pull');
  assert.equal((await refresh(fresh.refresh, 'repository:team/app:pull')).statusCode, 200);
  assert.equal((await tags(fresh.access, 'team/app')).statusCode, 404, 'allowed (the repository is empty)');
});

test("a user's tokens die with the account: a user made again under the same name does not take them", async () => {
  assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name: 'crew', public: false })).statusCode, 201);
  assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'carol', password: PW })).statusCode, 201);
  assert.equal((await api(r.app, 'PUT', '/projects/crew/members/carol', ADMIN, { role: 'pull' })).statusCode, 200);
  const old = await offlineToken(basic('carol', PW), 'repository:crew/app:pull');
  assert.equal((await api(r.app, 'DELETE', '/users/carol', ADMIN)).statusCode, 204);
  await pastTheSecond();
  // Made again, with the same password and the same role.
  assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'carol', password: PW })).statusCode, 201);
  assert.equal((await api(r.app, 'PUT', '/projects/crew/members/carol', ADMIN, { role: 'pull' })).statusCode, 200);
  assert.equal((await refresh(old.refresh, 'repository:crew/app:pull')).statusCode, 400);
  assert.equal((await tags(old.access, 'crew/app')).statusCode, 401, "the old account's access token is refused");
  const fresh = await offlineToken(basic('carol', PW), 'repository:crew/app:pull');
  assert.equal((await tags(fresh.access, 'crew/app')).statusCode, 404, 'allowed (the repository is empty)');
});
