/**
 * The permission matrix of a registry with accounts: for each kind of caller
 * (anonymous; users with no role, pull, push, delete and admin in a private
 * project; a robot; an expired and a revoked robot; a registry
 * administrator), what the distribution endpoints and the admin API answer
 * on a private and a public project. "Cannot see" answers must be
 * byte-identical to "does not exist" (recorded before the repository
 * existed), so no answer tells a hidden repository from an absent one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { hashRobotSecret, newRobotSalt } from '../../../src/server/auth/robot-secrets.js';
import { pushBlob, pushImage, type PushedImage } from '../api/helpers.js';
import { accountsRegistry, ADMIN_PASSWORD, api, basic, tokenFor, type AccountsRegistry } from './accounts-registry.js';

const PW = 'a-long-password-1';
const ADMIN = basic('admin', ADMIN_PASSWORD);
const ROLES = ['pull', 'push', 'delete', 'admin'] as const;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let r: AccountsRegistry;
let image: PushedImage;
let robotSecret: string;
const secrets = new Map<string, string>();
const absent = new Map<string, LightMyRequestResponse>();

type Op = { name: string; method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'; url: (repo: string) => string; body?: () => Buffer; headers?: Record<string, string> };

function ops(): Op[] {
  const layer = image.layers[0]!;
  return [
    { name: 'tags', method: 'GET', url: (repo) => `/v2/${repo}/tags/list` },
    { name: 'manifest GET', method: 'GET', url: (repo) => `/v2/${repo}/manifests/v1` },
    { name: 'manifest HEAD', method: 'HEAD', url: (repo) => `/v2/${repo}/manifests/${image.digest}` },
    { name: 'blob GET', method: 'GET', url: (repo) => `/v2/${repo}/blobs/${layer}` },
    { name: 'blob HEAD', method: 'HEAD', url: (repo) => `/v2/${repo}/blobs/${layer}` },
    { name: 'referrers', method: 'GET', url: (repo) => `/v2/${repo}/referrers/${image.digest}` },
    { name: 'manifest PUT', method: 'PUT', url: (repo) => `/v2/${repo}/manifests/pushed`, body: () => image.bytes, headers: { 'content-type': OCI_MANIFEST } },
    { name: 'upload start', method: 'POST', url: (repo) => `/v2/${repo}/blobs/uploads/` },
    { name: 'manifest DELETE', method: 'DELETE', url: (repo) => `/v2/${repo}/manifests/doomed` },
    { name: 'blob DELETE', method: 'DELETE', url: (repo) => `/v2/${repo}/blobs/${layer}` },
  ];
}

function run(op: Op, repo: string, authorization: string | undefined): Promise<LightMyRequestResponse> {
  return r.app.inject({
    method: op.method,
    url: op.url(repo),
    headers: { ...(authorization ? { authorization } : {}), ...op.headers },
    ...(op.body ? { payload: op.body() } : {}),
  });
}

/** Puts back what a delete may have taken: the image, tags `v1` and `doomed`, and the layer link. */
async function restore(repo: string): Promise<void> {
  for (const tag of ['v1', 'doomed']) await pushImage(r.app, repo, tag, { seed: 'matrix', headers: { authorization: ADMIN } });
}

before(async () => {
  r = await accountsRegistry();
  // Learn the image's digests in a scratch repository, then record what a repository that does not exist answers.
  image = await pushImage(r.app, 'scratch/x', 'v1', { seed: 'matrix', headers: { authorization: ADMIN } });
  for (const op of ops()) if (op.method === 'GET' || op.method === 'HEAD' || op.method === 'DELETE') absent.set(op.name, await run(op, 'priv/app', ADMIN));
  absent.set('project', await api(r.app, 'GET', '/projects/priv', ADMIN));
  for (const [name, isPublic] of [['priv', false], ['pub', true], ['other', false]] as const) {
    assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name, public: isPublic })).statusCode, 201);
  }
  for (const who of ['none', ...ROLES.map((role) => `role-${role}`)]) {
    assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: who, password: PW })).statusCode, 201);
    secrets.set(who, basic(who, PW));
  }
  for (const role of ROLES) assert.equal((await api(r.app, 'PUT', `/projects/priv/members/role-${role}`, ADMIN, { role })).statusCode, 200);
  const made = await api(r.app, 'POST', '/projects/priv/robots', ADMIN, { name: 'ci', actions: ['pull', 'push'], expiresInDays: 30 });
  assert.equal(made.statusCode, 201);
  robotSecret = (JSON.parse(made.body) as { secret: string }).secret;
  assert.match(robotSecret, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
  secrets.set('robot', basic('robot$priv+ci', robotSecret));
  // An expired robot (made through the store: the API cannot make one already expired) and a revoked one.
  const salt = newRobotSalt();
  await r.accounts.access.store.createRobot({ name: 'robot$priv+old', project: 'priv', actions: ['pull', 'push'], secretHash: hashRobotSecret('old-secret', salt), secretSalt: salt, createdAt: '2020-01-01T00:00:00.000Z', expiresAt: '2021-01-01T00:00:00.000Z' });
  secrets.set('expired robot', basic('robot$priv+old', 'old-secret'));
  const gone = JSON.parse((await api(r.app, 'POST', '/projects/priv/robots', ADMIN, { name: 'gone', actions: ['pull'] })).body) as { secret: string };
  assert.equal((await api(r.app, 'DELETE', '/projects/priv/robots/gone', ADMIN)).statusCode, 204);
  secrets.set('revoked robot', basic('robot$priv+gone', gone.secret));
  for (const repo of ['priv/app', 'pub/app', 'other/app']) await restore(repo);
});

after(() => r?.close());

/** What each caller may do on the private project: the answer each operation gets. */
const PRIVATE: Record<string, Record<string, number>> = {
  anonymous: { tags: 401, 'manifest GET': 401, 'manifest HEAD': 401, 'blob GET': 401, 'blob HEAD': 401, referrers: 401, 'manifest PUT': 401, 'upload start': 401, 'manifest DELETE': 401, 'blob DELETE': 401 },
  none: { tags: 404, 'manifest GET': 404, 'manifest HEAD': 404, 'blob GET': 404, 'blob HEAD': 404, referrers: 200, 'manifest PUT': 404, 'upload start': 404, 'manifest DELETE': 404, 'blob DELETE': 404 },
  'role-pull': { tags: 200, 'manifest GET': 200, 'manifest HEAD': 200, 'blob GET': 200, 'blob HEAD': 200, referrers: 200, 'manifest PUT': 403, 'upload start': 403, 'manifest DELETE': 403, 'blob DELETE': 403 },
  'role-push': { tags: 200, 'manifest GET': 200, 'manifest HEAD': 200, 'blob GET': 200, 'blob HEAD': 200, referrers: 200, 'manifest PUT': 201, 'upload start': 202, 'manifest DELETE': 403, 'blob DELETE': 403 },
  'role-delete': { tags: 200, 'manifest GET': 200, 'manifest HEAD': 200, 'blob GET': 200, 'blob HEAD': 200, referrers: 200, 'manifest PUT': 201, 'upload start': 202, 'manifest DELETE': 202, 'blob DELETE': 202 },
  'role-admin': { tags: 200, 'manifest GET': 200, 'manifest HEAD': 200, 'blob GET': 200, 'blob HEAD': 200, referrers: 200, 'manifest PUT': 201, 'upload start': 202, 'manifest DELETE': 202, 'blob DELETE': 202 },
  robot: { tags: 200, 'manifest GET': 200, 'manifest HEAD': 200, 'blob GET': 200, 'blob HEAD': 200, referrers: 200, 'manifest PUT': 201, 'upload start': 202, 'manifest DELETE': 403, 'blob DELETE': 403 },
  'expired robot': { tags: 401, 'manifest GET': 401, 'manifest HEAD': 401, 'blob GET': 401, 'blob HEAD': 401, referrers: 401, 'manifest PUT': 401, 'upload start': 401, 'manifest DELETE': 401, 'blob DELETE': 401 },
  'revoked robot': { tags: 401, 'manifest GET': 401, 'manifest HEAD': 401, 'blob GET': 401, 'blob HEAD': 401, referrers: 401, 'manifest PUT': 401, 'upload start': 401, 'manifest DELETE': 401, 'blob DELETE': 401 },
};

describe('distribution endpoints on a private project', () => {
  for (const [who, expected] of Object.entries(PRIVATE)) {
    test(who, async () => {
      const authorization = who === 'anonymous' ? undefined : secrets.get(who);
      for (const op of ops()) {
        await restore('priv/app');
        const res = await run(op, 'priv/app', authorization);
        assert.equal(res.statusCode, expected[op.name], `${who}: ${op.name}: ${res.body}`);
        if (res.statusCode === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer realm="http:\/\/registry\.test\/token",service="registry\.test"/, `${who}: ${op.name}`);
        if (who === 'none' && absent.has(op.name)) {
          const was = absent.get(op.name)!;
          assert.equal(res.statusCode, was.statusCode, `${op.name}: hidden answers as absent`);
          assert.equal(res.body, was.body, `${op.name}: the same bytes as for a repository that does not exist`);
          assert.equal(res.headers['content-type'], was.headers['content-type']);
        }
      }
    });
  }

  test('the catalog lists what the caller may pull, and nothing else', async () => {
    const catalog = async (authorization: string | undefined): Promise<string[] | number> => {
      const res = await r.app.inject({ method: 'GET', url: '/v2/_catalog', headers: authorization ? { authorization } : {} });
      return res.statusCode === 200 ? (JSON.parse(res.body) as { repositories: string[] }).repositories : res.statusCode;
    };
    assert.equal(await catalog(undefined), 401);
    assert.deepEqual(await catalog(secrets.get('none')), ['pub/app']);
    assert.deepEqual(await catalog(secrets.get('role-pull')), ['priv/app', 'pub/app']);
    assert.deepEqual(await catalog(secrets.get('robot')), ['priv/app', 'pub/app']);
    assert.deepEqual(await catalog(ADMIN), ['other/app', 'priv/app', 'pub/app', 'scratch/x']);
    const paged = await r.app.inject({ method: 'GET', url: '/v2/_catalog?n=1', headers: { authorization: secrets.get('role-pull')! } });
    assert.deepEqual(JSON.parse(paged.body), { repositories: ['priv/app'] });
    assert.equal(paged.headers.link, '</v2/_catalog?n=1&last=priv%2Fapp>; rel="next"');
  });

  test('a public project: anyone pulls, only members push; signed-in strangers see it (403, not 404)', async () => {
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/pub/app/manifests/v1' })).statusCode, 200);
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/pub/app/tags/list', headers: { authorization: secrets.get('none')! } })).statusCode, 200);
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/pub/app/blobs/uploads/' })).statusCode, 401);
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/pub/app/blobs/uploads/', headers: { authorization: secrets.get('none')! } })).statusCode, 403);
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/pub/app/blobs/uploads/', headers: { authorization: secrets.get('robot')! } })).statusCode, 403, "a robot of another project pulls, never pushes");
  });

  test('mounts: from a project the caller cannot pull, a plain upload (202); from one they can, the blob (201)', async () => {
    const secret = await pushBlob(r.app, 'other/app', 'other project only', { authorization: ADMIN });
    const refused = await r.app.inject({ method: 'POST', url: `/v2/priv/app/blobs/uploads/?mount=${secret}&from=other/app`, headers: { authorization: secrets.get('role-push')! } });
    assert.equal(refused.statusCode, 202);
    assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/priv/app/blobs/${secret}`, headers: { authorization: ADMIN } })).statusCode, 404, 'not linked');
    const layer = image.layers[1]!;
    const mounted = await r.app.inject({ method: 'POST', url: `/v2/priv/copy/blobs/uploads/?mount=${layer}&from=priv/app`, headers: { authorization: secrets.get('role-push')! } });
    assert.equal(mounted.statusCode, 201);
    const publicMount = await r.app.inject({ method: 'POST', url: `/v2/priv/copy/blobs/uploads/?mount=${layer}&from=pub/app`, headers: { authorization: secrets.get('role-push')! } });
    assert.equal(publicMount.statusCode, 201, 'a public project can be mounted from');
  });

  test('a non-admin cannot push into a project that does not exist (404, as for a hidden one); an administrator can', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/v2/newproj/app/blobs/uploads/', headers: { authorization: secrets.get('role-admin')! } });
    assert.equal(res.statusCode, 404);
    assert.equal(JSON.parse(res.body).errors[0].code, 'NAME_UNKNOWN');
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/newproj/app/blobs/uploads/', headers: { authorization: ADMIN } })).statusCode, 202);
  });

  test('tokens: bounded by what was granted, and by what is held now (a revoked robot loses its token at once)', async () => {
    const pullOnly = await tokenFor(r.app, secrets.get('role-push'), ['repository:priv/app:pull']);
    const bearer = { authorization: `Bearer ${pullOnly}` };
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/priv/app/manifests/v1', headers: bearer })).statusCode, 200);
    const more = await r.app.inject({ method: 'POST', url: '/v2/priv/app/blobs/uploads/', headers: bearer });
    assert.equal(more.statusCode, 401, 'held but not in the token: fetch another');
    assert.equal(more.headers['www-authenticate'], 'Bearer realm="http://registry.test/token",service="registry.test",scope="repository:priv/app:pull,push",error="insufficient_scope"');
    const made = JSON.parse((await api(r.app, 'POST', '/projects/priv/robots', ADMIN, { name: 'brief', actions: ['pull'] })).body) as { secret: string };
    const robotToken = await tokenFor(r.app, basic('robot$priv+brief', made.secret), ['repository:priv/app:pull,push']);
    const robotBearer = { authorization: `Bearer ${robotToken}` };
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/priv/app/manifests/v1', headers: robotBearer })).statusCode, 200);
    assert.equal((await api(r.app, 'DELETE', '/projects/priv/robots/brief', ADMIN)).statusCode, 204);
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/priv/app/manifests/v1', headers: robotBearer })).statusCode, 401, 'revoked: its unexpired token is refused');
  });
});

describe('admin API', () => {
  test('projects: hidden is 404 exactly as absent; visible but not managed is 403; members and robots need the admin role', async () => {
    const hidden = await api(r.app, 'GET', '/projects/priv', secrets.get('none'));
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.body, absent.get('project')!.body);
    assert.equal((await api(r.app, 'GET', '/projects/priv', undefined)).statusCode, 401);
    assert.equal((await api(r.app, 'GET', '/projects/priv', secrets.get('role-pull'))).statusCode, 200);
    assert.deepEqual(JSON.parse((await api(r.app, 'GET', '/projects', secrets.get('none'))).body), { projects: [{ name: 'pub', public: true, createdAt: JSON.parse((await api(r.app, 'GET', '/projects/pub', ADMIN)).body).createdAt }] });
    for (const who of ['role-pull', 'role-push', 'role-delete', 'robot']) {
      assert.equal((await api(r.app, 'GET', '/projects/priv/members', secrets.get(who))).statusCode, 403, who);
      assert.equal((await api(r.app, 'PUT', '/projects/priv/members/none', secrets.get(who), { role: 'pull' })).statusCode, 403, who);
      assert.equal((await api(r.app, 'POST', '/projects/priv/robots', secrets.get(who), { name: 'x', actions: ['pull'] })).statusCode, 403, who);
    }
    assert.equal((await api(r.app, 'GET', '/projects/priv/members', secrets.get('none'))).statusCode, 404);
    const members = await api(r.app, 'GET', '/projects/priv/members?n=2', secrets.get('role-admin'));
    assert.equal(members.statusCode, 200);
    assert.deepEqual(JSON.parse(members.body), { members: [{ user: 'role-admin', role: 'admin' }, { user: 'role-delete', role: 'delete' }] });
    assert.equal(members.headers.link, '</api/v1/projects/priv/members?n=2&last=role-delete>; rel="next"');
    assert.equal((await api(r.app, 'PATCH', '/projects/priv', secrets.get('role-admin'), { public: false })).statusCode, 200);
    assert.equal((await api(r.app, 'PUT', '/projects/priv/members/nobody', secrets.get('role-admin'), { role: 'pull' })).statusCode, 404, 'no such user');
    assert.equal((await api(r.app, 'PUT', '/projects/priv/members/none', secrets.get('role-admin'), { role: 'owner' })).statusCode, 400);
  });

  test('users and projects are the administrators\'; the last administrator stays; a busy project is not deleted', async () => {
    for (const who of ['none', 'role-admin', 'robot']) {
      assert.equal((await api(r.app, 'GET', '/users', secrets.get(who))).statusCode, 403, who);
      assert.equal((await api(r.app, 'POST', '/projects', secrets.get(who), { name: 'mine' })).statusCode, 403, who);
      assert.equal((await api(r.app, 'DELETE', '/users/none', secrets.get(who))).statusCode, 403, who);
    }
    assert.equal((await api(r.app, 'GET', '/users/none', secrets.get('none'))).statusCode, 200, 'oneself');
    assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'none', password: PW })).statusCode, 409);
    assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'short', password: 'x' })).statusCode, 400);
    assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'robot$x+y', password: PW })).statusCode, 400);
    assert.equal((await api(r.app, 'DELETE', '/users/admin', ADMIN)).statusCode, 409, 'the last administrator');
    assert.equal((await api(r.app, 'DELETE', '/projects/priv', ADMIN)).statusCode, 409, 'repositories remain');
    assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name: 'Bad/Name' })).statusCode, 400);
    const body = await api(r.app, 'POST', '/projects', ADMIN, { name: 'empty' });
    assert.equal(body.statusCode, 201);
    assert.equal((await api(r.app, 'DELETE', '/projects/empty', ADMIN)).statusCode, 204);
    const error = await api(r.app, 'GET', '/nothing', ADMIN);
    assert.equal(error.statusCode, 404);
    assert.deepEqual(Object.keys(JSON.parse(error.body)), ['errors']);
  });
});
