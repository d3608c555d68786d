/**
 * The audit log with real clients: `portcullis serve --accounts` in its own
 * process (log level warn), the admin CLI makes a project and a member,
 * skopeo logs in (once with a wrong password), pushes and pulls through the
 * token flow; then `portcullis registry audit --format json`, run as a user
 * runs it, shows those events with the principal and the address, and the
 * server's log has them as `event: "audit"` lines although its level is
 * warn.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCliProcess } from '../../support/cli.js';
import { peerImages, runCommand, type PeerImages } from '../../support/peers.js';
import { missingPeer } from '../../support/require-peer.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

const ADMIN_PASSWORD = 'admin-password-audit-1';
const ALICE_PASSWORD = 'alice-password-audit-1';
let serve: ServeProcess;
let work: string;
let images: PeerImages;
let env: NodeJS.ProcessEnv;

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-audit-peer-'));
  serve = await startServeProcess(['--accounts', '--root', join(work, 'root'), '--no-scan', '--audit-retention', '7d'], { env: { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  env = { ...process.env, PORTCULLIS_SERVER: serve.url, PORTCULLIS_USERNAME: 'admin', PORTCULLIS_PASSWORD: ADMIN_PASSWORD };
});

after(async () => {
  await serve?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('skopeo login, push and pull, then "portcullis registry audit --format json" shows them', async (t) => {
  const host = new URL(serve.url).host;
  const cli = (args: string[], input?: string) => runCliProcess(['registry', ...args], env, input);
  assert.equal((await cli(['project', 'create', 'team'])).code, 0);
  assert.equal((await cli(['user', 'add', 'alice', '--password-stdin'], `${ALICE_PASSWORD}\n`)).code, 0);
  assert.equal((await cli(['member', 'add', 'team', 'alice', 'push'])).code, 0);

  const authfile = join(work, 'auth.json');
  const wrong = await runCommand('skopeo', ['login', '--tls-verify=false', '--authfile', authfile, '-u', 'alice', '--password-stdin', host], { input: 'not-the-password\n' });
  if (wrong.code === 127) return missingPeer(t, 'skopeo');
  assert.notEqual(wrong.code, 0);
  const login = await runCommand('skopeo', ['login', '--tls-verify=false', '--authfile', authfile, '-u', 'alice', '--password-stdin', host], { input: `${ALICE_PASSWORD}\n` });
  assert.equal(login.code, 0, login.stderr);
  const push = await runCommand('skopeo', ['copy', '--dest-tls-verify=false', '--authfile', authfile, images.tinyOci, `docker://${host}/team/app:1`]);
  assert.equal(push.code, 0, push.stderr);
  const pull = await runCommand('skopeo', ['copy', '--src-tls-verify=false', '--authfile', authfile, `docker://${host}/team/app:1`, `oci:${join(work, 'out')}:1`]);
  assert.equal(pull.code, 0, pull.stderr);

  const audit = await cli(['audit', '--format', 'json', '--limit', '1000']);
  assert.equal(audit.code, 0, audit.stderr);
  const events = (JSON.parse(audit.stdout) as Array<Record<string, unknown>>).reverse();
  const of = (action: string, principal: string, outcome = 'success') => events.filter((e) => e.action === action && e.principal === principal && e.outcome === outcome);
  assert.deepEqual(of('member.set', 'admin').map((e) => [e.project, e.detail]), [['team', { user: 'alice', role: 'push' }]]);
  const failed = of('login', 'alice', 'failure');
  assert.equal(failed.length, 1, 'the wrong password, once');
  assert.deepEqual(failed[0]!.detail, { reason: 'invalid', via: 'token' });
  const logins = of('login', 'alice');
  assert.ok(logins.length >= 2, 'skopeo login and the push each got a token');
  assert.ok(logins.every((e) => (e.detail as { via?: string }).via === 'token' && e.ip === '127.0.0.1'));
  const pushes = of('push', 'alice');
  assert.deepEqual(pushes.map((e) => [e.repository, e.tag, e.ip]), [['team/app', '1', '127.0.0.1']]);
  assert.match(String(pushes[0]!.digest), /^sha256:[0-9a-f]{64}$/);
  const pulls = of('pull', 'alice');
  assert.ok(pulls.length >= 1 && pulls.every((e) => e.repository === 'team/app' && e.digest === pushes[0]!.digest), JSON.stringify(events.map((e) => [e.action, e.outcome, e.principal, e.repository, e.tag])));
  assert.ok(events.indexOf(failed[0]!) < events.indexOf(pushes[0]!) && events.indexOf(pushes[0]!) < events.indexOf(pulls.at(-1)!), 'in the order they happened');

  const exported = serve.lines.filter((l) => l.event === 'audit');
  assert.ok(exported.some((l) => l.action === 'push' && l.repository === 'team/app' && l.principal === 'alice'), 'the log export at --log-level warn');
  assert.equal(exported.filter((l) => l.action === 'login' && l.outcome === 'failure').length, 1);
  assert.doesNotMatch(JSON.stringify(serve.lines), new RegExp(`${ALICE_PASSWORD}|not-the-password`), 'never a password');
});
