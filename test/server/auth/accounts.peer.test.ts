/**
 * `portcullis serve --accounts` with real clients, in its own process:
 * - the admin CLI (`portcullis registry …`) makes a project, a user with a
 *   push role and a robot;
 * - skopeo `login` then copies the tiny image in and out following the
 *   Bearer challenge (token auth), and `--creds` for the robot;
 * - podman `login`, `push` and `pull` (vfs storage, plain HTTP);
 * - curl for the challenge and GET /token.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, runCliProcess } from '../../support/cli.js';
import { peerImages, runCommand, type PeerImages } from '../../support/peers.js';
import { missingPeer } from '../../support/require-peer.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

const ADMIN_PASSWORD = 'admin-password-peer-1';
const ALICE_PASSWORD = 'alice-password-peer-1';
let serve: ServeProcess;
let work: string;
let images: PeerImages;
let host: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-accounts-peer-'));
  serve = await startServeProcess(['--accounts', '--root', join(work, 'root'), '--no-scan'], { env: { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  host = new URL(serve.url).host;
  env = { ...process.env, PORTCULLIS_SERVER: serve.url, PORTCULLIS_USERNAME: 'admin', PORTCULLIS_PASSWORD: ADMIN_PASSWORD, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
});

after(async () => {
  await serve?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('the admin CLI makes a project, a member and a robot (secret shown once); errors exit with their codes', async () => {
  // The notice follows the start-up summary on stderr.
  for (let i = 0; i < 100 && !/created the administrator/.test(serve.stderr()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(serve.stderr(), /created the administrator "admin" with the password from PORTCULLIS_ADMIN_PASSWORD/);
  assert.doesNotMatch(JSON.stringify(serve.lines), new RegExp(ADMIN_PASSWORD), 'the password is never logged');
  const cli = (args: string[], input?: string) => (input !== undefined ? runCliProcess(['registry', ...args], env, input) : runCli(['registry', ...args], env));
  assert.equal((await cli(['project', 'create', 'team'])).code, 0);
  assert.equal((await cli(['project', 'create', 'team'])).code, 9, 'exists');
  const added = await cli(['user', 'add', 'alice', '--password-stdin'], `${ALICE_PASSWORD}\n`);
  assert.equal(added.code, 0, added.stderr);
  assert.equal((await cli(['member', 'add', 'team', 'alice', 'push'])).code, 0);
  const listed = await cli(['member', 'list', 'team', '--format', 'json']);
  assert.deepEqual(JSON.parse(listed.stdout), [{ user: 'alice', role: 'push' }]);
  const robot = await cli(['robot', 'create', 'team', 'ci', '--actions', 'pull', '--expires', '30d']);
  assert.equal(robot.code, 0, robot.stderr);
  assert.match(robot.stdout, /^[A-Za-z0-9_-]{43}\n$/);
  process.env.ROBOT_SECRET_FOR_TEST = robot.stdout.trim();
  assert.equal((await cli(['member', 'add', 'nope', 'alice', 'pull'])).code, 3, 'no such project');
  const denied = await runCli(['registry', 'user', 'list'], { ...env, PORTCULLIS_USERNAME: 'alice', PORTCULLIS_PASSWORD: ALICE_PASSWORD });
  assert.equal(denied.code, 4, denied.stderr);
  const wrong = await runCli(['registry', 'user', 'list'], { ...env, PORTCULLIS_PASSWORD: 'wrong-password' });
  assert.equal(wrong.code, 4, wrong.stderr);
});

test('curl: the challenge, GET /token with and without credentials', async () => {
  const challenge = await runCommand('curl', ['-s', '-o', '/dev/null', '-D', '-', `${serve.url}/v2/team/app/manifests/latest`]);
  if (challenge.code === 127) return;
  assert.match(challenge.stdout, /HTTP\/1\.1 401/);
  assert.match(challenge.stdout, new RegExp(`www-authenticate: Bearer realm="http://${host}/token",service="${host}",scope="repository:team/app:pull"`, 'i'));
  const anonymous = JSON.parse((await runCommand('curl', ['-sf', `${serve.url}/token?service=${host}&scope=repository:team/app:pull`])).stdout) as { token: string };
  const claims = JSON.parse(Buffer.from(anonymous.token.split('.')[1]!, 'base64url').toString('utf8')) as { access: unknown[] };
  assert.deepEqual(claims.access, [], 'a private project: nothing for anonymous callers');
  const alice = JSON.parse((await runCommand('curl', ['-sf', '-u', `alice:${ALICE_PASSWORD}`, `${serve.url}/token?service=${host}&scope=repository:team/app:pull,push,delete`])).stdout) as { token: string };
  assert.deepEqual(JSON.parse(Buffer.from(alice.token.split('.')[1]!, 'base64url').toString('utf8')).access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  const bad = await runCommand('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'alice:wrong', `${serve.url}/token?service=${host}`]);
  assert.equal(bad.stdout, '401');
});

test('skopeo: login, copy in and out with token auth; a robot with --creds pulls but cannot push', async (t) => {
  const login = await runCommand('skopeo', ['login', '--tls-verify=false', '--authfile', join(work, 'auth.json'), '-u', 'alice', '--password-stdin', host], { input: `${ALICE_PASSWORD}\n` });
  if (login.code === 127) return missingPeer(t, 'skopeo');
  assert.equal(login.code, 0, login.stderr);
  const push = await runCommand('skopeo', ['copy', '--dest-tls-verify=false', '--authfile', join(work, 'auth.json'), images.tinyOci, `docker://${host}/team/app:1`]);
  assert.equal(push.code, 0, push.stderr);
  const out = join(work, 'out');
  const pull = await runCommand('skopeo', ['copy', '--src-tls-verify=false', '--authfile', join(work, 'auth.json'), `docker://${host}/team/app:1`, `oci:${out}:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  const robot = `robot$team+ci:${process.env.ROBOT_SECRET_FOR_TEST ?? ''}`;
  const robotPull = await runCommand('skopeo', ['inspect', '--tls-verify=false', '--creds', robot, `docker://${host}/team/app:1`]);
  assert.equal(robotPull.code, 0, robotPull.stderr);
  const robotPush = await runCommand('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', robot, images.tinyOci, `docker://${host}/team/app:robot`]);
  assert.notEqual(robotPush.code, 0, 'a pull-only robot cannot push');
  const anonymous = await runCommand('skopeo', ['inspect', '--tls-verify=false', '--no-creds', `docker://${host}/team/app:1`]);
  assert.notEqual(anonymous.code, 0, 'a private project is closed to anonymous callers');
});

test('podman: login, push and pull with vfs storage', async (t) => {
  const probe = await runCommand('podman', ['--version']);
  if (probe.code === 127) return missingPeer(t, 'podman (apt-get install podman)');
  const storage = ['--storage-driver', 'vfs', '--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-run')];
  const authfile = join(work, 'podman-auth.json');
  const login = await runCommand('podman', [...storage, 'login', '--tls-verify=false', '--authfile', authfile, '-u', 'alice', '--password-stdin', host], { input: `${ALICE_PASSWORD}\n` });
  assert.equal(login.code, 0, login.stderr);
  const pull = await runCommand('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authfile, `${host}/team/app:1`], { timeoutMs: 300_000 });
  assert.equal(pull.code, 0, pull.stderr);
  const tag = await runCommand('podman', [...storage, 'tag', `${host}/team/app:1`, `${host}/team/app:from-podman`]);
  assert.equal(tag.code, 0, tag.stderr);
  const push = await runCommand('podman', [...storage, 'push', '--tls-verify=false', '--authfile', authfile, `${host}/team/app:from-podman`], { timeoutMs: 300_000 });
  assert.equal(push.code, 0, push.stderr);
  const tags = await runCommand('curl', ['-sf', '-u', `alice:${ALICE_PASSWORD}`, `${serve.url}/v2/team/app/tags/list`]);
  assert.deepEqual(JSON.parse(tags.stdout), { name: 'team/app', tags: ['1', 'from-podman'] });
  await runCommand('podman', [...storage, 'rmi', '-a', '-f']);
});
