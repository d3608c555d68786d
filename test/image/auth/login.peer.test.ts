/**
 * login/logout against docker-registry with Basic auth: credentials are
 * checked against /v2/ before anything is written; files are written 0600
 * (parents 0700) atomically, keeping other entries; logout removes one entry
 * and fails NOT_LOGGED_IN when there is none.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { login, logout, logoutAll } from '../../../src/image/auth/login.js';
import { resolveCredentials } from '../../../src/image/auth/resolve.js';
import { DockerTransport } from '../../../src/image/transports/docker/transport.js';
import { peerImages, runCommand, startRegistry, type RegistryPeer } from '../../support/peers.js';

let peer: RegistryPeer;
let root: string;
let manifestDigest: string;

before(async () => {
  const images = await peerImages('tiny');
  peer = await startRegistry({ auth: true });
  root = await mkdtemp(join(tmpdir(), 'portcullis-login-'));
  const pushed = await runCommand('skopeo', ['copy', '--dest-tls-verify=false', `--dest-creds=${peer.user}:${peer.password}`, images.tinyOci, `docker://${peer.host}/peers/tiny:latest`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const index = JSON.parse(await readFile(join(images.tinyOci.replace(/^oci:/, '').replace(/:latest$/, ''), 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  manifestDigest = index.manifests[0]!.digest;
});

after(async () => {
  await peer?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('login / logout', () => {
  it('refuses wrong credentials without writing anything', async () => {
    const authFile = join(root, 'wrong', 'auth.json');
    await assert.rejects(login(peer.host, { username: peer.user!, password: 'wrong' }, { authFile, context: { tlsVerify: false } }), { code: 'UNAUTHORIZED' });
    await assert.rejects(stat(join(root, 'wrong')), { code: 'ENOENT' });
  });

  it('writes a 0600 file in a new 0700 directory, keeping other entries, then the transport uses it', async () => {
    const dir = join(root, 'keep', 'nested');
    const authFile = join(dir, 'auth.json');
    await mkdir(join(root, 'keep'), { recursive: true });
    const result = await login(peer.host, { username: peer.user!, password: peer.password! }, { authFile, context: { tlsVerify: false } });
    assert.equal(result.authFile, authFile);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(authFile)).mode & 0o777, 0o600);
    // Add another entry and a foreign key by hand; a second login must keep them.
    const first = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth: string }> };
    first.auths['other.example'] = { auth: Buffer.from('o:p').toString('base64') };
    await writeFile(authFile, JSON.stringify({ ...first, credHelpers: { 'x.example': 'pass' } }), { mode: 0o644 });
    await login(peer.host, { username: peer.user!, password: peer.password! }, { authFile, context: { tlsVerify: false } });
    const written = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth: string }>; credHelpers: Record<string, string> };
    assert.equal(Buffer.from(written.auths[peer.host]!.auth, 'base64').toString(), `${peer.user}:${peer.password}`);
    assert.ok(written.auths['other.example']);
    assert.deepEqual(written.credHelpers, { 'x.example': 'pass' });
    assert.equal((await stat(authFile)).mode & 0o777, 0o600, 'rewritten files are 0600 again');
    assert.deepEqual(await readdir(dir), ['auth.json'], 'no temp files left behind');

    const source = await new DockerTransport().parseReference(`${peer.host}/peers/tiny:latest`).newSource({ tlsVerify: false, authFile, env: { HOME: root } });
    try {
      assert.equal((await source.getManifest()).digest, manifestDigest);
    } finally {
      await source.close();
    }
  });

  it('writes $XDG_RUNTIME_DIR/containers/auth.json by default; logout removes the entry, then NOT_LOGGED_IN', async () => {
    const home = join(root, 'home');
    const runtime = join(root, 'runtime');
    const env = { HOME: home, XDG_RUNTIME_DIR: runtime };
    const { authFile } = await login(`http://${peer.host}/`, { username: peer.user!, password: peer.password! }, { context: { tlsVerify: false, env } });
    assert.equal(authFile, join(runtime, 'containers', 'auth.json'));
    assert.equal((await resolveCredentials(peer.host, { env }))?.username, peer.user);
    await logout(peer.host, { env });
    assert.equal(await resolveCredentials(peer.host, { env }), undefined);
    await assert.rejects(logout(peer.host, { env }), { code: 'NOT_LOGGED_IN' });
    await assert.rejects(logout('never.example', { env }), { code: 'NOT_LOGGED_IN' });
  });

  it('logout names docker config when the entry lives only there; logoutAll clears every entry', async () => {
    const home = join(root, 'home2');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'dock.example': { auth: 'ZDpw' } } }));
    await assert.rejects(logout('dock.example', { env: { HOME: home } }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'NOT_LOGGED_IN');
      assert.match(error.message, /config\.json/);
      return true;
    });
    const authFile = join(root, 'all.json');
    await writeFile(authFile, JSON.stringify({ auths: { 'a.example': { auth: 'YTpi' }, 'b.example': { auth: 'YTpi' } }, keep: 1 }));
    const { removed } = await logoutAll({ authFile });
    assert.deepEqual(removed.sort(), ['a.example', 'b.example']);
    assert.deepEqual(JSON.parse(await readFile(authFile, 'utf8')), { auths: {}, keep: 1 });
  });
});
