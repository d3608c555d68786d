/**
 * Credential resolution from files and helpers, in a temp HOME: docker's
 * config.json (auth, username/password, identitytoken, Docker Hub's legacy
 * key), credHelpers and credsStore through a fake docker-credential-test on
 * PATH, containers' auth.json, REGISTRY_AUTH_FILE and authFile precedence.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { resolveCredentials } from '../../../src/image/auth/resolve.js';

let root: string;
let home: string;
let bin: string;
let helperLog: string;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function put(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}`, ...extra };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'portcullis-creds-'));
  bin = join(root, 'bin');
  helperLog = join(root, 'helper.log');
  await mkdir(bin, { recursive: true });
  // A docker credential helper: answers for two servers, "not found" otherwise, fails for one.
  await writeFile(
    join(bin, 'docker-credential-test'),
    [
      '#!/bin/sh',
      `[ "$1" = get ] || exit 3`,
      'read -r server',
      `printf '%s\\n' "$server" >> '${helperLog}'`,
      'case "$server" in',
      `  helped.example) printf '{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-pass"}' ;;`,
      `  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-pass"}' "$server" ;;`,
      `  token.example) printf '{"ServerURL":"token.example","Username":"<token>","Secret":"refresh-123"}' ;;`,
      `  broken.example) echo "keychain locked" >&2; exit 1 ;;`,
      `  *) echo "credentials not found in native keychain"; exit 1 ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'docker-credential-test'), 0o755);
});

beforeEach(async () => {
  home = await mkdtemp(join(root, 'home-'));
  await rm(helperLog, { force: true });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const dockerConfig = (): string => join(home, '.docker', 'config.json');

describe('resolveCredentials', () => {
  it('reads docker config auths: base64 auth, username/password, identitytoken', async () => {
    await put(dockerConfig(), {
      auths: {
        'a.example': { auth: b64('alice:pa:ss') },
        'b.example:5000': { username: 'bob', password: 'bob-pass' },
        'c.example': { auth: b64('carol:'), identitytoken: 'idt-1' },
        'https://d.example/v2/': { auth: b64('dave:dave-pass') },
      },
    });
    const e = env();
    assert.deepEqual(await resolveCredentials('a.example', { env: e }), { username: 'alice', password: 'pa:ss', source: dockerConfig() });
    assert.deepEqual(await resolveCredentials('b.example:5000', { env: e }), { username: 'bob', password: 'bob-pass', source: dockerConfig() });
    const c = await resolveCredentials('c.example', { env: e });
    assert.equal(c?.identityToken, 'idt-1');
    assert.equal(c?.username, 'carol');
    assert.equal((await resolveCredentials('d.example', { env: e }))?.username, 'dave', 'legacy URL keys match their host');
    assert.equal(await resolveCredentials('b.example', { env: e }), undefined, 'port is part of the key');
    assert.equal(await resolveCredentials('nowhere.example', { env: e }), undefined);
  });

  it('finds Docker Hub under https://index.docker.io/v1/ and honours DOCKER_CONFIG', async () => {
    await put(dockerConfig(), { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:hub-pass') } } });
    assert.equal((await resolveCredentials('docker.io', { env: env() }))?.username, 'hub');
    const other = join(home, 'elsewhere');
    await put(join(other, 'config.json'), { auths: { 'docker.io': { auth: b64('hub2:x') } } });
    assert.equal((await resolveCredentials('docker.io', { env: env({ DOCKER_CONFIG: other }) }))?.username, 'hub2');
  });

  it('asks credHelpers with the server URL on stdin (Docker Hub as https://index.docker.io/v1/)', async () => {
    await put(dockerConfig(), {
      auths: { 'helped.example': { auth: b64('file-user:file-pass') } },
      credHelpers: { 'helped.example': 'test', 'docker.io': 'test', 'token.example': 'test', 'missing.example': 'test' },
    });
    const e = env();
    assert.deepEqual(await resolveCredentials('helped.example', { env: e }), { username: 'helper-user', password: 'helper-pass', source: 'docker-credential-test' });
    assert.equal((await resolveCredentials('docker.io', { env: e }))?.username, 'hub-user');
    const token = await resolveCredentials('token.example', { env: e });
    assert.equal(token?.identityToken, 'refresh-123');
    assert.equal(await resolveCredentials('missing.example', { env: e }), undefined);
    assert.deepEqual((await readFile(helperLog, 'utf8')).trim().split('\n'), [
      'helped.example',
      'https://index.docker.io/v1/',
      'token.example',
      'missing.example',
    ]);
  });

  it('falls back to credsStore for hosts without an auths entry or helper', async () => {
    await put(dockerConfig(), { auths: { 'file.example': { auth: b64('f:p') } }, credsStore: 'test' });
    const e = env();
    assert.equal((await resolveCredentials('file.example', { env: e }))?.username, 'f');
    assert.equal((await resolveCredentials('helped.example', { env: e }))?.username, 'helper-user');
    assert.equal(await resolveCredentials('unknown.example', { env: e }), undefined);
  });

  it('reports a failing helper as HELPER_FAILED and a broken file as CONFIG_INVALID', async () => {
    await put(dockerConfig(), { credHelpers: { 'broken.example': 'test', 'gone.example': 'nonexistent' } });
    await assert.rejects(resolveCredentials('broken.example', { env: env() }), { code: 'HELPER_FAILED' });
    await assert.rejects(resolveCredentials('gone.example', { env: env() }), { code: 'HELPER_FAILED' });
    await put(dockerConfig(), '{"auths": ');
    await assert.rejects(resolveCredentials('x.example', { env: env() }), { code: 'CONFIG_INVALID' });
  });

  it('prefers containers auth.json ($XDG_RUNTIME_DIR, then ~/.config) over docker config', async () => {
    await put(dockerConfig(), { auths: { 'r.example': { auth: b64('docker:x') } } });
    await put(join(home, '.config', 'containers', 'auth.json'), { auths: { 'r.example': { auth: b64('config-home:x') } } });
    assert.equal((await resolveCredentials('r.example', { env: env() }))?.username, 'config-home');
    const runtime = join(home, 'run');
    await put(join(runtime, 'containers', 'auth.json'), { auths: { 'r.example': { auth: b64('runtime:x') } } });
    assert.equal((await resolveCredentials('r.example', { env: env({ XDG_RUNTIME_DIR: runtime }) }))?.username, 'runtime');
    // A file without the entry does not stop the search.
    assert.equal((await resolveCredentials('r.example', { env: env({ XDG_RUNTIME_DIR: join(home, 'no-such-dir') }) }))?.username, 'config-home');
  });

  it('puts explicit credentials, then authFile, then REGISTRY_AUTH_FILE first; a user-named file is the only one read', async () => {
    await put(dockerConfig(), { auths: { 'r.example': { auth: b64('docker:x') }, 'only-docker.example': { auth: b64('d:x') } } });
    const envFile = join(home, 'env-auth.json');
    const flagFile = join(home, 'flag-auth.json');
    await put(envFile, { auths: { 'r.example': { auth: b64('env-file:x') } } });
    await put(flagFile, { auths: { 'r.example': { auth: b64('flag-file:x') } } });
    const e = env({ REGISTRY_AUTH_FILE: envFile });
    assert.equal((await resolveCredentials('r.example', { env: e }))?.username, 'env-file');
    assert.equal((await resolveCredentials('r.example', { env: e, authFile: flagFile }))?.username, 'flag-file');
    const explicit = await resolveCredentials('r.example', { env: e, authFile: flagFile, credentials: { username: 'cli', password: 'p' } });
    assert.deepEqual(explicit, { username: 'cli', password: 'p', source: '--creds' });
    // containers/image: with REGISTRY_AUTH_FILE (or --authfile) set, docker's config is not consulted.
    assert.equal(await resolveCredentials('only-docker.example', { env: e }), undefined);
    assert.equal((await resolveCredentials('only-docker.example', { env: env() }))?.username, 'd');
  });

  it('uses the most specific namespace key of containers auth.json', async () => {
    await put(join(home, '.config', 'containers', 'auth.json'), {
      auths: {
        'ns.example': { auth: b64('host-wide:x') },
        'ns.example/team': { auth: b64('team:x') },
        'ns.example/team/app': { auth: b64('app:x') },
      },
    });
    const e = { env: env() };
    assert.equal((await resolveCredentials('ns.example', e, { repository: 'team/app' }))?.username, 'app');
    assert.equal((await resolveCredentials('ns.example', e, { repository: 'team/other' }))?.username, 'team');
    assert.equal((await resolveCredentials('ns.example', e, { repository: 'elsewhere/x' }))?.username, 'host-wide');
    assert.equal((await resolveCredentials('ns.example', e))?.username, 'host-wide');
  });
});
