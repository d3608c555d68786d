/**
 * What the UI's forms do (manage.ts), on a registry with accounts in
 * process (manage-ui.ts): a robot's secret is on the answer to "Create
 * robot" and nowhere after (and it works: a /v2/ request with it), with
 * the expiry asked for; settings saved as the admin API saves them (the
 * same values back from GET …/settings), the quota a registry
 * administrator's only, bad values refused with the API's message and
 * hostile text shown as text; webhook URLs checked as the API checks them
 * (no metadata service, no loopback); a member added, changed, removed;
 * each action's audit record names the UI's user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { manageUi, post, signInManage, type ManageUi } from './manage-ui.js';

let ui: ManageUi;
let alice: { cookie: string; csrf: string };
let admin: { cookie: string; csrf: string };
const ADMIN = basic('admin', ADMIN_PASSWORD);

before(async () => {
  ui = await manageUi();
  alice = await signInManage(ui.app, 'alice');
  admin = await signInManage(ui.app, 'admin');
});

after(async () => {
  await ui?.close();
});

function form(session: { cookie: string; csrf: string }, path: string, fields: ReadonlyArray<readonly [string, string]>) {
  return post(ui.app, `/ui/p/team/${path}`, session, [['csrf', session.csrf], ...fields]);
}

async function page(session: { cookie: string }, url = '/ui/p/team'): Promise<string> {
  const res = await ui.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
  assert.equal(res.statusCode, 200);
  return res.body;
}

describe('robots', () => {
  test('the secret is shown once, on the answer to the form; it works; the expiry is the one asked for', async () => {
    const before = Date.now();
    const res = await form(alice, 'robots', [['name', 'deploy'], ['actions', 'pull'], ['actions', 'push'], ['expiresInDays', '30'], ['description', '<i>ships</i>']]);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const secret = /<code id="robot-secret">([^<]+)<\/code>/.exec(res.body)?.[1];
    assert.ok(secret && secret.length >= 32, 'the secret is on the page');
    assert.match(res.body, /<code id="created-robot-name">robot\$team\+deploy<\/code>/);
    const expires = Date.parse(/<dd id="robot-expires"><time datetime="([^"]+)"/.exec(res.body)?.[1] ?? '');
    assert.ok(Math.abs(expires - (before + 30 * 86_400_000)) < 120_000, 'expires in 30 days');
    const pull = await ui.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers: { authorization: basic('robot$team+deploy', secret) } });
    assert.equal(pull.statusCode, 200, 'the robot signs in with the secret');
    for (const url of ['/ui/p/team', '/ui/p/team?done=robot.revoked']) assert.equal((await page(alice, url)).includes(secret), false, `${url} shows the secret`);
    assert.equal((await api(ui.app, 'GET', '/projects/team/robots', ADMIN)).body.includes(secret), false);
    assert.match(await page(alice), /the &lt;i&gt;ships&lt;\/i&gt;|&lt;i&gt;ships&lt;\/i&gt;/);
    const twice = await form(alice, 'robots', [['name', 'deploy'], ['actions', 'pull']]);
    assert.equal(twice.statusCode, 409, 'posting again does not show a secret: the robot exists');
    assert.doesNotMatch(twice.body, /robot-secret/);
    const revoked = await form(alice, 'robots/revoke', [['robot', 'robot$team+deploy']]);
    assert.equal(revoked.statusCode, 303);
    assert.match(await page(alice), /data-robot="robot\$team\+deploy">[\s\S]*?data-robot-state="revoked"/);
    const refused = await ui.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers: { authorization: basic('robot$team+deploy', secret) } });
    assert.equal(refused.statusCode, 401, 'a revoked robot is refused');
  });

  test('bad robot fields are refused with the API\'s message, the form filled again', async () => {
    const res = await form(alice, 'robots', [['name', 'Bad Name'], ['actions', 'pull'], ['expiresInDays', 'soon']]);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /<p class="error" id="form-error" role="alert">name: lowercase letters and digits/);
    assert.match(res.body, /<input id="robot-name" name="name" required maxlength="64" autocomplete="off" value="Bad Name">/);
    const days = await form(alice, 'robots', [['name', 'ok'], ['actions', 'pull'], ['expiresInDays', 'soon']]);
    assert.equal(days.statusCode, 400);
    assert.match(days.body, /&quot;expiresInDays&quot; must be a whole number/);
  });
});

describe('settings', () => {
  test('a project admin saves retention, untagged retention and the pull threshold; the API reads them back', async () => {
    const res = await form(alice, 'settings', [['untaggedRetention', '3d'], ['denySeverity', 'HIGH'], ['retention', '[{"tags":"v*","keepLast":5}]']]);
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers.location, '/ui/p/team?done=project.settings');
    assert.match(await page(alice, String(res.headers.location)), /Settings saved\./);
    const stored = JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>;
    assert.deepEqual(stored, { quota: null, untaggedRetention: '3d', retention: [{ tags: 'v*', keepLast: 5 }], denySeverity: 'HIGH', trustPolicy: null });
  });

  test('saving the form keeps the project trust policy set through the API (the form has no field for it)', async () => {
    const policy = { keys: ['root-certified'], attestations: [{ type: 'vuln', maxAge: '7d', condition: 'no CRITICAL finding' }] };
    const current = JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>;
    const put = await api(ui.app, 'PUT', '/projects/team/settings', ADMIN, { ...current, trustPolicy: policy });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal((await form(alice, 'settings', [['untaggedRetention', '5d'], ['denySeverity', 'HIGH'], ['retention', '[]']])).statusCode, 303);
    const stored = JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>;
    assert.equal(stored.untaggedRetention, '5d');
    assert.deepEqual(stored.trustPolicy, policy, 'the trust policy survives a save of the form');
  });

  test('a project admin sets, shows and clears the trust policy through the form; bad JSON and bad rules are refused with the message', async () => {
    const policy = { keys: ['root-certified'], attestations: [{ type: 'vuln', maxAge: '7d', condition: 'no CRITICAL finding' }] };
    const set = await form(alice, 'settings', [['untaggedRetention', '3d'], ['trustPolicy', JSON.stringify(policy)]]);
    assert.equal(set.statusCode, 303, set.body);
    const stored = JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>;
    assert.deepEqual(stored.trustPolicy, policy);
    const shown = await page(alice);
    assert.match(shown, /<dd data-setting="trustPolicy"><code>\{&quot;keys&quot;:\[&quot;root-certified&quot;\]/);
    assert.match(shown, /<textarea id="setting-trust" name="trustPolicy"[^>]*>\{\n &quot;keys&quot;/);
    const notJson = await form(alice, 'settings', [['trustPolicy', '{"keys": [']]);
    assert.equal(notJson.statusCode, 400);
    assert.match(notJson.body, /trustPolicy: not JSON/);
    const badRule = await form(alice, 'settings', [['trustPolicy', '{"keys":["./evil.pub"],"match":"<script>x</script>"}']]);
    assert.equal(badRule.statusCode, 400);
    assert.doesNotMatch(badRule.body, /<script>x<\/script>/);
    assert.deepEqual((JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>).trustPolicy, policy, 'a refused form changes nothing');
    assert.equal((await form(alice, 'settings', [['untaggedRetention', '3d'], ['trustPolicy', '']])).statusCode, 303);
    assert.equal((JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>).trustPolicy, null, 'an empty field clears it');
  });

  test('the quota: a registry administrator sets it; a project admin cannot change it, and saving keeps it', async () => {
    assert.equal((await form(admin, 'settings', [['quota', '10GiB'], ['untaggedRetention', '3d']])).statusCode, 303);
    const refused = await form(alice, 'settings', [['quota', '1TiB'], ['untaggedRetention', '3d']]);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /the storage quota of project team is set by a registry administrator/);
    assert.equal((await form(alice, 'settings', [['untaggedRetention', '7d']])).statusCode, 303, 'without the field, the stored quota is sent back');
    const stored = JSON.parse((await api(ui.app, 'GET', '/projects/team/settings', ADMIN)).body) as Record<string, unknown>;
    assert.equal(stored.quota, '10GiB');
    assert.equal(stored.untaggedRetention, '7d');
  });

  test('bad values are refused with the message, hostile text shown as text', async () => {
    const hostile = '<script>alert(1)</script>\u202e';
    const res = await form(alice, 'settings', [['untaggedRetention', hostile]]);
    assert.equal(res.statusCode, 400);
    assert.doesNotMatch(res.body, /<script>/);
    assert.match(res.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\\u\{202e\}/);
    const json = await form(alice, 'settings', [['retention', '[{"tags": ']]);
    assert.equal(json.statusCode, 400);
    assert.match(json.body, /retention: the rules are not JSON/);
    assert.match(json.body, /<textarea id="setting-retention" name="retention"[^>]*>\[\{&quot;tags&quot;: <\/textarea>/);
  });
});

describe('webhooks', () => {
  test('URLs are checked as the API checks them; a webhook is added with its secret shown once, and removed', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:5000/hook', 'http://user:pw@hooks.example/x', 'file:///etc/passwd']) {
      const res = await form(alice, 'webhooks', [['url', url]]);
      assert.equal(res.statusCode, 400, url);
      assert.match(res.body, /id="form-error" role="alert">&quot;url&quot;: /, url);
    }
    const added = await form(alice, 'webhooks', [['url', 'https://hooks.example/ci?token=q-secret'], ['events', 'push'], ['events', 'scan.completed'], ['secret', 'my-own-secret-0123456']]);
    assert.equal(added.statusCode, 200, added.body);
    assert.match(added.body, /<code id="webhook-secret-once">my-own-secret-0123456<\/code>/);
    const body = await page(alice);
    assert.equal(body.includes('my-own-secret-0123456'), false);
    assert.equal(body.includes('q-secret'), false);
    const id = /<tr data-webhook="([0-9a-f]{16})"/.exec(body)?.[1];
    assert.ok(id);
    assert.match(body, /<td class="events">push, scan\.completed<\/td>/);
    const removed = await form(alice, 'webhooks/remove', [['webhook', id]]);
    assert.equal(removed.statusCode, 303);
    assert.doesNotMatch(await page(alice), new RegExp(`data-webhook="${id}"`));
  });
});

describe('members', () => {
  test('added, role changed, removed; an unknown user is refused; each act is an audit record by the UI\'s user', async () => {
    assert.equal((await form(alice, 'members', [['user', 'dave'], ['role', 'pull']])).statusCode, 303);
    assert.match(await page(alice), /<tr data-member="dave"><td class="user">dave<\/td><td class="role" data-role="pull">/);
    assert.equal((await form(alice, 'members', [['user', 'dave'], ['role', 'delete']])).statusCode, 303);
    assert.match(await page(alice), /<tr data-member="dave"><td class="user">dave<\/td><td class="role" data-role="delete">/);
    assert.equal((await form(alice, 'members/remove', [['user', 'dave']])).statusCode, 303);
    assert.doesNotMatch(await page(alice), /data-member="dave"/);
    const unknown = await form(alice, 'members', [['user', 'nobody<b>'], ['role', 'pull']]);
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /user nobody&lt;b&gt; does not exist/);
    await ui.settle();
    const records = await ui.audit.query({ project: 'team', principal: 'alice', limit: 100 });
    const acts = records.map((r) => `${r.action} ${r.outcome} ${JSON.stringify(r.detail ?? {})}`);
    for (const expected of ['member.set success {"user":"dave","role":"pull"}', 'member.set success {"user":"dave","role":"delete"}', 'member.removed success {"user":"dave"}']) {
      assert.ok(acts.includes(expected), `${expected} in ${acts.join('\n')}`);
    }
    assert.ok(acts.some((a) => a.startsWith('robot.created success')));
    assert.ok(acts.some((a) => a.startsWith('project.settings success')));
    assert.ok(acts.some((a) => a.startsWith('webhook.created success')));
  });
});
