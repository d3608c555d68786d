/**
 * login/logout write the auth file skopeo reads (0600, other entries kept),
 * and inspect uses what login saved.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, runCliProcess } from '../support/cli.js';
import { peerImages, runCommand, startRegistry, type RegistryPeer } from '../support/peers.js';
import { skopeoCopy } from '../support/skopeo.js';

let registry: RegistryPeer;
let dir: string;

before(async () => {
  registry = await startRegistry({ auth: true });
  dir = await mkdtemp(join(tmpdir(), 'portcullis-login-'));
  const images = await peerImages('tiny');
  await skopeoCopy(images.tinyOci, `docker://${registry.host}/auth/tiny:1`, [`--dest-creds=${registry.user}:${registry.password}`]);
});

after(async () => {
  await registry?.stop();
});

test('login with --password-stdin saves 0600 credentials that inspect and skopeo use', async () => {
  const authfile = join(dir, 'auth.json');
  await writeFile(authfile, JSON.stringify({ auths: { 'other.example': { auth: 'b3RoZXI6c2VjcmV0' } } }));
  const result = await runCliProcess(
    ['login', registry.host, '-u', registry.user ?? '', '--password-stdin', '--tls-verify=false', '--authfile', authfile],
    {},
    `${registry.password}\n`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Login Succeeded/);
  assert.doesNotMatch(result.stdout + result.stderr, new RegExp(registry.password ?? 'x'));
  assert.equal((await stat(authfile)).mode & 0o777, 0o600);
  const saved = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.ok(saved.auths['other.example'], 'other entries are kept');
  assert.equal(Buffer.from(saved.auths[registry.host]?.auth ?? '', 'base64').toString(), `${registry.user}:${registry.password}`);

  const inspect = await runCli(['inspect', `docker://${registry.host}/auth/tiny:1`, '--authfile', authfile, '--tls-verify=false', '--no-measure']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const skopeo = await runCommand('skopeo', ['inspect', '--tls-verify=false', '--authfile', authfile, `docker://${registry.host}/auth/tiny:1`]);
  assert.equal(skopeo.code, 0, skopeo.stderr);

  const out = await runCli(['logout', registry.host, '--authfile', authfile]);
  assert.equal(out.code, 0, out.stderr);
  const after = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, unknown> };
  assert.deepEqual(Object.keys(after.auths), ['other.example']);
  const again = await runCli(['logout', registry.host, '--authfile', authfile]);
  assert.equal(again.code, 3, again.stderr);
  assert.match(again.stderr, /not logged in/);
});

test('login with a wrong password writes nothing and exits 4', async () => {
  const authfile = join(dir, 'wrong.json');
  const result = await runCliProcess(['login', registry.host, '-u', registry.user ?? '', '--password-stdin', '--tls-verify=false', '--authfile', authfile], {}, 'nope\n');
  assert.equal(result.code, 4, result.stderr);
  await assert.rejects(stat(authfile));
});
