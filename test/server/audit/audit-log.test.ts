/**
 * The audit log of a registry with accounts, in process (SQLite): a sequence
 * of pushes, pulls, deletes, logins (one wrong), a policy refusal and
 * permission changes produces exactly the expected events, in order, with
 * principal and address; GET /api/v1/audit shows everything to a registry
 * administrator, their projects' events to a project admin, nothing to
 * others; pages follow the Link header without gaps or repeats; hostile
 * parameters are 400 with one line.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { auditPlugin } from '../../../src/server/audit/http.js';
import { AuditRecorder } from '../../../src/server/audit/recorder.js';
import { buildApp } from '../../../src/server/app.js';
import { newInternalToken, withInternalToken } from '../../../src/server/auth/internal-token.js';
import { accountPlugins, openAccounts, type OpenedAccounts } from '../../../src/server/auth/open-accounts.js';
import { SqliteAuditStore } from '../../../src/server/metadata/audit-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { PullPolicy, RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { pushImage } from '../api/helpers.js';
import { captureLog, type CapturedLog } from '../../support/registry-log.js';
import { ADMIN_PASSWORD, api, basic, SERVICE } from '../auth/accounts-registry.js';

const ADMIN = basic('admin', ADMIN_PASSWORD);
const ALICE_PASSWORD = 'alice-password-0123';
const CAROL_PASSWORD = 'carol-password-0123';
const ALICE = basic('alice', ALICE_PASSWORD);
const CAROL = basic('carol', CAROL_PASSWORD);

let app: FastifyInstance;
let accounts: OpenedAccounts;
let metadata: SqliteMetadataStore;
let blobs: FilesystemBlobStore;
let store: SqliteAuditStore;
let recorder: AuditRecorder;
let captured: CapturedLog;
let firstDigest: string;
let badDigest: string;
let layerDigest: string;

const policy: PullPolicy = {
  check: async (record) => (record.repository === 'team/bad' ? { allowed: false, reason: 'CRITICAL findings: CVE-2026-0001', kind: 'vulnerable' } : { allowed: true }),
};

/** Lets onResponse hooks run, then stores what they recorded. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await recorder.flush();
}

async function ok(response: Promise<LightMyRequestResponse>, status: number): Promise<LightMyRequestResponse> {
  const res = await response;
  assert.equal(res.statusCode, status, res.body);
  return res;
}

before(async () => {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-audit-'));
  metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  blobs = new FilesystemBlobStore(join(root, 'blobs'));
  accounts = await openAccounts({ root, settings: { adminPassword: ADMIN_PASSWORD }, publicUrl: () => 'http://registry.test', service: () => SERVICE, loginLimits: { perUser: 1000, perAddress: 1000 } });
  const access = withInternalToken(accounts.access, newInternalToken());
  store = new SqliteAuditStore(join(root, 'registry.sqlite'));
  captured = captureLog('info');
  recorder = new AuditRecorder({ store, log: captured.log });
  const services: RegistryServices = { blobs, metadata, auth: access, pullPolicy: policy };
  app = buildApp(services, { plugins: [auditPlugin(recorder), ...accountPlugins(access, metadata, { audit: { store, flush: () => recorder.flush() } })] });
  await app.ready();

  await ok(api(app, 'POST', '/projects', ADMIN, { name: 'team' }), 201);
  await ok(api(app, 'POST', '/projects', ADMIN, { name: 'other' }), 201);
  await ok(api(app, 'POST', '/users', ADMIN, { name: 'alice', password: ALICE_PASSWORD }), 201);
  await ok(api(app, 'POST', '/users', ADMIN, { name: 'carol', password: CAROL_PASSWORD }), 201);
  await ok(api(app, 'PUT', '/projects/team/members/alice', ADMIN, { role: 'push' }), 200);
  await ok(api(app, 'PUT', '/projects/other/members/carol', ADMIN, { role: 'admin' }), 200);
  firstDigest = (await pushImage(app, 'team/app', 'v1', { headers: { authorization: ALICE } })).digest;
  await ok(app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1', headers: { authorization: ALICE } }), 200);
  await ok(app.inject({ method: 'HEAD', url: `/v2/team/app/manifests/${firstDigest}`, headers: { authorization: ALICE } }), 200);
  const manifest = JSON.parse((await app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1', headers: { authorization: ALICE } })).body) as { layers: Array<{ digest: string }> };
  layerDigest = manifest.layers[0]!.digest;
  await ok(app.inject({ method: 'GET', url: `/v2/team/app/blobs/${layerDigest}`, headers: { authorization: ALICE } }), 200);
  await ok(app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1', headers: { authorization: basic('bob', 'not-the-password') }, remoteAddress: '203.0.113.7' }), 401);
  await ok(app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/v1', headers: { authorization: ALICE } }), 403);
  badDigest = (await pushImage(app, 'team/bad', '1', { headers: { authorization: ALICE } })).digest;
  await ok(app.inject({ method: 'GET', url: '/v2/team/bad/manifests/1', headers: { authorization: ALICE } }), 403);
  await ok(app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/v1', headers: { authorization: ADMIN } }), 202);
  await ok(app.inject({ method: 'DELETE', url: `/v2/team/app/blobs/${manifest.layers[0]!.digest}`, headers: { authorization: ADMIN } }), 202);
  await ok(app.inject({ method: 'DELETE', url: `/v2/team/bad/manifests/${badDigest}`, headers: { authorization: ADMIN } }), 202);
  await ok(api(app, 'DELETE', '/projects/team/members/alice', ADMIN), 204);
  await ok(app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' }), 401);
  await ok(app.inject({ method: 'GET', url: `/token?service=${SERVICE}&scope=repository:team/app:pull`, headers: { authorization: ALICE } }), 200);
  await pushImage(app, 'other/lib', '1', { headers: { authorization: ADMIN } });
  await settle();
});

after(async () => {
  await app?.close();
  await recorder?.close();
  await store?.close();
  await accounts?.close();
  await metadata?.close();
  await blobs?.close();
});

type Row = Record<string, unknown>;
async function audit(query: string, authorization: string | undefined): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/audit${query}`, headers: authorization ? { authorization } : {} });
  await settle();
  return res;
}
const eventsOf = (res: LightMyRequestResponse): Row[] => (JSON.parse(res.body) as { events: Row[] }).events;
const brief = (e: Row): string => [e.action, e.outcome, e.principal, e.repository ?? e.project ?? '-', e.tag ?? '-'].join(' ');

describe('the audit log', () => {
  test('the sequence gives exactly these events, oldest first, with principal and address', async () => {
    const events = eventsOf(await audit('?n=1000', ADMIN)).reverse();
    assert.deepEqual(events.map(brief), [
      'login success admin - -',
      'project.created success admin team -',
      'project.created success admin other -',
      'user.created success admin - -',
      'user.created success admin - -',
      'member.set success admin team -',
      'member.set success admin other -',
      'login success alice - -',
      'push success alice team/app v1',
      'pull success alice team/app v1',
      'pull success alice team/app -',
      'pull success alice team/app v1',
      'login failure bob - -',
      'delete denied alice team/app v1',
      'push success alice team/bad 1',
      'pull.denied denied alice team/bad 1',
      'delete success admin team/app v1',
      'delete success admin team/app -',
      'delete success admin team/bad -',
      'member.removed success admin team -',
      'login success alice - -',
      'push success admin other/lib 1',
    ]);
    const byBrief = (prefix: string): Row => events.find((e) => brief(e).startsWith(prefix))!;
    assert.deepEqual(
      events.map((e) => e.ip),
      events.map((e) => (e.principal === 'bob' ? '203.0.113.7' : '127.0.0.1')),
    );
    assert.ok(events.every((e) => typeof e.requestId === 'string' && /^[0-9a-f]{16}$/.test(e.requestId)));
    assert.deepEqual(byBrief('login failure bob'), { ...byBrief('login failure bob'), principalKind: 'user', detail: { reason: 'invalid', via: 'registry' } });
    assert.equal(byBrief('push success alice team/app').digest, firstDigest);
    assert.equal(byBrief('pull success alice team/app -').digest, firstDigest);
    assert.deepEqual(byBrief('pull success alice team/app -').detail, { method: 'HEAD' });
    assert.deepEqual(byBrief('pull.denied').detail, { reason: 'CRITICAL findings: CVE-2026-0001', kind: 'vulnerable' });
    assert.equal(byBrief('pull.denied').digest, badDigest);
    assert.deepEqual(byBrief('delete denied').detail, { what: 'tag', status: 403 });
    assert.deepEqual(byBrief('delete success').detail, { what: 'tag' });
    assert.equal(byBrief('delete success').digest, firstDigest);
    assert.deepEqual([byBrief('delete success admin team/app -').digest, byBrief('delete success admin team/app -').detail], [layerDigest, { what: 'blob' }]);
    assert.deepEqual([byBrief('delete success admin team/bad').digest, byBrief('delete success admin team/bad').detail], [badDigest, { what: 'manifest', accessories: 0 }]);
    assert.deepEqual(byBrief('member.set success admin team').detail, { user: 'alice', role: 'push' });
    assert.deepEqual(events.at(-2)!.detail, { via: 'token', grant: 'basic', scopes: [] }, 'a token is a login; alice may no longer pull team/app');
    assert.deepEqual(events[0]!.detail, { via: 'basic' });
    const everything = JSON.stringify(events) + JSON.stringify(captured.lines);
    for (const secret of [ADMIN_PASSWORD, ALICE_PASSWORD, CAROL_PASSWORD, 'not-the-password']) assert.ok(!everything.includes(secret), 'never a password');
    assert.equal(captured.events('audit').length, events.length + 0, 'the log export has every stored event');
  });

  test('a project admin reads the events of their projects only; others are refused', async () => {
    const carol = eventsOf(await ok(audit('', CAROL), 200));
    assert.deepEqual(carol.map(brief), ['push success admin other/lib 1', 'member.set success admin other -', 'project.created success admin other -']);
    assert.deepEqual(eventsOf(await ok(audit('?repository=other/lib', CAROL), 200)).map(brief), ['push success admin other/lib 1']);
    const hidden = await ok(audit('?project=team', CAROL), 404);
    assert.equal(JSON.parse(hidden.body).errors[0].message, 'project team does not exist', 'a project she cannot see is as one that does not exist');
    assert.equal(JSON.parse((await ok(audit('', ALICE), 403)).body).errors[0].code, 'DENIED');
    const anonymous = await ok(audit('', undefined), 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Bearer realm=/);
  });

  test('filters, and pages that follow the Link header with every filter kept', async () => {
    const failures = eventsOf(await audit('?user=bob&outcome=failure&action=login', ADMIN));
    assert.deepEqual(failures.map((e) => [e.principal, e.ip]), [['bob', '203.0.113.7']]);
    assert.deepEqual(eventsOf(await audit('?until=1h&since=2020-01-01', ADMIN)), [], 'nothing older than an hour');
    const all = eventsOf(await audit('?n=1000', ADMIN));
    const seen: Row[] = [];
    let url: string | undefined = '/api/v1/audit?n=3';
    for (let pages = 0; url !== undefined && pages < 50; pages++) {
      const res: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } });
      const page = eventsOf(res);
      assert.ok(page.length <= 3);
      for (const e of page) seen.push(e);
      const link: string = String(res.headers.link ?? '');
      url = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    }
    assert.deepEqual(seen.map((e) => e.id), all.map((e) => e.id), 'every event once, newest first');
    const pushes = await app.inject({ method: 'GET', url: '/api/v1/audit?action=push&n=1', headers: { authorization: ADMIN } });
    const next = JSON.parse(pushes.body) as { next: string };
    assert.equal(pushes.headers.link, `</api/v1/audit?action=push&n=1&cursor=${next.next}>; rel="next"`);
  });

  test('hostile parameters are 400 with one line', async () => {
    for (const query of [
      '?n=0',
      '?n=abc',
      '?n=99999999',
      '?since=yesterday',
      '?since=2026-13-45T99:99:99Z',
      '?since=2026-01-02&until=2026-01-01',
      '?action=DROP%20TABLE',
      '?outcome=maybe',
      '?bogus=1',
      '?user=a&user=b',
      '?user=',
      '?user=%00root',
      '?cursor=../../etc',
      '?cursor=99999999999999999999-1',
      `?repository=${'a'.repeat(300)}`,
      '?repository=Team/App',
      '?project=a/b',
      `?user=${'x'.repeat(5000)}`,
    ]) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/audit${query}`, headers: { authorization: ADMIN } });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      const error = (JSON.parse(res.body) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
      assert.equal(error.code, 'INVALID');
      assert.doesNotMatch(error.message, /\n/);
      assert.ok(error.message.length < 300, error.message);
    }
  });
});
