/**
 * Who may use the UI's forms (manage.ts), on a registry with accounts in
 * process (manage-ui.ts): every project form posted by a pull, push and
 * delete member (403, the admin API's refusal, on the page; nothing
 * changed), the project's admin and a registry administrator (done), and
 * an anonymous caller (403: only a session may post); a project the caller
 * cannot see (no role, another project, no such project) answers the same
 * 404; a missing, wrong, other session's or cross-site form token is
 * refused before anything is done. The administration page and its forms
 * are registry administrators' only (404 for others).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { post, signedInManageUi, type ManageUser } from './manage-ui.js';

const fx = signedInManageUi();
const sessions = fx.sessions;
const ADMIN = basic('admin', ADMIN_PASSWORD);

type Fields = ReadonlyArray<readonly [string, string]>;

/** A form and, for each poster, fields that would succeed (targets made beforehand through the API). */
interface FormCase {
  readonly path: string;
  fields(tag: string): Promise<Fields>;
  /** What success answers: a redirect back, or a page (a secret shown once). */
  readonly success: 303 | 200;
}

async function seedUser(name: string): Promise<void> {
  const res = await api(fx.ui.app, 'POST', '/users', ADMIN, { name, password: 'a-long-password-123' });
  assert.ok(res.statusCode === 201 || res.statusCode === 409, res.body);
}

async function seedWebhook(): Promise<string> {
  const res = await api(fx.ui.app, 'POST', '/projects/team/webhooks', ADMIN, { url: 'https://hooks.example/in' });
  assert.equal(res.statusCode, 201, res.body);
  return (JSON.parse(res.body) as { id: string }).id;
}

const FORMS: readonly FormCase[] = [
  { path: 'members', success: 303, fields: async (tag) => (await seedUser(`m-${tag}`), [['user', `m-${tag}`], ['role', 'push']]) },
  {
    path: 'members/remove',
    success: 303,
    fields: async (tag) => {
      await seedUser(`r-${tag}`);
      assert.equal((await api(fx.ui.app, 'PUT', `/projects/team/members/r-${tag}`, ADMIN, { role: 'pull' })).statusCode, 200);
      return [['user', `r-${tag}`]];
    },
  },
  { path: 'robots', success: 200, fields: async (tag) => [['name', `bot-${tag}`], ['actions', 'pull'], ['expiresInDays', '30']] },
  {
    path: 'robots/revoke',
    success: 303,
    fields: async (tag) => {
      assert.equal((await api(fx.ui.app, 'POST', '/projects/team/robots', ADMIN, { name: `old-${tag}`, actions: ['pull'] })).statusCode, 201);
      return [['robot', `robot$team+old-${tag}`]];
    },
  },
  { path: 'webhooks', success: 200, fields: async () => [['url', 'https://hooks.example/new'], ['events', 'push']] },
  { path: 'webhooks/remove', success: 303, fields: async () => [['webhook', await seedWebhook()]] },
  {
    path: 'webhooks/redeliver',
    success: 303,
    fields: async () => {
      const webhook = await seedWebhook();
      const id = randomUUID();
      const at = new Date().toISOString();
      await fx.ui.webhooks.service.store.addDeliveries([{ id, webhookId: webhook, project: 'team', event: 'push', eventId: randomUUID(), body: '{"event":"push"}', state: 'failed', attempts: 1, nextAttemptAt: at, createdAt: at, updatedAt: at }]);
      return [['delivery', `${webhook}/${id}`]];
    },
  },
  { path: 'settings', success: 303, fields: async () => [['untaggedRetention', '5d'], ['denySeverity', 'CRITICAL'], ['retention', '']] },
];

function form(user: ManageUser | undefined, project: string, path: string, fields: Fields, csrf?: string): Promise<LightMyRequestResponse> {
  const session = user ? sessions.get(user) : undefined;
  return post(fx.ui.app, `/ui/p/${project}/${path}`, session, [['csrf', csrf ?? session?.csrf ?? ''], ...fields]);
}

const heading = (body: string): string => /<h1>(.*?)<\/h1>/.exec(body)?.[1] ?? '';

describe('project forms: the permission matrix', () => {
  for (const c of FORMS) {
    test(`${c.path}: pull, push and delete members are refused (403), anonymous too; the project's admin and a registry administrator may`, async () => {
      let n = 0;
      for (const user of ['pia', 'pete', 'dora'] as const) {
        const res = await form(user, 'team', c.path, await c.fields(`${user}${n++}`));
        assert.equal(res.statusCode, 403, `${user}: ${res.body.slice(0, 300)}`);
        assert.match(res.body, /<h1>Change refused<\/h1>\n<p id="problem">managing project team needs its admin role<\/p>/, user);
        assert.doesNotMatch(res.body, /class="manage"/, `${user}: no forms`);
      }
      const anonymous = await form(undefined, 'team', c.path, await c.fields(`anon${n++}`));
      assert.equal(anonymous.statusCode, 403);
      assert.match(anonymous.body, /Sign in to the UI to make changes here/);
      for (const user of ['alice', 'admin'] as const) {
        const res = await form(user, 'team', c.path, await c.fields(`${user}${n++}`));
        assert.equal(res.statusCode, c.success, `${user}: ${res.body.slice(0, 600)}`);
        if (c.success === 303) assert.match(String(res.headers.location), /^\/ui\/p\/team\?done=[a-z.]+$/);
      }
    });
  }

  test('a project the caller cannot see answers 404 for every form: no role, another project, no such project', async () => {
    for (const c of FORMS) {
      for (const [user, project] of [['dave', 'team'], ['alice', 'other'], ['carol', 'team'], ['alice', 'nosuch'], ['admin', 'nosuch']] as const) {
        const res = await form(user, project, c.path, [['user', 'pia'], ['role', 'admin'], ['name', 'bot'], ['actions', 'pull'], ['url', 'https://hooks.example/x']]);
        assert.equal(res.statusCode, 404, `${user} ${project} ${c.path}`);
        assert.equal(heading(res.body), 'Project not found');
      }
    }
  });

  test('project members below admin see no forms; the admin does', async () => {
    for (const user of ['pia', 'pete', 'dora'] as const) {
      const page = await fx.ui.app.inject({ method: 'GET', url: '/ui/p/team', headers: { cookie: sessions.get(user)!.cookie } });
      assert.equal(page.statusCode, 200);
      assert.doesNotMatch(page.body, /class="manage"/, user);
    }
    const page = await fx.ui.app.inject({ method: 'GET', url: '/ui/p/team', headers: { cookie: sessions.get('alice')!.cookie } });
    for (const id of ['form-members', 'form-members-remove', 'form-robots', 'form-webhooks', 'form-settings']) assert.match(page.body, new RegExp(`id="${id}"`), id);
    assert.match(page.body, /<span id="setting-quota-fixed">/, 'a project admin sees the quota, not a field for it');
    const admin = await fx.ui.app.inject({ method: 'GET', url: '/ui/p/team', headers: { cookie: sessions.get('admin')!.cookie } });
    assert.match(admin.body, /<input id="setting-quota" name="quota"/);
  });
});

describe('project forms: the form token', () => {
  test('missing, wrong, another session\'s, or posted from another site: 403, and nothing is done', async () => {
    await seedUser('csrf-target');
    const fields: Fields = [['user', 'csrf-target'], ['role', 'admin']];
    const alice = sessions.get('alice')!;
    const tries: Array<[string, Promise<LightMyRequestResponse>]> = [
      ['missing', post(fx.ui.app, '/ui/p/team/members', alice, fields)],
      ['wrong', form('alice', 'team', 'members', fields, 'A'.repeat(43))],
      ['another session', form('alice', 'team', 'members', fields, sessions.get('admin')!.csrf)],
      ['cross-site', post(fx.ui.app, '/ui/p/team/members', alice, [['csrf', alice.csrf], ...fields], { 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [what, response] of tries) {
      const res = await response;
      assert.equal(res.statusCode, 403, what);
      assert.match(res.body, /The form did not come from this page/, what);
    }
    const members = JSON.parse((await api(fx.ui.app, 'GET', '/projects/team/members', ADMIN)).body) as { members: Array<{ user: string }> };
    assert.equal(members.members.some((m) => m.user === 'csrf-target'), false);
  });

  test('Basic credentials without a session cannot post a form', async () => {
    const res = await fx.ui.app.inject({ method: 'POST', url: '/ui/p/team/members', payload: 'user=dave&role=admin', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: ADMIN } });
    assert.equal(res.statusCode, 403);
  });
});

describe('the administration page', () => {
  test('registry administrators only: others get 404, anonymous callers go to sign in', async () => {
    const page = await fx.ui.app.inject({ method: 'GET', url: '/ui/admin', headers: { cookie: sessions.get('admin')!.cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="form-create-projects"/);
    assert.match(page.body, /<a href="\/ui\/admin">Administration<\/a>/);
    for (const user of ['alice', 'dave'] as const) {
      assert.equal((await fx.ui.app.inject({ method: 'GET', url: '/ui/admin', headers: { cookie: sessions.get(user)!.cookie } })).statusCode, 404, user);
      const created = await post(fx.ui.app, '/ui/admin/projects', sessions.get(user), [['csrf', sessions.get(user)!.csrf], ['name', `by-${user}`]]);
      assert.equal(created.statusCode, 404, user);
      const userMade = await post(fx.ui.app, '/ui/admin/users', sessions.get(user), [['csrf', sessions.get(user)!.csrf], ['name', `u-${user}`], ['password', 'a-long-password-123']]);
      assert.equal(userMade.statusCode, 404, user);
    }
    const alicePage = await fx.ui.app.inject({ method: 'GET', url: '/ui/p/team', headers: { cookie: sessions.get('alice')!.cookie } });
    assert.doesNotMatch(alicePage.body, /Administration/);
    const anonymous = await fx.ui.app.inject({ method: 'GET', url: '/ui/admin' });
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/ui/login?next=%2Fui%2Fadmin');
    assert.equal((await post(fx.ui.app, '/ui/admin/projects', undefined, [['name', 'anon']])).statusCode, 403);
    const projects = JSON.parse((await api(fx.ui.app, 'GET', '/projects', ADMIN)).body) as { projects: Array<{ name: string }> };
    assert.deepEqual(projects.projects.map((p) => p.name).filter((n) => n.startsWith('by-') || n === 'anon'), []);
  });

  test('a registry administrator creates a public project and a user; the new user signs in', async () => {
    const admin = sessions.get('admin')!;
    const project = await post(fx.ui.app, '/ui/admin/projects', admin, [['csrf', admin.csrf], ['name', 'fresh'], ['public', 'true']]);
    assert.equal(project.statusCode, 303);
    assert.equal(project.headers.location, '/ui/p/fresh?done=project.created');
    const shown = await fx.ui.app.inject({ method: 'GET', url: String(project.headers.location), headers: { cookie: admin.cookie } });
    assert.match(shown.body, /<p class="done" id="form-done" role="status">Project created.<\/p>/);
    assert.match(shown.body, /data-meta="Visibility">public/);
    const user = await post(fx.ui.app, '/ui/admin/users', admin, [['csrf', admin.csrf], ['name', 'erin'], ['password', 'erin-password-0123']]);
    assert.equal(user.statusCode, 303);
    assert.equal(user.headers.location, '/ui/admin?done=user.created');
    assert.equal((await api(fx.ui.app, 'GET', '/users/erin', basic('erin', 'erin-password-0123'))).statusCode, 200);
    const short = await post(fx.ui.app, '/ui/admin/users', admin, [['csrf', admin.csrf], ['name', 'frank'], ['password', 'short']]);
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /passwords must be at least 12 characters/);
    assert.doesNotMatch(short.body, /value="short"/, 'a refused password is not put back in the page');
    const again = await post(fx.ui.app, '/ui/admin/projects', admin, [['csrf', admin.csrf], ['name', 'fresh']]);
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /project fresh exists/);
  });
});
