/**
 * The accounts pages of the web UI, driven with `inject` over a registry
 * with accounts (accounts-ui.ts): who sees a project page (members and
 * registry administrators; a stranger, even of a public project, gets the
 * answer for a project that does not exist; anonymous callers go to sign
 * in), what it shows and never shows (robot secrets, webhook credentials
 * and query strings), "Scan now" (project admins with the session's form
 * token only; what reached the scan service), and the audit log (scoping as
 * GET /api/v1/audit, cursor paging by links, hostile names as text).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { FORMS_CONTENT_SECURITY_POLICY } from '../../../src/server/ui/plugin.js';
import { api, basic } from '../auth/accounts-registry.js';
import { accountsUi, HOSTILE_USER, PASSWORDS, signIn, WEBHOOK_SECRET_PARAM, type AccountsUi, type UserName } from './accounts-ui.js';

let ui: AccountsUi;
const sessions = new Map<UserName, { cookie: string; csrf: string }>();

before(async () => {
  ui = await accountsUi();
  for (const user of ['admin', 'alice', 'bob', 'carol', 'dave'] as const) sessions.set(user, await signIn(ui.app, user));
});

after(async () => {
  await ui?.close();
});

function get(url: string, user?: UserName): Promise<LightMyRequestResponse> {
  return ui.app.inject({ method: 'GET', url, headers: user ? { cookie: sessions.get(user)!.cookie } : {} });
}

function scanNow(user: UserName | undefined, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return ui.app.inject({
    method: 'POST',
    url: `/ui/r/team/app/m/${ui.digest}/scan`,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(user ? { cookie: sessions.get(user)!.cookie } : {}), ...headers },
  });
}

/** A problem page's title and text. */
function answerOf(body: string): string {
  return `${/<h1>(.*?)<\/h1>/.exec(body)?.[1]} ${/<p id="problem">(.*?)<\/p>/.exec(body)?.[1]}`;
}

describe('project pages', () => {
  test('members and registry administrators see the project: repositories, members with roles, robots, webhooks', async () => {
    for (const [user, role] of [['admin', 'registry administrator'], ['alice', 'admin'], ['bob', 'pull']] as const) {
      const res = await get('/ui/p/team', user);
      assert.equal(res.statusCode, 200, `${user}: ${res.body}`);
      assert.match(res.body, new RegExp(`data-meta="Your role">${role}<`));
      assert.match(res.body, /<tr data-repository="team\/app"><td class="name"><a href="\/ui\/r\/team\/app">team\/app<\/a>/);
      assert.match(res.body, /<tr data-member="alice"><td class="user">alice<\/td><td class="role" data-role="admin">admin<\/td>/);
      assert.match(res.body, /<tr data-member="bob"><td class="user">bob<\/td><td class="role" data-role="pull">pull<\/td>/);
      assert.match(res.body, /data-robot="robot\$team\+ci"/);
      assert.match(res.body, /<td class="actions">pull, push<\/td><td class="expires"><span class="none">never<\/span><\/td><td class="robot-state"><span class="state state-done" data-robot-state="active">/);
      assert.match(res.body, /the &lt;b&gt;CI&lt;\/b&gt; robot/, 'a robot description is text');
      assert.match(res.body, /<code>https:\/\/hooks\.example\/deliver\/here<\/code>/);
      assert.match(res.body, /<td class="events">push, scan\.completed<\/td>/);
      assert.match(res.body, /data-enabled="true">yes</);
      assert.match(res.body, /data-delivery="failed">failed \(HTTP 502\)/);
      assert.doesNotMatch(res.body, /other\/lib/, 'only this project\'s repositories');
      assert.match(res.body, /<dd data-setting="quota">10GiB<\/dd>/);
      assert.match(res.body, /<dd data-setting="untaggedRetention">3d<\/dd>/);
      assert.match(res.body, /<dd data-setting="denySeverity"><span class="none">the registry's default<\/span><\/dd>/);
      assert.match(res.body, /<ul id="retention-rules"><li><code>\{&quot;tags&quot;:&quot;v\*&quot;,&quot;keepLast&quot;:5\}<\/code><\/li><\/ul>/);
    }
    const other = await get('/ui/p/other', 'carol');
    assert.match(other.body, /<p id="settings" data-settings="none">None of its own: the registry's defaults apply/);
  });

  test('no secret reaches the page: robot secret and hash, webhook credentials, query string, fragment, signing secret, delivery body', async () => {
    const body = (await get('/ui/p/team', 'admin')).body;
    for (const secret of [ui.robotSecret, WEBHOOK_SECRET_PARAM, 'hook-query-secret-42', 'hookuser', 'hookpass', '#frag', 'sealed-secret-never-shown', 'never-shown']) {
      assert.equal(body.includes(secret), false, `the page shows ${secret}`);
    }
  });

  test('a stranger (no role, also of a public project) gets the answer for a project that does not exist', async () => {
    const missing = await get('/ui/p/nosuch', 'dave');
    assert.equal(missing.statusCode, 404);
    for (const [user, project] of [['dave', 'team'], ['carol', 'team'], ['dave', 'pub'], ['alice', 'other']] as const) {
      const res = await get(`/ui/p/${project}`, user);
      assert.equal(res.statusCode, 404, `${user} on ${project}`);
      assert.equal(answerOf(res.body).replace(`&quot;${project}&quot;`, '&quot;nosuch&quot;'), answerOf(missing.body));
    }
  });

  test('anonymous callers are sent to sign in, for a project that exists and one that does not alike', async () => {
    for (const project of ['team', 'pub', 'nosuch']) {
      const res = await get(`/ui/p/${project}`);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/ui/login?next=${encodeURIComponent(`/ui/p/${project}`)}`);
    }
  });

  test('a repository page links its project for those who may see it', async () => {
    assert.match((await get('/ui/r/team/app', 'bob')).body, /<p id="project-link">Project: <a href="\/ui\/p\/team">team<\/a><\/p>/);
    assert.match((await get('/ui/r/other/lib', 'admin')).body, /<p id="project-link">Project: <a href="\/ui\/p\/other">other<\/a><\/p>/);
    assert.doesNotMatch((await get('/ui/r/pub', 'dave')).body, /project-link/);
  });
});

describe('Scan now', () => {
  test('the button is on the image page for project and registry admins only, with the session token; forms allowed on that page', async () => {
    for (const user of ['alice', 'admin'] as const) {
      const res = await get(`/ui/r/team/app/m/${ui.digest}`, user);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, new RegExp(`<form method="post" action="/ui/r/team/app/m/${ui.digest}/scan" id="scan-now"[^>]*><input type="hidden" name="csrf" value="${sessions.get(user)!.csrf}">`));
      assert.equal(res.headers['content-security-policy'], FORMS_CONTENT_SECURITY_POLICY);
    }
    assert.doesNotMatch((await get(`/ui/r/team/app/m/${ui.digest}`, 'bob')).body, /id="scan-now"/);
  });

  test('refused without the session token, with a wrong one, from another site, for a pull member, for credentials without a session', async () => {
    const before = ui.rescans.length;
    const csrf = sessions.get('alice')!.csrf;
    assert.equal((await scanNow('alice', {})).statusCode, 403);
    assert.equal((await scanNow('alice', { csrf: `${csrf.slice(0, -1)}A` === csrf ? `${csrf.slice(0, -1)}B` : `${csrf.slice(0, -1)}A` })).statusCode, 403);
    assert.equal((await scanNow('alice', { csrf: sessions.get('bob')!.csrf })).statusCode, 403, 'another session\'s token');
    assert.equal((await scanNow('alice', { csrf }, { 'sec-fetch-site': 'cross-site' })).statusCode, 403);
    const bob = await scanNow('bob', { csrf: sessions.get('bob')!.csrf });
    assert.equal(bob.statusCode, 403);
    assert.match(bob.body, /needs the admin role/);
    assert.equal((await scanNow(undefined, { csrf }, { authorization: basic('alice', PASSWORDS.alice) })).statusCode, 403);
    assert.equal((await scanNow(undefined, {})).statusCode, 403);
    assert.equal(ui.rescans.length, before, 'nothing reached the scan service');
  });

  test('a project admin queues the scan: 303 back to the image page, which says it is queued', async () => {
    const res = await scanNow('alice', { csrf: sessions.get('alice')!.csrf });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers.location, `/ui/r/team/app/m/${ui.digest}?scan=queued`);
    assert.deepEqual(ui.rescans.at(-1), { repository: 'team/app', digest: ui.digest });
    const page = await get(res.headers.location, 'alice');
    assert.match(page.body, /<p class="notice" id="scan-queued" role="status">A scan of this image is queued/);
    const missing = await scanNow('admin', { csrf: sessions.get('admin')!.csrf }).then(() =>
      ui.app.inject({ method: 'POST', url: `/ui/r/team/app/m/sha256:${'0'.repeat(64)}/scan`, payload: `csrf=${sessions.get('admin')!.csrf}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: sessions.get('admin')!.cookie } }),
    );
    assert.equal(missing.statusCode, 404);
  });
});

/** Every event of an audit page: [action, principal, repository cell]. */
function rows(body: string): Array<{ id: string; action: string; repository: string }> {
  return [...body.matchAll(/<tr data-event="(\d+)" data-action="([^"]+)"[^>]*>.*?<td class="repository">(.*?)<\/td>/g)].map((m) => ({ id: m[1]!, action: m[2]!, repository: m[3]! }));
}

describe('the audit log', () => {
  test('a registry administrator reads every event, newest first, the same events as GET /api/v1/audit', async () => {
    await ui.settle();
    const res = await get('/ui/audit?n=1000', 'admin');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-security-policy'], FORMS_CONTENT_SECURITY_POLICY, 'the filter form');
    const fromApi = JSON.parse((await api(ui.app, 'GET', '/audit?n=1000', basic('admin', PASSWORDS.admin))).body) as { events: Array<{ id: string }> };
    const shown = rows(res.body).map((r) => r.id);
    assert.ok(shown.length > 10);
    assert.deepEqual(shown, fromApi.events.map((e) => e.id).filter((id) => shown.includes(id)));
    assert.deepEqual([...shown].sort((a, b) => Number(b) - Number(a)), shown, 'newest first');
    assert.ok(rows(res.body).some((r) => r.action === 'login'), 'events without a project too');
  });

  test('a project admin reads the events of their projects only; other users are refused; anonymous callers sign in', async () => {
    const alice = rows((await get('/ui/audit?n=1000', 'alice')).body);
    assert.ok(alice.length > 0);
    for (const r of alice) assert.match(r.repository, /^team/, JSON.stringify(r));
    const carol = rows((await get('/ui/audit?n=1000', 'carol')).body);
    assert.ok(carol.length > 0);
    for (const r of carol) assert.match(r.repository, /^other/);
    for (const user of ['bob', 'dave'] as const) assert.equal((await get('/ui/audit', user)).statusCode, 403);
    assert.equal((await get('/ui/audit?repository=other/lib', 'alice')).statusCode, 403, 'a project they do not administer');
    const anonymous = await get('/ui/audit');
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/ui/login?next=%2Fui%2Faudit');
  });

  test('filters as query parameters; empty form fields ignored; a bad filter is a 400 page', async () => {
    const pushes = rows((await get('/ui/audit?repository=team%2Fapp&user=&action=push&since=', 'admin')).body);
    assert.ok(pushes.length > 0);
    for (const r of pushes) assert.deepEqual([r.action, r.repository], ['push', 'team/app']);
    assert.match((await get('/ui/audit?action=push', 'admin')).body, /<option value="push" selected>push<\/option>/);
    const bad = await get('/ui/audit?since=yesterday', 'admin');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /since must be a time/);
    assert.equal((await get('/ui/audit?colour=red', 'admin')).statusCode, 400);
  });

  test('cursor paging by links: every event once, in order, with the filters kept', async () => {
    const all = rows((await get('/ui/audit?n=1000', 'admin')).body).map((r) => r.id);
    const seen: string[] = [];
    let url: string | undefined = '/ui/audit?n=3';
    for (let pages = 0; url && pages < 100; pages++) {
      const body: string = (await get(url, 'admin')).body;
      for (const r of rows(body)) seen.push(r.id);
      const next: string | undefined = /<a href="([^"]+)" id="audit-next"/.exec(body)?.[1];
      url = next?.replaceAll('&amp;', '&');
      if (url) assert.match(url, /^\/ui\/audit\?n=3&cursor=/);
      if (pages > 0) assert.match(body, /id="audit-newest"/);
    }
    assert.deepEqual(seen, all);
    const filtered = /<a href="([^"]+)" id="audit-next"/.exec((await get('/ui/audit?action=push&n=1', 'admin')).body)?.[1];
    assert.match(filtered ?? '', /^\/ui\/audit\?action=push&amp;n=1&amp;cursor=/);
  });

  test('hostile user names render as text', async () => {
    const body = (await get('/ui/audit?n=1000', 'admin')).body;
    assert.equal(body.includes(HOSTILE_USER), false);
    assert.equal(body.includes('<script>'), false);
    assert.match(body, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;\\u\{202e\}/);
  });

  test('a registry administrator demoted while signed in loses the audit log, foreign project pages and Scan now at once', async () => {
    const ADMIN = basic('admin', PASSWORDS.admin);
    assert.equal((await api(ui.app, 'PATCH', '/users/dave', ADMIN, { admin: true })).statusCode, 200);
    const dave = await signIn(ui.app, 'dave');
    const as = (url: string) => ui.app.inject({ method: 'GET', url, headers: { cookie: dave.cookie } });
    assert.equal((await as('/ui/audit')).statusCode, 200);
    assert.equal((await as('/ui/p/team')).statusCode, 200);
    assert.equal((await api(ui.app, 'PATCH', '/users/dave', ADMIN, { admin: false })).statusCode, 200);
    assert.equal((await as('/ui/audit')).statusCode, 403);
    assert.equal((await as('/ui/p/team')).statusCode, 404);
    const before = ui.rescans.length;
    const scan = await ui.app.inject({ method: 'POST', url: `/ui/r/team/app/m/${ui.digest}/scan`, payload: `csrf=${dave.csrf}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: dave.cookie } });
    assert.equal(scan.statusCode, 403);
    assert.equal(ui.rescans.length, before);
  });

  test('the header links the audit log for signed-in users', async () => {
    assert.match((await get('/ui/', 'bob')).body, /<nav class="sections" aria-label="sections"><a href="\/ui\/">Repositories<\/a><a href="\/ui\/audit">Audit log<\/a><\/nav>/);
  });
});
