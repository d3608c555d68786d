/**
 * Who may forget a GUN's trust data (`DELETE /v2/<gun>/_trust/tuf/`) or rotate
 * its server-held snapshot/timestamp key (`POST …/snapshot.key`): the
 * delete role, as notary-server asks `*` for it. With push alone a publisher
 * could wipe the GUN and publish its older signed files again (the version
 * check compares with what is stored: nothing, after the wipe), rolling a
 * signed tag back to an older digest. Publishing and key reads keep their
 * rights (push, pull). In process, with a Notary double that records what
 * reached it: a refused request must not reach the service at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Action } from '../../../src/server/auth/principal.js';
import type { TufRequest } from '../../../src/server/services.js';
import { fakeAccessControl } from '../../support/access.js';
import { errorCode, makeRegistry } from '../api/helpers.js';

/** pia pulls, pete pushes, dora deletes in `team/…`; nobody anything elsewhere. */
const ROLES: Record<string, readonly Action[]> = { pia: ['pull'], pete: ['pull', 'push'], dora: ['pull', 'push', 'delete'] };

test('forgetting a GUN and rotating its server keys need the delete role: push and pull members are refused before the service is asked; a delete member may', async (t) => {
  const reached: TufRequest[] = [];
  const r = await makeRegistry({
    auth: fakeAccessControl({ can: (p, action, repository) => p.kind === 'user' && repository.startsWith('team/') && (ROLES[p.name] ?? []).includes(action) }),
    notary: {
      handle: async (request) => {
        reached.push(request);
        return { status: 200, contentType: 'application/json; charset=utf-8', body: '' };
      },
    },
  });
  t.after(() => r.close());
  const url = '/v2/registry.test/team/app/_trust/tuf/';
  const as = (user: string | undefined, method: 'DELETE' | 'POST' | 'GET', path = '') =>
    r.app.inject({ method, url: `${url}${path}`, headers: user ? { authorization: `Bearer ${user}` } : {}, ...(method === 'POST' ? { payload: 'x', headers: { 'content-type': 'multipart/form-data; boundary=b', ...(user ? { authorization: `Bearer ${user}` } : {}) } } : {}) });

  const anonymous = await as(undefined, 'DELETE');
  assert.equal(anonymous.statusCode, 401);
  assert.match(String(anonymous.headers['www-authenticate']), /scope="repository:team\/app:delete"/);
  for (const user of ['pia', 'pete']) {
    const res = await as(user, 'DELETE');
    assert.equal(res.statusCode, 403, user);
    assert.equal(errorCode(res), 'DENIED', user);
  }
  assert.equal((await as('dave', 'DELETE')).statusCode, 404, 'a caller who cannot see the repository gets not-found');
  assert.equal(reached.length, 0, 'no refused DELETE reached the Notary service');

  // Rotating the server-held snapshot or timestamp key is a delete too (notary-server asks `*`): a push member is refused.
  for (const role of ['snapshot', 'timestamp']) {
    const rotate = await r.app.inject({ method: 'POST', url: `${url}${role}.key`, headers: { authorization: 'Bearer pete' } });
    assert.equal(rotate.statusCode, 403, role);
    assert.equal(errorCode(rotate), 'DENIED', role);
  }
  assert.equal(reached.length, 0, 'no refused rotation reached the Notary service');

  // Publishing still needs push only, reading pull; the delete member forgets the GUN.
  assert.equal((await as('pete', 'POST')).statusCode, 200);
  assert.equal((await as('pia', 'GET', 'root.json')).statusCode, 200);
  assert.equal((await as('dora', 'DELETE')).statusCode, 200);
  assert.deepEqual(
    reached.map((q) => `${q.method} ${q.gun} ${q.path}`),
    ['POST registry.test/team/app ', 'GET registry.test/team/app root.json', 'DELETE registry.test/team/app '],
  );
});
