/**
 * The Notary client with credentials, against `portcullis serve` in its own
 * process (HTTPS, as Notary clients need), whose Notary service asks for the
 * caller's pull/push rights: `--accounts` (Docker's token flow, a private
 * project) and `--htpasswd` (Basic). `sign --notary` publishes with a user's
 * auth file or `--creds`; `verify` and `pull` under
 * PORTCULLIS_CONTENT_TRUST=1 read the Notary data with them and refuse
 * without (a private GUN read without credentials is not "unsigned"); the
 * real `docker trust inspect` (no daemon, DOCKER_CONFIG with the login)
 * reads what portcullis published; a wrong password is a one-line exit 4
 * naming the server and `portcullis login`.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliProcess } from '../../support/cli.js';
import { makeTls } from '../../support/notary.js';
import { peerImages, runCommand } from '../../support/peers.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';
import { cli, trustHome } from './helpers.js';

const ADMIN_PASSWORD = 'admin-password-notary-1';
const ALICE_PASSWORD = 'alice-password-notary-1';

let work: string;
let tinyOci: string;
const stops: Array<() => Promise<unknown>> = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-notary-auth-'));
  tinyOci = (await peerImages('tiny')).tinyOci;
});

after(async () => {
  for (const stop of stops) await stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Served {
  readonly host: string;
  readonly certDir: string;
  readonly ca: string;
  readonly serve: ServeProcess;
}

async function startServe(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const dir = join(work, name);
  const tls = await makeTls(join(dir, 'tls'));
  const serve = await startServeProcess(['--root', join(dir, 'root'), '--no-scan', '--tls-cert', join(dir, 'tls', 'server.crt'), '--tls-key', join(dir, 'tls', 'server.key'), ...args], { env: { HOME: join(dir, 'home'), ...env } });
  stops.push(() => serve.stop());
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  await copyFile(tls.ca, join(certDir, 'ca.crt'));
  return { host: new URL(serve.url).host, certDir, ca: tls.ca, serve };
}

/** An auth file (containers auth.json / docker config.json form) holding `user:password` for each key (a host, or host/repository). */
async function authFile(path: string, entries: Record<string, string>): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  const auths = Object.fromEntries(Object.entries(entries).map(([key, creds]) => [key, { auth: Buffer.from(creds).toString('base64') }]));
  await writeFile(path, JSON.stringify({ auths }), { mode: 0o600 });
  return path;
}

async function push(s: Served, ref: string, creds: string, format?: 'v2s2'): Promise<void> {
  const r = await runCommand('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', creds, ...(format ? ['--format', format] : []), tinyOci, `docker://${ref}`]);
  assert.equal(r.code, 0, r.stderr);
}

async function dockerTrustInspect(s: Served, gun: string, config: string): Promise<{ code: number; out: string }> {
  const r = await runCommand('docker', ['trust', 'inspect', gun], {
    env: { ...process.env, DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_SERVER: `https://${s.host}`, SSL_CERT_FILE: s.ca, DOCKER_HOST: 'unix:///nonexistent.sock' },
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

function scenario(mode: 'accounts' | 'htpasswd'): void {
  describe(`serve --${mode}`, () => {
    let s: Served;
    let env: NodeJS.ProcessEnv;
    let gun: string;
    let aliceAuth: string;

    before(async () => {
      if (mode === 'accounts') {
        s = await startServe(mode, ['--accounts'], { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD });
        const admin = { ...process.env, PORTCULLIS_SERVER: s.serve.url, PORTCULLIS_USERNAME: 'admin', PORTCULLIS_PASSWORD: ADMIN_PASSWORD, REGISTRY_AUTH_FILE: join(work, mode, 'admin-auth.json') };
        for (const args of [['project', 'create', 'team'], ['member', 'add', 'team', 'alice', 'push']]) {
          if (args[0] === 'member') {
            const added = await runCliProcess(['registry', 'user', 'add', 'alice', '--password-stdin', '--tls-verify', 'false'], admin, `${ALICE_PASSWORD}\n`);
            assert.equal(added.code, 0, added.stderr);
          }
          const r = await runCli(['registry', ...args, '--tls-verify', 'false'], admin);
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        }
      } else {
        const htpasswd = join(work, 'users.htpasswd');
        const made = await runCommand('htpasswd', ['-Bbc', htpasswd, 'alice', ALICE_PASSWORD]);
        assert.equal(made.code, 0, made.stderr);
        s = await startServe(mode, ['--htpasswd', htpasswd]);
      }
      env = await trustHome();
      assert.equal((await cli(['key', 'generate'], env)).code, 0);
      gun = `${s.host}/team/app`;
      await push(s, `${gun}:v1`, `alice:${ALICE_PASSWORD}`);
      await push(s, `${gun}:v2`, `alice:${ALICE_PASSWORD}`, 'v2s2');
      aliceAuth = await authFile(join(work, mode, 'alice', 'auth.json'), { [s.host]: `alice:${ALICE_PASSWORD}` });
    });

    test('sign --notary publishes with the auth file, then --creds; docker trust inspect reads it with the login', async () => {
      const first = await cli(['sign', `${gun}:v1`, '--notary', '--cert-dir', s.certDir, '--authfile', aliceAuth, '--format', 'json'], env);
      assert.equal(first.code, 0, first.stderr);
      const v1 = (JSON.parse(first.stdout) as { digest: string; notary: { initialized: boolean } });
      assert.equal(v1.notary.initialized, true);
      const second = await cli(['sign', `${gun}:v2`, '--notary', '--cert-dir', s.certDir, '--creds', `alice:${ALICE_PASSWORD}`, '--format', 'json'], env);
      assert.equal(second.code, 0, second.stderr);
      const v2 = JSON.parse(second.stdout) as { digest: string };
      for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) assert.ok(!out.includes(ALICE_PASSWORD), 'the password is never printed');

      // With --accounts the docker CLI asks the token endpoint for `repository:<whole GUN>:pull`: granted on the GUN's repository.
      const config = join(work, mode, 'docker');
      await authFile(join(config, 'config.json'), { [s.host]: `alice:${ALICE_PASSWORD}` });
      const inspect = await dockerTrustInspect(s, gun, config);
      assert.equal(inspect.code, 0, inspect.out);
      const parsed = JSON.parse(inspect.out) as Array<{ SignedTags: Array<{ SignedTag: string; Digest: string }> }>;
      assert.deepEqual(parsed[0]?.SignedTags.map((t) => [t.SignedTag, `sha256:${t.Digest}`]), [['v1', v1.digest], ['v2', v2.digest]]);
    });

    test('verify, and pull and copy under content trust, read the Notary data with the credentials', async () => {
      const verified = await cli(['verify', `${gun}:v1`, '--cert-dir', s.certDir, '--authfile', aliceAuth, '--format', 'json'], env);
      assert.equal(verified.code, 0, verified.stderr);
      const report = JSON.parse(verified.stdout) as { notary?: { finding: { kind: string } } };
      assert.equal(report.notary?.finding.kind, 'signed');
      const dest = `oci:${join(work, mode, 'pulled')}:x`;
      const pulled = await cli(['pull', `${gun}:v2`, dest, '--cert-dir', s.certDir, '--authfile', aliceAuth], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
      assert.equal(pulled.code, 0, pulled.stderr);
      const copied = await cli(['copy', `docker://${gun}:v1`, `oci:${join(work, mode, 'copied')}:x`, '--cert-dir', s.certDir, '--authfile', aliceAuth], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
      assert.equal(copied.code, 0, copied.stderr);

    });

    test('credentials the Notary server refuses: sign stops with one line (exit 4), content trust refuses (not "unsigned")', async () => {
      // The registry's login is kept under host/repository; the Notary server's own host has a wrong password (looked up first).
      const mixed = await authFile(join(work, mode, 'mixed', 'auth.json'), { [`${s.host}/team/app`]: `alice:${ALICE_PASSWORD}`, [s.host]: 'alice:not-her-password' });
      const signed = await cli(['sign', `${gun}:v1`, '--notary', '--cert-dir', s.certDir, '--authfile', mixed], env);
      assert.equal(signed.code, 4, signed.stderr);
      assert.equal(signed.stderr, `portcullis: the Notary server ${s.host} refused the credentials for ${gun}: run "portcullis login ${s.host}"\n`);
      const pulled = await cli(['pull', `${gun}:v1`, `oci:${join(work, mode, 'refused')}:x`, '--cert-dir', s.certDir, '--authfile', mixed], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
      assert.equal(pulled.code, 8, pulled.stderr);
      assert.match(pulled.stderr, new RegExp(`refused the credentials for ${gun}`));
      const verified = await cli(['verify', `${gun}:v1`, '--cert-dir', s.certDir, '--authfile', mixed, '--format', 'json'], env);
      const report = JSON.parse(verified.stdout) as { notary?: { finding: { kind: string; reason?: string } } };
      assert.equal(report.notary?.finding.kind, 'failed', verified.stdout);
      assert.equal(verified.code, 1, verified.stderr);
      assert.ok(!`${signed.stderr}${pulled.stderr}${verified.stdout}${verified.stderr}`.includes('not-her-password'));
    });

    if (mode === 'accounts') {
      test('a token realm on another host than the credentials\' is not sent them', async () => {
        // Asked as https://localhost:PORT, the server's realm is https://127.0.0.1:PORT/token: the login found is localhost's.
        const port = s.host.split(':')[1] ?? '';
        const both = await authFile(join(work, mode, 'both', 'auth.json'), { [s.host]: `alice:${ALICE_PASSWORD}`, [`localhost:${port}`]: `alice:${ALICE_PASSWORD}` });
        const r = await cli(['sign', `${gun}:v1`, '--notary', '--notary-server', `https://localhost:${port}`, '--cert-dir', s.certDir, '--authfile', both], env);
        assert.equal(r.code, 4, r.stderr);
        assert.equal(r.stderr, `portcullis: the Notary server localhost:${port} asks for credentials for ${gun}; its token realm is on another host, which was not sent the credentials for localhost:${port}: run "portcullis login ${s.host}"\n`);
      });
    }
  });
}

scenario('accounts');
scenario('htpasswd');
